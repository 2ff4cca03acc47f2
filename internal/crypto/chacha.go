package crypto

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// ChaCha20 and ChaCha20-Poly1305 as I2P uses them. The AEAD is RFC 7539
// §2.8 with a 12-byte nonce whose first 4 bytes are zero and whose last 8
// bytes are a little-endian counter (ntcp2.rst §"ChaCha20/Poly1305",
// ecies.rst §"Existing Session Inputs"; SSU2 uses the same layout with its
// packet number as the counter). Raw ChaCha20 is RFC 7539 §2.4 with a
// 32-bit block counter; SSU2 header protection uses it (ssu2.rst, "Header
// Encryption KDF").

// ChaCha sizes in bytes.
const (
	ChaChaKeyLen       = chacha20poly1305.KeySize
	ChaChaNonceLen     = chacha20poly1305.NonceSize
	ChaChaPolyOverhead = chacha20poly1305.Overhead
)

// ErrChaChaPolyOpen is returned when a ChaCha20-Poly1305 frame fails
// authentication: wrong key, wrong nonce, wrong associated data or
// tampering. It deliberately says nothing more.
var ErrChaChaPolyOpen = errors.New("crypto: chachapoly open: authentication failed")

// ChaChaNonce returns I2P's 12-byte AEAD nonce for counter n.
func ChaChaNonce(n uint64) [ChaChaNonceLen]byte {
	var nonce [ChaChaNonceLen]byte
	binary.LittleEndian.PutUint64(nonce[4:], n)
	return nonce
}

// ChaChaPoly is a ChaCha20-Poly1305 key with a scratch nonce, for the data
// path: after NewChaChaPoly, Seal into a buffer with room for the tag does
// not allocate. (The nonce lives in the struct because a stack nonce would
// escape through the cipher.AEAD interface call and allocate per frame.)
//
// A ChaChaPoly is not safe for concurrent use; give each goroutine its own.
// The zero value is not usable. Callers own the counter and must never
// reuse an n under one key; NTCP2 and the ratchet cap it below 2^64-1.
type ChaChaPoly struct {
	aead  cipher.AEAD
	nonce [ChaChaNonceLen]byte
}

// NewChaChaPoly returns a ChaChaPoly for key.
func NewChaChaPoly(key *[ChaChaKeyLen]byte) *ChaChaPoly {
	c := new(ChaChaPoly)
	c.SetKey(key)
	return c
}

// SetKey replaces the key, for reusing one ChaChaPoly across rekeys.
func (c *ChaChaPoly) SetKey(key *[ChaChaKeyLen]byte) {
	a, err := chacha20poly1305.New(key[:])
	if err != nil {
		// It fails only for a wrong key length, which the array type rules
		// out, or under GODEBUG=fips140=only, which veil cannot run under
		// anyway: I2P's ciphers are not FIPS-approved.
		panic("crypto: chachapoly: " + err.Error())
	}
	c.aead = a
}

// Seal appends the encryption of plaintext with counter n and associated
// data ad, plus the 16-byte tag, to dst and returns the result. plaintext
// and dst may alias exactly (dst[:0] over the plaintext buffer).
func (c *ChaChaPoly) Seal(n uint64, dst, plaintext, ad []byte) []byte {
	binary.LittleEndian.PutUint64(c.nonce[4:], n)
	return c.aead.Seal(dst, c.nonce[:], plaintext, ad)
}

// Open authenticates and decrypts ciphertext (which ends in the tag) with
// counter n and associated data ad, appends the plaintext to dst and
// returns it. On failure it returns ErrChaChaPolyOpen; dst's spare capacity
// may have been overwritten.
func (c *ChaChaPoly) Open(n uint64, dst, ciphertext, ad []byte) ([]byte, error) {
	if len(ciphertext) < ChaChaPolyOverhead {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the tag", ErrChaChaPolyOpen, len(ciphertext))
	}
	binary.LittleEndian.PutUint64(c.nonce[4:], n)
	out, err := c.aead.Open(dst, c.nonce[:], ciphertext, ad)
	if err != nil {
		return nil, ErrChaChaPolyOpen
	}
	return out, nil
}

// ChaChaPolySeal is a one-shot Seal for handshakes and other cold paths
// (it allocates the cipher state).
func ChaChaPolySeal(key *[ChaChaKeyLen]byte, n uint64, dst, plaintext, ad []byte) []byte {
	var c ChaChaPoly
	c.SetKey(key)
	return c.Seal(n, dst, plaintext, ad)
}

// ChaChaPolyOpen is a one-shot Open for handshakes and other cold paths.
func ChaChaPolyOpen(key *[ChaChaKeyLen]byte, n uint64, dst, ciphertext, ad []byte) ([]byte, error) {
	var c ChaChaPoly
	c.SetKey(key)
	return c.Open(n, dst, ciphertext, ad)
}

// ChaCha20XOR XORs src with the raw ChaCha20 key stream for key and the
// 12-byte nonce, starting at 64-byte block counter, into dst (RFC 7539
// §2.4). dst may be src itself. It fails rather than wrap the 32-bit block
// counter.
func ChaCha20XOR(key *[ChaChaKeyLen]byte, nonce *[ChaChaNonceLen]byte, counter uint32, dst, src []byte) error {
	if len(dst) < len(src) {
		return fmt.Errorf("crypto: chacha20: dst %d bytes, src %d", len(dst), len(src))
	}
	blocks := (uint64(len(src)) + 63) / 64
	if uint64(counter)+blocks > 1<<32 {
		return errors.New("crypto: chacha20: block counter would overflow")
	}
	s, err := chacha20.NewUnauthenticatedCipher(key[:], nonce[:])
	if err != nil {
		return fmt.Errorf("crypto: chacha20: %w", err)
	}
	s.SetCounter(counter)
	s.XORKeyStream(dst[:len(src)], src)
	return nil
}
