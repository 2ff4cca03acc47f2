package ntcp2

import (
	"encoding/binary"

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
// reason 10, "payload format error"); the block codec is shared with
// SSU2 (package transport).
var ErrPayloadFormat = transport.ErrPayloadFormat

func formatErr(format string, args ...any) error { return transport.FormatError(format, args...) }

func appendBlockHeader(b []byte, typ uint8, size int) []byte {
	return transport.AppendBlockHeader(b, typ, size)
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
	return transport.AppendI2NPBlock(b, blockI2NP, m)
}

// appendTermination appends a Termination block: the number of data
// frames we received and the reason ("Termination").
func appendTermination(b []byte, validFrames uint64, reason uint8) []byte {
	return transport.AppendTermination(b, blockTermination, validFrames, reason)
}

func appendPadding(b []byte, n int) []byte { return transport.AppendPadding(b, n) }

// parseBlocks calls fn for each block of payload, in order, enforcing the
// framing and the data-phase ordering rules (transport.WalkBlocks).
func parseBlocks(payload []byte, fn func(typ uint8, data []byte) error) error {
	return transport.WalkBlocks(payload, blockTermination, fn)
}

func parseDateTime(d []byte) (uint32, error)           { return transport.ParseDateTime(d) }
func parseI2NP(d []byte) (transport.Message, error)    { return transport.ParseShortI2NP(d) }
func parseTermination(d []byte) (uint64, uint8, error) { return transport.ParseTermination(d) }

// parseRouterInfoBlock splits a RouterInfo block's data into the flood
// flag and the RouterInfo bytes (which alias d).
func parseRouterInfoBlock(d []byte) (ri []byte, flood bool, err error) {
	if len(d) < 1 {
		return nil, false, formatErr("empty RouterInfo block")
	}
	return d[1:], d[0]&routerInfoFlood != 0, nil
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
