package crypto

import (
	"crypto/mlkem"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/cloudflare/circl/kem"
	"github.com/cloudflare/circl/kem/mlkem/mlkem1024"
	"github.com/cloudflare/circl/kem/mlkem/mlkem512"
	"github.com/cloudflare/circl/kem/mlkem/mlkem768"
)

// ML-KEM (FIPS 203) for the post-quantum hybrid ratchet and, later, NTCP2
// (ecies-hybrid.rst; proposals/169-pq-crypto.rst). Only the encapsulation
// key and the ciphertext go on the wire (in NS and NSR); the decapsulation
// key stays in memory for one handshake.
//
// ML-KEM-768 and -1024 use the standard library. The standard library has no
// ML-KEM-512, so it comes from github.com/cloudflare/circl, which is also
// used to read the expanded decapsulation-key encoding (the standard library
// only takes seeds).

// MLKEMLevel selects an ML-KEM parameter set by its name's number. The
// zero value is invalid; every method of an invalid level fails or returns 0.
type MLKEMLevel int

// ML-KEM parameter sets; I2P maps them to crypto types 5, 6, 7
// (MLKEM512_X25519, MLKEM768_X25519, MLKEM1024_X25519).
const (
	MLKEM512  MLKEMLevel = 512
	MLKEM768  MLKEMLevel = 768
	MLKEM1024 MLKEMLevel = 1024
)

// MLKEMLevelOf returns the ML-KEM half of a hybrid crypto type (5, 6, 7), or
// false for any other type.
func MLKEMLevelOf(t EncType) (MLKEMLevel, bool) {
	switch t {
	case EncMLKEM512X25519:
		return MLKEM512, true
	case EncMLKEM768X25519:
		return MLKEM768, true
	case EncMLKEM1024X25519:
		return MLKEM1024, true
	}
	return 0, false
}

// ML-KEM sizes shared by all levels.
const (
	// MLKEMSeedLen is the seed form of a decapsulation key: d || z, the
	// two 32-byte inputs of ML-KEM.KeyGen_internal (FIPS 203 §6.1).
	// GenerateKey returns decapsulation keys in this form.
	MLKEMSeedLen = mlkem.SeedSize
	// MLKEMSharedKeyLen is the length of the shared secret.
	MLKEMSharedKeyLen = mlkem.SharedKeySize
)

// mlkemSizes: encapsulation key, ciphertext, expanded decapsulation key
// (FIPS 203 Table 3; ecies-hybrid.rst gives the same numbers).
type mlkemSizes struct{ ek, ct, dk int }

func (l MLKEMLevel) sizes() (mlkemSizes, bool) {
	switch l {
	case MLKEM512:
		return mlkemSizes{mlkem512.PublicKeySize, mlkem512.CiphertextSize, mlkem512.PrivateKeySize}, true
	case MLKEM768:
		return mlkemSizes{mlkem.EncapsulationKeySize768, mlkem.CiphertextSize768, mlkem768.PrivateKeySize}, true
	case MLKEM1024:
		return mlkemSizes{mlkem.EncapsulationKeySize1024, mlkem.CiphertextSize1024, mlkem1024.PrivateKeySize}, true
	}
	return mlkemSizes{}, false
}

// Valid reports whether l is one of the three parameter sets.
func (l MLKEMLevel) Valid() bool { _, ok := l.sizes(); return ok }

func (l MLKEMLevel) String() string { return fmt.Sprintf("ML-KEM-%d", int(l)) }

// EncapsulationKeyLen is 800, 1184 or 1568.
func (l MLKEMLevel) EncapsulationKeyLen() int { s, _ := l.sizes(); return s.ek }

// CiphertextLen is 768, 1088 or 1568.
func (l MLKEMLevel) CiphertextLen() int { s, _ := l.sizes(); return s.ct }

// DecapsulationKeyLen is the expanded FIPS 203 encoding, 1632, 2400 or 3168.
// Decapsulate also accepts the MLKEMSeedLen seed form.
func (l MLKEMLevel) DecapsulationKeyLen() int { s, _ := l.sizes(); return s.dk }

func (l MLKEMLevel) check() (mlkemSizes, error) {
	s, ok := l.sizes()
	if !ok {
		return s, fmt.Errorf("crypto: mlkem: unknown level %d", int(l))
	}
	return s, nil
}

// GenerateKey reads a 64-byte seed from rand (nil means crypto/rand.Reader)
// and returns it as the decapsulation key, with the encapsulation key.
// Reading the seed here, rather than letting the library draw it, makes a
// seeded reader give a reproducible key.
func (l MLKEMLevel) GenerateKey(rand io.Reader) (dk, ek []byte, err error) {
	if _, err := l.check(); err != nil {
		return nil, nil, err
	}
	seed := make([]byte, MLKEMSeedLen)
	if _, err := io.ReadFull(orCryptoRand(rand), seed); err != nil {
		return nil, nil, fmt.Errorf("crypto: %v: generate: %w", l, err)
	}
	ek, err = l.EncapsulationKey(seed)
	if err != nil {
		return nil, nil, err
	}
	return seed, ek, nil
}

// EncapsulationKey derives the encapsulation key from a decapsulation key in
// either form.
func (l MLKEMLevel) EncapsulationKey(dk []byte) ([]byte, error) {
	s, err := l.check()
	if err != nil {
		return nil, err
	}
	switch {
	case len(dk) == MLKEMSeedLen && l == MLKEM768:
		k, err := mlkem.NewDecapsulationKey768(dk)
		if err != nil {
			return nil, fmt.Errorf("crypto: %v: %w", l, err)
		}
		return k.EncapsulationKey().Bytes(), nil
	case len(dk) == MLKEMSeedLen && l == MLKEM1024:
		k, err := mlkem.NewDecapsulationKey1024(dk)
		if err != nil {
			return nil, fmt.Errorf("crypto: %v: %w", l, err)
		}
		return k.EncapsulationKey().Bytes(), nil
	case len(dk) == MLKEMSeedLen || len(dk) == s.dk:
		sk, err := l.circlPrivate(dk)
		if err != nil {
			return nil, err
		}
		return sk.Public().MarshalBinary()
	}
	return nil, fmt.Errorf("crypto: %v: decapsulation key length %d, want %d or %d", l, len(dk), MLKEMSeedLen, s.dk)
}

// ExpandDecapsulationKey converts a 64-byte seed to the expanded FIPS 203
// decapsulation-key encoding, for interop with tools that store that form.
func (l MLKEMLevel) ExpandDecapsulationKey(seed []byte) ([]byte, error) {
	if _, err := l.check(); err != nil {
		return nil, err
	}
	if len(seed) != MLKEMSeedLen {
		return nil, fmt.Errorf("crypto: %v: seed length %d, want %d", l, len(seed), MLKEMSeedLen)
	}
	sk, err := l.circlPrivate(seed)
	if err != nil {
		return nil, err
	}
	return sk.MarshalBinary()
}

// Encapsulate generates a fresh shared secret and its ciphertext for the
// peer's encapsulation key. It rejects keys that fail the FIPS 203 §7.2
// modulus check, so a malformed key from the wire is an error, not a panic.
func (l MLKEMLevel) Encapsulate(ek []byte) (ct, ss []byte, err error) {
	s, err := l.check()
	if err != nil {
		return nil, nil, err
	}
	if len(ek) != s.ek {
		return nil, nil, fmt.Errorf("crypto: %v: encapsulation key length %d, want %d", l, len(ek), s.ek)
	}
	switch l {
	case MLKEM768:
		k, err := mlkem.NewEncapsulationKey768(ek)
		if err != nil {
			return nil, nil, fmt.Errorf("crypto: %v: encapsulation key: %w", l, err)
		}
		ss, ct = k.Encapsulate()
		return ct, ss, nil
	case MLKEM1024:
		k, err := mlkem.NewEncapsulationKey1024(ek)
		if err != nil {
			return nil, nil, fmt.Errorf("crypto: %v: encapsulation key: %w", l, err)
		}
		ss, ct = k.Encapsulate()
		return ct, ss, nil
	}
	// Draw m here: circl would panic if its own draw failed.
	m := make([]byte, mlkem512.EncapsulationSeedSize)
	if _, err := io.ReadFull(rand.Reader, m); err != nil {
		return nil, nil, fmt.Errorf("crypto: %v: encapsulate: %w", l, err)
	}
	return l.circlEncapsulate(ek, m)
}

// Decapsulate recovers the shared secret from ct with dk in either form
// (seed or expanded). A ciphertext of the right length never fails: per
// FIPS 203 a forged one yields an unrelated pseudorandom secret ("implicit
// rejection"), and the AEAD that follows in the protocol catches it.
func (l MLKEMLevel) Decapsulate(dk, ct []byte) ([]byte, error) {
	s, err := l.check()
	if err != nil {
		return nil, err
	}
	if len(ct) != s.ct {
		return nil, fmt.Errorf("crypto: %v: ciphertext length %d, want %d", l, len(ct), s.ct)
	}
	switch {
	case len(dk) == MLKEMSeedLen && l == MLKEM768:
		k, err := mlkem.NewDecapsulationKey768(dk)
		if err != nil {
			return nil, fmt.Errorf("crypto: %v: %w", l, err)
		}
		return k.Decapsulate(ct)
	case len(dk) == MLKEMSeedLen && l == MLKEM1024:
		k, err := mlkem.NewDecapsulationKey1024(dk)
		if err != nil {
			return nil, fmt.Errorf("crypto: %v: %w", l, err)
		}
		return k.Decapsulate(ct)
	case len(dk) == MLKEMSeedLen || len(dk) == s.dk:
		sk, err := l.circlPrivate(dk)
		if err != nil {
			return nil, err
		}
		ss, err := l.circlScheme().Decapsulate(sk, ct)
		if err != nil {
			return nil, fmt.Errorf("crypto: %v: decapsulate: %w", l, err)
		}
		return ss, nil
	}
	return nil, fmt.Errorf("crypto: %v: decapsulation key length %d, want %d or %d", l, len(dk), MLKEMSeedLen, s.dk)
}

// circlScheme returns circl's implementation of l, which must be valid.
func (l MLKEMLevel) circlScheme() kem.Scheme {
	switch l {
	case MLKEM512:
		return mlkem512.Scheme()
	case MLKEM768:
		return mlkem768.Scheme()
	}
	return mlkem1024.Scheme()
}

// circlPrivate parses a seed or expanded decapsulation key with circl. The
// expanded form is checked for its embedded H(ek) (FIPS 203 §7.3).
func (l MLKEMLevel) circlPrivate(dk []byte) (kem.PrivateKey, error) {
	sch := l.circlScheme()
	if len(dk) == MLKEMSeedLen {
		_, sk := sch.DeriveKeyPair(dk) // length checked: cannot panic
		return sk, nil
	}
	sk, err := sch.UnmarshalBinaryPrivateKey(dk)
	if err != nil {
		return nil, fmt.Errorf("crypto: %v: decapsulation key: %w", l, err)
	}
	return sk, nil
}

// circlEncapsulate encapsulates to ek with the 32-byte message m
// (ML-KEM.Encaps_internal). Only the 512 path and tests call it.
func (l MLKEMLevel) circlEncapsulate(ek, m []byte) (ct, ss []byte, err error) {
	sch := l.circlScheme()
	pk, err := sch.UnmarshalBinaryPublicKey(ek)
	if err != nil {
		return nil, nil, fmt.Errorf("crypto: %v: encapsulation key: %w", l, err)
	}
	ct, ss, err = sch.EncapsulateDeterministically(pk, m)
	if err != nil {
		return nil, nil, fmt.Errorf("crypto: %v: encapsulate: %w", l, err)
	}
	return ct, ss, nil
}
