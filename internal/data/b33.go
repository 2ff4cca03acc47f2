package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/veil-i2p/veil/internal/crypto"
)

// B33 is the content of a "b33" address (b32encrypted.rst; proposal 149):
// a longer .b32.i2p name that carries a Destination's signing public key
// instead of its hash, so that a client can derive the blinded key and
// find and decrypt its EncryptedLeaseSet.
//
//	flags(1) || sig type(1 or 2) || blinded sig type(1 or 2) || public key
//
// with the first three bytes XORed with the low three bytes of CRC-32
// (IEEE, as zlib and java.util.zip compute it) of everything after them,
// then lower-case Base32 without padding, and ".b32.i2p" appended. A
// 32-byte key gives 56 characters, against 52 for a plain hash address.
type B33 struct {
	SigType     crypto.SigType // of the public key: 7 or 11 in practice
	BlindedType crypto.SigType // 11
	PublicKey   []byte
	B33Flags
}

// B33Flags are the hints a b33 address gives a client about what else it
// needs to decrypt (b32encrypted.rst, "Secret and Private Key Bits").
type B33Flags struct {
	Secret        bool // flag bit 1: a secret is required
	PerClientAuth bool // flag bit 2: a client private key (or PSK) is required
}

const (
	b33TwoByteTypes = 1 << 0
	b33Secret       = 1 << 1
	b33PerClient    = 1 << 2
	b33KnownFlags   = b33TwoByteTypes | b33Secret | b33PerClient

	b32Suffix = ".b32.i2p"
	// b33MaxChars bounds the input before decoding: the longest known
	// public key (RSA-4096, 512 bytes) with two-byte types is 517 bytes.
	b33MaxChars = 1024
)

// EncodeB33 returns the b33 address (with ".b32.i2p") for a signing
// public key of type pubType blinded to blindedType. One-byte type fields
// are used when both types fit, as the spec expects ("Don't expect 2-byte
// sigtypes to ever happen").
func EncodeB33(pubType, blindedType crypto.SigType, pub []byte, f B33Flags) (string, error) {
	if !pubType.Known() || len(pub) != pubType.PubLen() {
		return "", fmt.Errorf("data: encode b33: %v public key of %d bytes", pubType, len(pub))
	}
	if !blindedType.Known() {
		return "", fmt.Errorf("data: encode b33: unknown blinded type %d", uint16(blindedType))
	}
	var flags byte
	if f.Secret {
		flags |= b33Secret
	}
	if f.PerClientAuth {
		flags |= b33PerClient
	}
	b := make([]byte, 0, 5+len(pub))
	if pubType > 0xFF || blindedType > 0xFF {
		b = append(b, flags|b33TwoByteTypes)
		b = binary.BigEndian.AppendUint16(b, uint16(pubType))
		b = binary.BigEndian.AppendUint16(b, uint16(blindedType))
	} else {
		b = append(b, flags, byte(pubType), byte(blindedType))
	}
	b = append(b, pub...)
	b33Mask(b)
	return EncodeBase32(b) + b32Suffix, nil
}

// String returns the address, or "" if a is not encodable.
func (a B33) String() string {
	s, _ := EncodeB33(a.SigType, a.BlindedType, a.PublicKey, a.B33Flags)
	return s
}

// Blinding returns what a client needs to look up a's EncryptedLeaseSets,
// given the secret (if a.Secret says one is needed).
func (a B33) Blinding(secret string) Blinding {
	return Blinding{SigType: a.SigType, PublicKey: a.PublicKey, Secret: secret}
}

// b33Mask XORs the checksum into (or out of) the first three bytes: the
// same operation both ways, since the CRC covers only bytes 3 onwards.
func b33Mask(b []byte) {
	c := crc32.ChecksumIEEE(b[3:])
	b[0] ^= byte(c)
	b[1] ^= byte(c >> 8)
	b[2] ^= byte(c >> 16)
}

// IsB33 reports whether s looks like a b33 rather than a plain b32
// address: the two are told apart by length, 52 characters for a hash and
// 56 or more for a key.
func IsB33(s string) bool {
	return len(strings.TrimSuffix(strings.ToLower(s), b32Suffix)) >= 56
}

// ParseB33 parses a b33 address, with or without ".b32.i2p", in either
// case. The checksum is not compared with anything: a mistyped address
// unmasks to garbage flags, types or length, which are rejected; unused
// flag bits and non-zero trailing Base32 bits are rejected for the same
// reason.
func ParseB33(s string) (B33, error) {
	a, err := parseB33(s)
	if err != nil {
		return B33{}, fmt.Errorf("data: b33 address: %w", err)
	}
	return a, nil
}

func parseB33(s string) (B33, error) {
	s = strings.TrimSuffix(strings.ToLower(s), b32Suffix)
	if len(s) < 56 || len(s) > b33MaxChars {
		return B33{}, invalidf("%d characters, want 56 to %d", len(s), b33MaxChars)
	}
	b, err := DecodeBase32(s)
	if err != nil {
		return B33{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	// "Any unused bits at the end of the b32 must be 0": only then does
	// the address have a single spelling.
	if EncodeBase32(b) != s {
		return B33{}, invalidf("non-canonical Base32 (unused trailing bits set)")
	}
	b33Mask(b)
	flags := b[0]
	if flags&^b33KnownFlags != 0 {
		return B33{}, invalidf("unknown flags %#02x (mistyped address?)", flags)
	}
	a := B33{B33Flags: B33Flags{Secret: flags&b33Secret != 0, PerClientAuth: flags&b33PerClient != 0}}
	var key []byte
	if flags&b33TwoByteTypes != 0 {
		if len(b) < 5 {
			return B33{}, ErrTruncated
		}
		a.SigType = crypto.SigType(binary.BigEndian.Uint16(b[1:]))
		a.BlindedType = crypto.SigType(binary.BigEndian.Uint16(b[3:]))
		key = b[5:]
	} else {
		a.SigType, a.BlindedType = crypto.SigType(b[1]), crypto.SigType(b[2])
		key = b[3:]
	}
	if !a.SigType.Known() || !a.BlindedType.Known() {
		return B33{}, invalidf("unknown sig types %d/%d (mistyped address?)", uint16(a.SigType), uint16(a.BlindedType))
	}
	if len(key) != a.SigType.PubLen() {
		return B33{}, invalidf("%v public key of %d bytes, want %d", a.SigType, len(key), a.SigType.PubLen())
	}
	a.PublicKey = bytes.Clone(key)
	return a, nil
}
