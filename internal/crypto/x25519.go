package crypto

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
)

// X25519KeyLen is the length of X25519 private keys, public keys and shared
// secrets. All three are little-endian byte strings as in RFC 7748 §5; I2P
// carries them unchanged (common-structures.rst, crypto type 4; ntcp2.rst).
const X25519KeyLen = 32

// ErrLowOrderPoint is returned by X25519 when the peer's public key is a
// low-order point, which would make the shared secret all zeros and so
// independent of our private key (RFC 7748 §6.1).
var ErrLowOrderPoint = errors.New("crypto: x25519: low-order peer public key")

// GenerateX25519 returns a fresh X25519 key pair. The 32 private bytes are
// read from rand as-is (clamping happens inside the scalar multiplication),
// so a deterministic reader gives a deterministic key; a nil rand means
// crypto/rand.Reader.
//
// crypto/ecdh's own GenerateKey ignores its reader since Go 1.26, which is why
// the bytes are read here.
func GenerateX25519(rand io.Reader) (priv, pub [32]byte, err error) {
	if _, err = io.ReadFull(orCryptoRand(rand), priv[:]); err != nil {
		return priv, pub, fmt.Errorf("crypto: x25519: generate: %w", err)
	}
	p, err := X25519Public(priv[:])
	if err != nil {
		return priv, pub, err
	}
	return priv, p, nil
}

// X25519Public returns the public key for a 32-byte private key.
func X25519Public(priv []byte) ([32]byte, error) {
	var pub [32]byte
	k, err := ecdh.X25519().NewPrivateKey(priv)
	if err != nil {
		return pub, fmt.Errorf("crypto: x25519: private key: %w", err)
	}
	copy(pub[:], k.PublicKey().Bytes())
	return pub, nil
}

// X25519 computes the 32-byte shared secret between our private key and the
// peer's public key. It fails with ErrLowOrderPoint when the result is all
// zeros: Noise (§12.1 of the Noise spec) allows either accepting or rejecting
// such keys, and rejecting them keeps a hostile peer from forcing a known
// chaining-key input into a handshake.
//
// It costs two scalar multiplications (see X25519Key); a key used for
// many DHs should be an X25519Key.
func X25519(priv, peerPub []byte) ([]byte, error) {
	if len(priv) != X25519KeyLen || len(peerPub) != X25519KeyLen {
		return nil, fmt.Errorf("crypto: x25519: key lengths %d/%d, want 32", len(priv), len(peerPub))
	}
	return NewX25519Key((*[32]byte)(priv)).DH(peerPub)
}

// X25519Key is an X25519 private key taken once for many DHs. crypto/ecdh
// computes the public key whenever it takes a private key, a scalar
// multiplication as costly as the DH itself, so X25519 does two; a static
// key (a router's build record key, say) done this way costs one per DH.
// An X25519Key is read-only after NewX25519Key and safe for concurrent
// use.
type X25519Key struct {
	k   *ecdh.PrivateKey
	err error // crypto/ecdh refused the key (FIPS 140-only mode)
}

// NewX25519Key prepares priv for DH. It cannot fail for a 32-byte key
// except in FIPS 140-only mode, which forbids X25519: then every DH
// returns the error.
func NewX25519Key(priv *[32]byte) *X25519Key {
	k, err := ecdh.X25519().NewPrivateKey(priv[:])
	if err != nil {
		err = fmt.Errorf("crypto: x25519: private key: %w", err)
	}
	return &X25519Key{k: k, err: err}
}

// DH is X25519(priv, peerPub) for this key, with the same errors.
func (k *X25519Key) DH(peerPub []byte) ([]byte, error) {
	if k.err != nil {
		return nil, k.err
	}
	p, err := ecdh.X25519().NewPublicKey(peerPub)
	if err != nil {
		return nil, fmt.Errorf("crypto: x25519: public key: %w", err)
	}
	ss, err := k.k.ECDH(p)
	if err != nil {
		// crypto/ecdh reports the all-zero output as an error of its own;
		// give callers one sentinel to test for.
		return nil, ErrLowOrderPoint
	}
	var zero [32]byte
	if subtle.ConstantTimeCompare(ss, zero[:]) == 1 {
		return nil, ErrLowOrderPoint
	}
	return ss, nil
}

// orCryptoRand returns r, or crypto/rand.Reader when r is nil.
func orCryptoRand(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}
