package data

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Hash is a SHA-256 digest: router and destination hashes, netDb keys.
type Hash [32]byte

// HashOf returns SHA-256 of b.
func HashOf(b []byte) Hash { return sha256.Sum256(b) }

// String is the I2P Base64 form, as in routerInfo-<hash>.dat file names.
func (h Hash) String() string { return EncodeBase64(h[:]) }

// B32 is the .b32.i2p address of a destination with this hash.
func (h Hash) B32() string { return EncodeBase32(h[:]) + ".b32.i2p" }

// IsZero reports whether h is all zeros.
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHashBase64 parses a 44-character I2P Base64 hash.
func ParseHashBase64(s string) (Hash, error) {
	var h Hash
	b, err := DecodeBase64(s)
	if err != nil {
		return h, fmt.Errorf("data: hash %q: %w", s, err)
	}
	if len(b) != len(h) {
		return h, fmt.Errorf("data: hash %q: %d bytes, want 32", s, len(b))
	}
	copy(h[:], b)
	return h, nil
}

// ParseB32 parses a "<52 chars>.b32.i2p" address (or the bare 52
// characters) into the destination hash. Longer, encrypted-LeaseSet (b33)
// addresses are parsed by ParseB33.
func ParseB32(s string) (Hash, error) {
	var h Hash
	s = strings.TrimSuffix(strings.ToLower(s), ".b32.i2p")
	if len(s) != 52 {
		return h, fmt.Errorf("data: b32 address: %d characters, want 52", len(s))
	}
	b, err := DecodeBase32(s)
	if err != nil {
		return h, fmt.Errorf("data: b32 address: %w", err)
	}
	// Go's decoder skips '\r' and '\n', so 52 characters could decode to
	// fewer than 32 bytes, and the last character has 4 unused bits that
	// it ignores. Accept only the canonical spelling, as ParseB33 does, so
	// an address names one hash and a hash has one address.
	if EncodeBase32(b) != s {
		return h, fmt.Errorf("data: b32 address: not canonical Base32")
	}
	copy(h[:], b)
	return h, nil
}

// TunnelID identifies a tunnel at one hop; 4 bytes, big-endian.
type TunnelID uint32

// SessionKey is a 32-byte symmetric key.
type SessionKey [32]byte

// SessionTag is a 32-byte ElGamal/AES session tag.
type SessionTag [32]byte

// RatchetTag is the 8-byte session tag of ECIES-X25519 ratchet and
// ECIES-router replies.
type RatchetTag [8]byte

// Date is milliseconds since the epoch, 8 bytes big-endian; 0 means null.
type Date uint64

// DateOf converts t to a Date.
func DateOf(t time.Time) Date { return Date(t.UnixMilli()) }

// Time converts d to a time.Time; the zero Date gives the zero Time.
func (d Date) Time() time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(d)).UTC()
}

func appendDate(b []byte, d Date) []byte { return binary.BigEndian.AppendUint64(b, uint64(d)) }

// maxStringLen is the 1-byte length limit of an I2P String.
const maxStringLen = 255

// appendString appends an I2P String (1-byte length, then UTF-8 bytes).
func appendString(b []byte, s string) ([]byte, error) {
	if len(s) > maxStringLen {
		return b, fmt.Errorf("data: string of %d bytes exceeds 255", len(s))
	}
	// The parser (reader.str) rejects invalid UTF-8; never write what we
	// could not read back.
	if !utf8.ValidString(s) {
		return b, fmt.Errorf("data: string %q is not UTF-8", s)
	}
	b = append(b, byte(len(s)))
	return append(b, s...), nil
}

func (r *reader) str() (string, error) {
	n, err := r.u8()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(int(n))
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", invalidf("string is not UTF-8")
	}
	return string(b), nil
}
