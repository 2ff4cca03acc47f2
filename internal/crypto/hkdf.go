package crypto

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
)

// HKDF and HMAC-SHA256 as every X25519-era I2P protocol uses them:
// `HKDF(salt, ikm, info, n)` is RFC 5869 with HMAC-SHA256 (ecies.rst,
// "HKDF"; ntcp2.rst and ssu2.rst KDFs), and the NTCP2 data-phase and
// SipHash KDFs are spelled out as raw HMAC-SHA256 chains (ntcp2.rst, "Key
// Derivation Function (KDF) (for data phase)").

// HKDFMaxLen is the most output RFC 5869 allows with SHA-256 (255 blocks).
const HKDFMaxLen = 255 * sha256.Size

// HKDF derives n bytes from ikm with the given salt and info (RFC 5869,
// HMAC-SHA256). A nil or empty salt means 32 zero bytes, as in the RFC; I2P
// always passes a 32-byte chaining key or a fixed label. ikm may be empty
// (the SSU2 data-phase split is HKDF(ck, "", "", 64)).
//
// n is chosen by the caller, never by a peer; it panics if n is negative or
// above HKDFMaxLen, which is a programming error.
func HKDF(salt, ikm []byte, info string, n int) []byte {
	if n < 0 || n > HKDFMaxLen {
		panic(fmt.Sprintf("crypto: hkdf: output length %d out of range", n))
	}
	out, err := hkdf.Key(sha256.New, ikm, salt, info, n)
	if err != nil {
		// crypto/hkdf fails only for out-of-range lengths (checked above)
		// or, in FIPS 140-only mode, for short keys, which I2P cannot avoid.
		panic("crypto: hkdf: " + err.Error())
	}
	return out
}

// HMACSHA256 returns HMAC-SHA256(key, data[0] || data[1] || ...). Passing the
// pieces separately saves callers from concatenating, e.g. for NTCP2's
// `HMAC-SHA256(temp_key, k_ab || byte(0x02))`.
func HMACSHA256(key []byte, data ...[]byte) [sha256.Size]byte {
	m := hmac.New(sha256.New, key)
	for _, d := range data {
		m.Write(d)
	}
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}
