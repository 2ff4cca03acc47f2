package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
)

// AES-256 as I2P uses it: CBC without padding of its own (callers pad to
// 16, cryptography.rst §"AES"), for NTCP2's ephemeral-key obfuscation
// (ntcp2.rst, SessionRequest/SessionCreated), tunnel layer encryption
// (tunnels/implementation.html) and ElGamal/AES+SessionTags; and single-block
// ECB for the tunnel IV (tunnels/implementation.html, "Participant
// Processing": each hop encrypts the IV with its IV key before and after the
// CBC layer, the "double IV encryption").

// AES sizes in bytes.
const (
	AESKeyLen   = 32
	AESBlockLen = aes.BlockSize
)

// ErrAESLength is returned when data is not a whole number of blocks or dst
// is shorter than src.
var ErrAESLength = errors.New("crypto: aes: length not a multiple of 16 or dst too short")

// AES256 is an expanded AES-256 key. Build it once per key (a tunnel hop, a
// session) and reuse it: expansion costs far more than a block. It is safe
// for concurrent use; its methods never allocate.
type AES256 struct {
	b cipher.Block
}

// NewAES256 expands a 32-byte key.
func NewAES256(key []byte) (*AES256, error) {
	if len(key) != AESKeyLen {
		return nil, fmt.Errorf("crypto: aes: key length %d, want 32", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("crypto: aes: %w", err)
	}
	return &AES256{b: b}, nil
}

// aesCheckLens validates the preconditions shared by every mode: whole
// blocks and room in dst.
func aesCheckLens(dst, src []byte) error {
	if len(src)%AESBlockLen != 0 || len(dst) < len(src) {
		return ErrAESLength
	}
	return nil
}

// The loops below pass only caller memory to the cipher.Block interface:
// a stack scratch block would escape through the interface call and cost
// an allocation per call. dst may be src itself; any other overlap between
// dst, src and iv is a caller bug (crypto/aes panics on a partial overlap
// in ECB mode, and CBC output would be wrong).

// EncryptCBC encrypts src into dst in CBC mode with the 16-byte iv. To
// continue a CBC stream across calls (NTCP2 encrypts Y in SessionCreated
// with the state left by X in SessionRequest), pass a copy of the last
// ciphertext block of the previous call as iv.
func (c *AES256) EncryptCBC(iv, dst, src []byte) error {
	if len(iv) != AESBlockLen {
		return fmt.Errorf("crypto: aes: iv length %d, want 16", len(iv))
	}
	if err := aesCheckLens(dst, src); err != nil {
		return err
	}
	prev := iv
	for i := 0; i < len(src); i += AESBlockLen {
		d := dst[i : i+AESBlockLen]
		subtle.XORBytes(d, src[i:i+AESBlockLen], prev)
		c.b.Encrypt(d, d)
		prev = d
	}
	return nil
}

// DecryptCBC decrypts src into dst in CBC mode with the 16-byte iv.
func (c *AES256) DecryptCBC(iv, dst, src []byte) error {
	if len(iv) != AESBlockLen {
		return fmt.Errorf("crypto: aes: iv length %d, want 16", len(iv))
	}
	if err := aesCheckLens(dst, src); err != nil {
		return err
	}
	// Walk backwards so that, when decrypting in place, the previous
	// ciphertext block is still intact when it is XORed in.
	for i := len(src) - AESBlockLen; i >= 0; i -= AESBlockLen {
		d := dst[i : i+AESBlockLen]
		c.b.Decrypt(d, src[i:i+AESBlockLen])
		prev := iv
		if i > 0 {
			prev = src[i-AESBlockLen : i]
		}
		subtle.XORBytes(d, d, prev)
	}
	return nil
}

// EncryptECB encrypts each 16-byte block of src independently. Tunnel IV
// encryption calls it on exactly one block.
func (c *AES256) EncryptECB(dst, src []byte) error {
	if err := aesCheckLens(dst, src); err != nil {
		return err
	}
	for i := 0; i < len(src); i += AESBlockLen {
		c.b.Encrypt(dst[i:i+AESBlockLen], src[i:i+AESBlockLen])
	}
	return nil
}

// DecryptECB decrypts each 16-byte block of src independently.
func (c *AES256) DecryptECB(dst, src []byte) error {
	if err := aesCheckLens(dst, src); err != nil {
		return err
	}
	for i := 0; i < len(src); i += AESBlockLen {
		c.b.Decrypt(dst[i:i+AESBlockLen], src[i:i+AESBlockLen])
	}
	return nil
}

// AESCBCEncrypt is a one-shot EncryptCBC for cold paths; it expands the key
// on every call.
func AESCBCEncrypt(key, iv, dst, src []byte) error {
	c, err := NewAES256(key)
	if err != nil {
		return err
	}
	return c.EncryptCBC(iv, dst, src)
}

// AESCBCDecrypt is a one-shot DecryptCBC for cold paths.
func AESCBCDecrypt(key, iv, dst, src []byte) error {
	c, err := NewAES256(key)
	if err != nil {
		return err
	}
	return c.DecryptCBC(iv, dst, src)
}
