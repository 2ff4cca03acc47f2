package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The block format NTCP2 and SSU2 share (ntcp2.rst and ssu2.rst,
// "Unencrypted data" / "Noise Payload"): a payload is zero or more blocks
//
//	type(1) size(2, big-endian) data(size)
//
// with the same framing rules in both. DateTime (type 0), Padding (254)
// and the Termination and I2NP layouts are the same too; only some type
// numbers differ, so each transport passes its own. Encoders append to a
// caller's buffer; WalkBlocks walks a payload without allocating.

// Block layout sizes.
const (
	BlockHeaderLen = 3 // type(1) size(2)
	// ShortI2NPHeaderLen is the I2NP header of an I2NP block: type(1)
	// msg id(4) expiration seconds(4).
	ShortI2NPHeaderLen = 9
	DateTimeLen        = 4
	// TerminationMinLen is valid frames/packets received(8) reason(1).
	TerminationMinLen = 9

	BlockDateTime = 0
	BlockPadding  = 254
)

// ErrPayloadFormat is wrapped by every block parse error (termination
// reason 10, "payload format error").
var ErrPayloadFormat = errors.New("transport: payload format error")

// FormatError returns an error wrapping ErrPayloadFormat.
func FormatError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrPayloadFormat}, args...)...)
}

// AppendBlockHeader appends a block's type and size.
func AppendBlockHeader(b []byte, typ uint8, size int) []byte {
	return append(b, typ, byte(size>>8), byte(size))
}

// AppendPadding appends a Padding block of n zero bytes. Padding is inside
// the AEAD, so its content does not matter to an observer (i2pd sends
// zeros too).
func AppendPadding(b []byte, n int) []byte {
	b = AppendBlockHeader(b, BlockPadding, n)
	for range n {
		b = append(b, 0)
	}
	return b
}

// AppendDateTime appends a DateTime block for t ("DateTime").
func AppendDateTime(b []byte, t time.Time) []byte {
	b = AppendBlockHeader(b, BlockDateTime, DateTimeLen)
	return binary.BigEndian.AppendUint32(b, UnixSeconds(t))
}

// ParseDateTime decodes a DateTime block's data.
func ParseDateTime(d []byte) (uint32, error) {
	if len(d) != DateTimeLen {
		return 0, FormatError("DateTime block of %d bytes", len(d))
	}
	return binary.BigEndian.Uint32(d), nil
}

// AppendTermination appends a Termination block of type typ: how many
// valid frames or packets we received, and the reason.
func AppendTermination(b []byte, typ uint8, received uint64, reason uint8) []byte {
	b = AppendBlockHeader(b, typ, TerminationMinLen)
	b = binary.BigEndian.AppendUint64(b, received)
	return append(b, reason)
}

// ParseTermination decodes a Termination block's data; extra bytes after
// the reason are allowed ("addl data").
func ParseTermination(d []byte) (received uint64, reason uint8, err error) {
	if len(d) < TerminationMinLen {
		return 0, 0, FormatError("Termination block of %d bytes", len(d))
	}
	return binary.BigEndian.Uint64(d), d[8], nil
}

// AppendShortI2NPHeader appends m's 9-byte short I2NP header.
func AppendShortI2NPHeader(b []byte, m *Message) []byte {
	b = append(b, m.Type)
	b = binary.BigEndian.AppendUint32(b, m.ID)
	return binary.BigEndian.AppendUint32(b, uint32(m.Expiration.Unix()))
}

// AppendI2NPBlock appends m as a block of type typ: the short header,
// then the payload.
func AppendI2NPBlock(b []byte, typ uint8, m *Message) []byte {
	b = AppendBlockHeader(b, typ, ShortI2NPHeaderLen+len(m.Payload))
	b = AppendShortI2NPHeader(b, m)
	return append(b, m.Payload...)
}

// ParseShortI2NP decodes an I2NP block's data (or an SSU2 First
// Fragment's); the payload aliases d.
func ParseShortI2NP(d []byte) (Message, error) {
	if len(d) < ShortI2NPHeaderLen {
		return Message{}, FormatError("I2NP block of %d bytes", len(d))
	}
	return Message{
		Type:       d[0],
		ID:         binary.BigEndian.Uint32(d[1:]),
		Expiration: time.Unix(int64(binary.BigEndian.Uint32(d[5:])), 0),
		Payload:    d[ShortI2NPHeaderLen:],
	}, nil
}

// WalkBlocks calls fn for each block of payload in order, enforcing the
// framing and the ordering rules both specs give ("Block Ordering
// Rules"): every block lies wholly inside the payload; at most one
// Padding, and it comes last; Termination (of type termination) is last
// but for Padding. Unknown types reach fn as well, which skips them. fn's
// data aliases payload.
func WalkBlocks(payload []byte, termination uint8, fn func(typ uint8, data []byte) error) error {
	sawPadding, sawTermination := false, false
	for off := 0; off < len(payload); {
		if len(payload)-off < BlockHeaderLen {
			return FormatError("%d trailing bytes, short of a block header", len(payload)-off)
		}
		typ := payload[off]
		size := int(binary.BigEndian.Uint16(payload[off+1:]))
		off += BlockHeaderLen
		if size > len(payload)-off {
			return FormatError("block type %d of %d bytes overruns the payload (%d left)", typ, size, len(payload)-off)
		}
		if sawPadding {
			return FormatError("block type %d after padding", typ)
		}
		if sawTermination && typ != BlockPadding {
			return FormatError("block type %d after termination", typ)
		}
		switch typ {
		case BlockPadding:
			sawPadding = true
		case termination:
			sawTermination = true
		}
		if err := fn(typ, payload[off:off+size]); err != nil {
			return err
		}
		off += size
	}
	return nil
}

// UnixSeconds is a DateTime or handshake timestamp: seconds since the
// epoch, rounded to the nearest second as both specs ask ("DateTime"),
// truncated to 32 bits (it wraps in 2106).
func UnixSeconds(t time.Time) uint32 {
	return uint32((t.UnixMilli() + 500) / 1000)
}

// Skew returns the peer's time ts minus ours, treating the 32-bit
// timestamps as wrapping.
func Skew(ts uint32, now time.Time) time.Duration {
	return time.Duration(int32(ts-UnixSeconds(now))) * time.Second
}
