package crypto

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// ElGamal-2048 as I2P uses it: cryptography.rst §"ElGamal" (block format),
// tunnel-creation.rst §"Request Record Encryption" (the 512-byte form) and
// docs/how/elgamal-aes.html (the 514-byte block in garlic messages).
//
// ElGamal is legacy in I2P (deprecated for router identities since 0.9.58);
// veil needs it only to talk to old Destinations and to parse old build
// records. The arithmetic uses math/big and is not constant time: a
// decrypting router leaks timing about its private key to anyone who can
// measure it, so do not hold long-lived ElGamal keys where that matters.

// ElGamal sizes in bytes.
const (
	// ElGamalKeyLen is the length of a private exponent and of a public key,
	// both big-endian, zero-padded on the left (common-structures.rst
	// PrivateKey/PublicKey, crypto type 0).
	ElGamalKeyLen = 256
	// ElGamalMaxData is the most plaintext one block carries:
	// 255-byte block = 1 nonzero byte + 32-byte SHA-256 + data.
	ElGamalMaxData = 222
	// ElGamalCiphertextLen is the usual encoding: each of the two 256-byte
	// group elements prefixed with one zero byte (cryptography.rst, "Each
	// encrypted part is prepended with zeros to a size of exactly 257 bytes").
	ElGamalCiphertextLen = 514
	// ElGamalCiphertextUnpaddedLen is the encoding inside ElGamal tunnel
	// build records, which drop the two zero bytes at offsets 0 and 257
	// (tunnel-creation.rst, "Request Record Encryption").
	ElGamalCiphertextUnpaddedLen = 512
)

// ElGamal errors.
var (
	ErrElGamalHash       = errors.New("crypto: elgamal decrypt: hash mismatch")
	ErrElGamalCiphertext = errors.New("crypto: elgamal decrypt: malformed ciphertext")
	ErrElGamalKey        = errors.New("crypto: elgamal: invalid key")
)

// elgP is the RFC 3526 §3 2048-bit MODP prime (cryptography.rst quotes it).
// It and the derived values below are read-only after package init.
var (
	elgP = elgHex("" +
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
		"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
		"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
		"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
		"83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
		"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
		"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9" +
		"DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
		"15728E5A8AACAA68FFFFFFFFFFFFFFFF")
	elgG   = big.NewInt(2)
	elgPm1 = new(big.Int).Sub(elgP, big.NewInt(1)) // p-1, the exponent group order bound
	elgPm2 = new(big.Int).Sub(elgP, big.NewInt(2))
)

func elgHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("crypto: bad ElGamal constant")
	}
	return n
}

// elgMaxTries bounds the rejection sampling of exponents. A uniform
// 2048-bit value falls outside [1, p-2] with probability about 2^-64, so
// hitting the bound means the reader is broken (for example all zeros).
const elgMaxTries = 8

// elgRandomExponent reads a uniform exponent in [1, p-2] from r.
func elgRandomExponent(r io.Reader) (*big.Int, error) {
	var buf [ElGamalKeyLen]byte
	for range elgMaxTries {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return nil, err
		}
		k := new(big.Int).SetBytes(buf[:])
		if k.Sign() > 0 && k.Cmp(elgPm2) <= 0 {
			return k, nil
		}
	}
	return nil, errors.New("random source produced no usable exponent")
}

// GenerateElGamal returns a new key pair: a full 2048-bit private exponent
// (routers stopped using the 226-bit short exponent in 0.9.8, see
// cryptography.rst §"Short Exponent") and y = 2^x mod p, both as 256 bytes.
// A nil rand means crypto/rand.Reader.
func GenerateElGamal(rand io.Reader) (priv, pub []byte, err error) {
	x, err := elgRandomExponent(orCryptoRand(rand))
	if err != nil {
		return nil, nil, fmt.Errorf("crypto: elgamal: generate: %w", err)
	}
	y := new(big.Int).Exp(elgG, x, elgP)
	priv = x.FillBytes(make([]byte, ElGamalKeyLen))
	pub = y.FillBytes(make([]byte, ElGamalKeyLen))
	return priv, pub, nil
}

// ElGamalPublicKey derives the public key 2^x mod p from a private key.
func ElGamalPublicKey(priv []byte) ([]byte, error) {
	x, err := elgPrivate(priv)
	if err != nil {
		return nil, err
	}
	return new(big.Int).Exp(elgG, x, elgP).FillBytes(make([]byte, ElGamalKeyLen)), nil
}

// ElGamalEncrypt encrypts up to ElGamalMaxData bytes to pub and returns the
// 514-byte form. The block is `nonzero byte | SHA-256(data) | data`; the
// leading byte is random and nonzero (it was always 0xFF before 0.9.28).
// Callers should pad short data to 222 random bytes themselves, as the spec
// recommends, because a short block leaves the top of the group element zero.
func ElGamalEncrypt(pub, data []byte, rand io.Reader) ([]byte, error) {
	a, b, err := elgEncrypt(pub, data, rand)
	if err != nil {
		return nil, err
	}
	out := make([]byte, ElGamalCiphertextLen)
	a.FillBytes(out[1:257])
	b.FillBytes(out[258:514])
	return out, nil
}

// ElGamalEncryptUnpadded is ElGamalEncrypt returning the 512-byte form used
// in ElGamal tunnel build request records.
func ElGamalEncryptUnpadded(pub, data []byte, rand io.Reader) ([]byte, error) {
	a, b, err := elgEncrypt(pub, data, rand)
	if err != nil {
		return nil, err
	}
	out := make([]byte, ElGamalCiphertextUnpaddedLen)
	a.FillBytes(out[:256])
	b.FillBytes(out[256:])
	return out, nil
}

func elgEncrypt(pub, data []byte, rand io.Reader) (a, b *big.Int, err error) {
	if len(data) > ElGamalMaxData {
		return nil, nil, fmt.Errorf("crypto: elgamal encrypt: %d data bytes, max %d", len(data), ElGamalMaxData)
	}
	y, err := elgPublic(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("crypto: elgamal encrypt: %w", err)
	}
	rand = orCryptoRand(rand)

	var block [1 + sha256.Size + ElGamalMaxData]byte
	if _, err := io.ReadFull(rand, block[:1]); err != nil {
		return nil, nil, fmt.Errorf("crypto: elgamal encrypt: %w", err)
	}
	if block[0] == 0 {
		// The byte marks where the block starts inside the 256-byte group
		// element, so it must not be zero; its value carries no meaning.
		block[0] = 0xFF
	}
	h := sha256.Sum256(data)
	copy(block[1:], h[:])
	n := 1 + sha256.Size + copy(block[1+sha256.Size:], data)
	m := new(big.Int).SetBytes(block[:n])

	k, err := elgRandomExponent(rand)
	if err != nil {
		return nil, nil, fmt.Errorf("crypto: elgamal encrypt: %w", err)
	}
	a = new(big.Int).Exp(elgG, k, elgP)
	b = new(big.Int).Exp(y, k, elgP)
	b.Mul(b, m).Mod(b, elgP)
	return a, b, nil
}

// ElGamalDecrypt decrypts a 514-byte or 512-byte ciphertext (the length
// tells the forms apart) and returns the data after checking its SHA-256.
// The result holds at most ElGamalMaxData bytes; a block shorter than 255
// bytes yields correspondingly shorter data.
func ElGamalDecrypt(priv, ct []byte) ([]byte, error) {
	var ab, bb []byte
	switch len(ct) {
	case ElGamalCiphertextLen:
		if ct[0] != 0 || ct[257] != 0 {
			return nil, ErrElGamalCiphertext
		}
		ab, bb = ct[1:257], ct[258:514]
	case ElGamalCiphertextUnpaddedLen:
		ab, bb = ct[:256], ct[256:]
	default:
		return nil, fmt.Errorf("%w: length %d", ErrElGamalCiphertext, len(ct))
	}
	x, err := elgPrivate(priv)
	if err != nil {
		return nil, fmt.Errorf("crypto: elgamal decrypt: %w", err)
	}
	a := new(big.Int).SetBytes(ab)
	b := new(big.Int).SetBytes(bb)
	if a.Sign() == 0 || a.Cmp(elgP) >= 0 || b.Sign() == 0 || b.Cmp(elgP) >= 0 {
		return nil, ErrElGamalCiphertext
	}

	// m = b * a^(p-1-x) mod p, which is b / a^x without a modular inverse.
	e := new(big.Int).Mod(x, elgPm1)
	e.Sub(elgPm1, e)
	m := new(big.Int).Exp(a, e, elgP)
	m.Mul(m, b).Mod(m, elgP)

	var buf [ElGamalKeyLen]byte
	m.FillBytes(buf[:])
	// The first nonzero byte is the block's marker byte. Index 0 would mean
	// a 256-byte block, one longer than any sender produces.
	i := 1
	for i < len(buf) && buf[i] == 0 {
		i++
	}
	if buf[0] != 0 || len(buf)-i < 1+sha256.Size {
		return nil, ErrElGamalHash
	}
	sum := buf[i+1 : i+1+sha256.Size]
	data := buf[i+1+sha256.Size:]
	h := sha256.Sum256(data)
	if subtle.ConstantTimeCompare(h[:], sum) != 1 {
		return nil, ErrElGamalHash
	}
	return append([]byte(nil), data...), nil
}

func elgPublic(pub []byte) (*big.Int, error) {
	if len(pub) != ElGamalKeyLen {
		return nil, fmt.Errorf("%w: public key length %d", ErrElGamalKey, len(pub))
	}
	y := new(big.Int).SetBytes(pub)
	// 0, 1 and p-1 (and anything >= p) give ciphertexts that reveal m.
	if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(elgPm1) >= 0 {
		return nil, fmt.Errorf("%w: public key out of range", ErrElGamalKey)
	}
	return y, nil
}

func elgPrivate(priv []byte) (*big.Int, error) {
	if len(priv) != ElGamalKeyLen {
		return nil, fmt.Errorf("%w: private key length %d", ErrElGamalKey, len(priv))
	}
	x := new(big.Int).SetBytes(priv)
	if x.Sign() == 0 {
		return nil, fmt.Errorf("%w: zero private key", ErrElGamalKey)
	}
	return x, nil
}
