package crypto

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
// 2012) and the NTCP2 frame-length ratchet built on it (ntcp2.rst,
// "SipHash obfuscated length"). Written here rather than imported: it is a
// few dozen lines and NTCP2 is its only user.

// SipHash24 returns SipHash-2-4 of msg under the 128-bit key (k0, k1), where
// k0 and k1 are the two key halves read as little-endian uint64s (key bytes
// 0-7 and 8-15). The result is the 64-bit output; its little-endian bytes are
// what the reference implementation emits.
func SipHash24(k0, k1 uint64, msg []byte) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573

	n := len(msg)
	for len(msg) >= 8 {
		m := binary.LittleEndian.Uint64(msg)
		v3 ^= m
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m
		msg = msg[8:]
	}
	// Last block: the remaining 0-7 bytes, little-endian, with the message
	// length mod 256 in the top byte.
	b := uint64(n) << 56
	for i, c := range msg {
		b |= uint64(c) << (8 * i)
	}
	v3 ^= b
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= b

	v2 ^= 0xff
	for range 4 {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	return v0 ^ v1 ^ v2 ^ v3
}

// sipHash24Word is SipHash24 of the 8 little-endian bytes of m, unrolled for
// the ratchet, which hashes nothing else.
func sipHash24Word(k0, k1, m uint64) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573

	v3 ^= m
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= m

	const b = 8 << 56 // empty tail, length 8
	v3 ^= b
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= b

	v2 ^= 0xff
	for range 4 {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	return v0 ^ v1 ^ v2 ^ v3
}

func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}

// SipHashKeysLen is how many bytes of the NTCP2 sipkeys_ab/sipkeys_ba HMAC
// output the ratchet uses: k1, k2 and the initial IV, 8 bytes each.
const SipHashKeysLen = 24

// SipHashRatchet produces the per-frame length masks of one NTCP2 direction
// (ntcp2.rst, "SipHash obfuscated length"):
//
//	IV[n]   = SipHash-2-4(k1, k2, IV[n-1])   (the 8-byte IV is the message)
//	Mask[n] = low 16 bits of IV[n]
//
// The IV is kept as the uint64 whose little-endian bytes are the spec's
// 8-byte IV, so "first 2 bytes of IV[n]" and "least significant two bytes"
// (the spec's two wordings) are the same thing: IV[n] & 0xffff. The frame
// length is XORed with the mask and sent big-endian; that byte order is
// the caller's (ntcp2) business.
//
// The zero value is not usable. Not safe for concurrent use: each direction
// of a connection owns one, and both ends must call Next exactly once per
// frame, in order.
type SipHashRatchet struct {
	k0, k1, iv uint64
}

// NewSipHashRatchet builds a ratchet from the first 24 bytes of a direction's
// sipkeys HMAC output: k1 = LE(bytes 0-7), k2 = LE(bytes 8-15), IV[0] = bytes
// 16-23. (ntcp2.rst writes the slices as [0:7], [8:15], [16:23] meaning
// inclusive ranges of 8 bytes, and its summary line "two 8-byte keys (big
// endian)" contradicts the per-key "little endian"; the per-key text, which
// matches SipHash's own key encoding, is followed here.)
func NewSipHashRatchet(sipkeys []byte) (SipHashRatchet, error) {
	if len(sipkeys) < SipHashKeysLen {
		return SipHashRatchet{}, fmt.Errorf("crypto: siphash ratchet: %d key bytes, want %d", len(sipkeys), SipHashKeysLen)
	}
	return SipHashRatchet{
		k0: binary.LittleEndian.Uint64(sipkeys[0:8]),
		k1: binary.LittleEndian.Uint64(sipkeys[8:16]),
		iv: binary.LittleEndian.Uint64(sipkeys[16:24]),
	}, nil
}

// Next advances to the next IV and returns its 16-bit length mask. The
// first call returns the mask for the first frame, derived from IV[1].
func (r *SipHashRatchet) Next() uint16 {
	r.iv = sipHash24Word(r.k0, r.k1, r.iv)
	return uint16(r.iv)
}

// IV returns the current IV in the spec's 8-byte form, for tests and
// diagnostics.
func (r *SipHashRatchet) IV() [8]byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], r.iv)
	return b
}

// Zero wipes the keys and IV.
func (r *SipHashRatchet) Zero() { *r = SipHashRatchet{} }
