package i2np

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"time"
)

// Header lengths (i2np.rst, "I2NP message header").
const (
	StandardHeaderLen = 16 // type, msg_id, expiration (ms), size, chks
	ShortHeaderLen    = 9  // type, msg_id, short_expiration (s): NTCP2, SSU2, ratchet cloves
	MaxPayloadLen     = math.MaxUint16
)

// Header is what the standard and the short header have in common. The
// standard header adds the payload size and checksum, which its codec
// computes; the short header carries the expiration in whole seconds.
//
// A zero Expiration encodes as 0 and 0 decodes as the zero time.
type Header struct {
	Type       uint8
	ID         uint32
	Expiration time.Time
}

// ParseStandard parses one message with the 16-byte standard header from
// the front of b: the header, the payload (aliasing b) and the bytes after
// the message. It checks the size against b and the checksum (the first
// byte of SHA-256 of the payload), which every implementation still sends.
func ParseStandard(b []byte) (h Header, payload, rest []byte, err error) {
	if len(b) < StandardHeaderLen {
		return Header{}, nil, nil, perr("header", "", detail(ErrTruncated, "%d of %d bytes", len(b), StandardHeaderLen))
	}
	h.Type = b[0]
	h.ID = binary.BigEndian.Uint32(b[1:5])
	ms := binary.BigEndian.Uint64(b[5:13])
	if ms > math.MaxInt64 {
		return Header{}, nil, nil, perr("header", "expiration", detail(ErrInvalid, "%d ms", ms))
	}
	h.Expiration = timeOfMillis(ms)
	size := int(binary.BigEndian.Uint16(b[13:15]))
	if len(b)-StandardHeaderLen < size {
		return Header{}, nil, nil, perr("header", "size", detail(ErrTruncated, "size %d, %d bytes follow", size, len(b)-StandardHeaderLen))
	}
	payload = b[StandardHeaderLen : StandardHeaderLen+size : StandardHeaderLen+size]
	if sum := sha256.Sum256(payload); sum[0] != b[15] {
		return Header{}, nil, nil, perr("header", "chks", detail(ErrChecksum, "got %#02x, want %#02x", b[15], sum[0]))
	}
	return h, payload, b[StandardHeaderLen+size:], nil
}

// AppendStandard appends h and payload with the standard header. It fails
// only when the payload does not fit the 2-byte size.
func AppendStandard(b []byte, h Header, payload []byte) ([]byte, error) {
	if len(payload) > MaxPayloadLen {
		return b, perr("header", "size", detail(ErrTooLarge, "payload of %d bytes", len(payload)))
	}
	sum := sha256.Sum256(payload)
	b = append(b, h.Type)
	b = binary.BigEndian.AppendUint32(b, h.ID)
	b = binary.BigEndian.AppendUint64(b, millisOf(h.Expiration))
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	b = append(b, sum[0])
	return append(b, payload...), nil
}

// ParseShortHeader parses the 9-byte short header at the front of b and
// returns it with the rest of b, the payload, whose length the enclosing
// NTCP2/SSU2 block gives.
func ParseShortHeader(b []byte) (Header, []byte, error) {
	if len(b) < ShortHeaderLen {
		return Header{}, nil, perr("short header", "", detail(ErrTruncated, "%d of %d bytes", len(b), ShortHeaderLen))
	}
	h := Header{
		Type:       b[0],
		ID:         binary.BigEndian.Uint32(b[1:5]),
		Expiration: timeOfSeconds(binary.BigEndian.Uint32(b[5:9])),
	}
	return h, b[ShortHeaderLen:], nil
}

// AppendShortHeader appends the 9-byte short header; the expiration is
// truncated to whole seconds (it wraps in 2106, as the spec notes).
func AppendShortHeader(b []byte, h Header) []byte {
	b = append(b, h.Type)
	b = binary.BigEndian.AppendUint32(b, h.ID)
	return binary.BigEndian.AppendUint32(b, secondsOf(h.Expiration))
}

// Expired reports whether a message expiring at exp is expired at now,
// allowing skew for the peers' clocks (i2pd allows 60 s either way).
func Expired(exp, now time.Time, skew time.Duration) bool {
	return !exp.IsZero() && now.After(exp.Add(skew))
}

func timeOfMillis(ms uint64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms))
}

func millisOf(t time.Time) uint64 {
	if t.IsZero() || t.UnixMilli() <= 0 {
		return 0
	}
	return uint64(t.UnixMilli())
}

func timeOfSeconds(s uint32) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(int64(s), 0)
}

func secondsOf(t time.Time) uint32 {
	if t.IsZero() || t.Unix() <= 0 {
		return 0
	}
	return uint32(t.Unix())
}
