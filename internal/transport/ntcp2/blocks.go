package ntcp2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/transport"
)

// Block codec of message 3 part 2 and data-phase frames (ntcp2.rst,
// "Unencrypted data"): a frame's plaintext is zero or more blocks
//
//	type(1) size(2, big-endian) data(size)
//
// Encoders append to a caller's buffer; the parser walks a payload without
// allocating and hands each block's data, which aliases the payload, to a
// callback.

// ErrPayloadFormat is wrapped by every block parse error (termination
// reason 10, "payload format error").
var ErrPayloadFormat = errors.New("ntcp2: payload format error")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrPayloadFormat}, args...)...)
}

// appendBlockHeader appends type and size.
func appendBlockHeader(b []byte, typ uint8, size int) []byte {
	return append(b, typ, byte(size>>8), byte(size))
}

// appendBlock appends one block whose data is the concatenation of parts.
func appendBlock(b []byte, typ uint8, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b = appendBlockHeader(b, typ, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// appendDateTime appends a DateTime block ("DateTime").
func appendDateTime(b []byte, ts uint32) []byte {
	b = appendBlockHeader(b, blockDateTime, dateTimeLen)
	return binary.BigEndian.AppendUint32(b, ts)
}

// appendRouterInfo appends a RouterInfo block: flag, then the RouterInfo
// as it is signed, not gzipped ("RouterInfo").
func appendRouterInfo(b []byte, ri []byte, flood bool) []byte {
	var flag byte
	if flood {
		flag = routerInfoFlood
	}
	b = appendBlockHeader(b, blockRouterInfo, 1+len(ri))
	b = append(b, flag)
	return append(b, ri...)
}

// i2npBlockLen is the encoded size of m as an I2NP block.
func i2npBlockLen(m *transport.Message) int {
	return blockHeaderLen + i2npHeaderLen + len(m.Payload)
}

// appendI2NP appends an I2NP block with the 9-byte short header ("I2NP
// Message"): type, message id, expiration in seconds.
func appendI2NP(b []byte, m *transport.Message) []byte {
	b = appendBlockHeader(b, blockI2NP, i2npHeaderLen+len(m.Payload))
	b = append(b, m.Type)
	b = binary.BigEndian.AppendUint32(b, m.ID)
	b = binary.BigEndian.AppendUint32(b, uint32(m.Expiration.Unix()))
	return append(b, m.Payload...)
}

// appendTermination appends a Termination block: the number of data
// frames we received and the reason ("Termination").
func appendTermination(b []byte, validFrames uint64, reason uint8) []byte {
	b = appendBlockHeader(b, blockTermination, terminationMinLen)
	b = binary.BigEndian.AppendUint64(b, validFrames)
	return append(b, reason)
}

// appendPadding appends a Padding block of n zero bytes. Padding is inside
// the AEAD, so its content does not matter to an observer (i2pd sends
// zeros too).
func appendPadding(b []byte, n int) []byte {
	b = appendBlockHeader(b, blockPadding, n)
	for range n {
		b = append(b, 0)
	}
	return b
}

// parseBlocks calls fn for each block of payload, in order, enforcing the
// framing and the data-phase ordering rules ("Block Ordering Rules"):
// every block lies wholly inside the payload, Padding (at most one) comes
// last, Termination is last except for Padding. Unknown types are handed
// to fn as well; receivers skip them. fn's data aliases payload.
func parseBlocks(payload []byte, fn func(typ uint8, data []byte) error) error {
	sawPadding, sawTermination := false, false
	for off := 0; off < len(payload); {
		if len(payload)-off < blockHeaderLen {
			return formatErr("%d trailing bytes, short of a block header", len(payload)-off)
		}
		typ := payload[off]
		size := int(binary.BigEndian.Uint16(payload[off+1:]))
		off += blockHeaderLen
		if size > len(payload)-off {
			return formatErr("block type %d of %d bytes overruns the frame (%d left)", typ, size, len(payload)-off)
		}
		if sawPadding {
			return formatErr("block type %d after padding", typ)
		}
		if sawTermination && typ != blockPadding {
			return formatErr("block type %d after termination", typ)
		}
		switch typ {
		case blockPadding:
			sawPadding = true
		case blockTermination:
			sawTermination = true
		}
		if err := fn(typ, payload[off:off+size]); err != nil {
			return err
		}
		off += size
	}
	return nil
}

// parseDateTime decodes a DateTime block's data.
func parseDateTime(d []byte) (uint32, error) {
	if len(d) != dateTimeLen {
		return 0, formatErr("DateTime block of %d bytes", len(d))
	}
	return binary.BigEndian.Uint32(d), nil
}

// parseRouterInfoBlock splits a RouterInfo block's data into the flood
// flag and the RouterInfo bytes (which alias d).
func parseRouterInfoBlock(d []byte) (ri []byte, flood bool, err error) {
	if len(d) < 1 {
		return nil, false, formatErr("empty RouterInfo block")
	}
	return d[1:], d[0]&routerInfoFlood != 0, nil
}

// parseI2NP decodes an I2NP block. The payload aliases d.
func parseI2NP(d []byte) (transport.Message, error) {
	if len(d) < i2npHeaderLen {
		return transport.Message{}, formatErr("I2NP block of %d bytes", len(d))
	}
	return transport.Message{
		Type:       d[0],
		ID:         binary.BigEndian.Uint32(d[1:]),
		Expiration: time.Unix(int64(binary.BigEndian.Uint32(d[5:])), 0),
		Payload:    d[i2npHeaderLen:],
	}, nil
}

// parseTermination decodes a Termination block; extra bytes after the
// reason are allowed ("addl data").
func parseTermination(d []byte) (validFrames uint64, reason uint8, err error) {
	if len(d) < terminationMinLen {
		return 0, 0, formatErr("Termination block of %d bytes", len(d))
	}
	return binary.BigEndian.Uint64(d), d[8], nil
}

// parseConfirmedPayload checks message 3 part 2's stricter rules
// ("SessionConfirmed", notes): a RouterInfo block, then optionally
// Options, then optionally Padding, nothing else. It returns the
// RouterInfo block's contents.
func parseConfirmedPayload(p []byte) (ri []byte, flood bool, err error) {
	i := 0
	err = parseBlocks(p, func(typ uint8, d []byte) error {
		defer func() { i++ }()
		switch {
		case i == 0 && typ == blockRouterInfo:
			ri, flood, err = parseRouterInfoBlock(d)
			return err
		case i == 0:
			return formatErr("SessionConfirmed starts with block type %d, want RouterInfo", typ)
		case typ == blockOptions && i == 1, typ == blockPadding:
			return nil
		}
		return formatErr("block type %d not allowed in SessionConfirmed", typ)
	})
	if err == nil && i == 0 {
		err = formatErr("SessionConfirmed without a RouterInfo block")
	}
	return ri, flood, err
}
