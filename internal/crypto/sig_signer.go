package crypto

import (
	"crypto/ed25519"
	"fmt"
	"io"

	"filippo.io/edwards25519"
)

// Signer holds a private signing key. veil creates signatures with
// Ed25519 (type 7: RouterInfos, Destinations, LeaseSets), RedDSA (type 11:
// blinding-capable Destinations and encrypted LeaseSets), and, for
// destinations SAM clients ask for, DSA_SHA1 and ECDSA (types 0–3,
// sig_signer_legacy.go); the RSA types and Ed25519ph are verify-only.
//
// Implementations are immutable and safe for concurrent use. Public and
// Private return fresh copies in the I2P wire encoding of the type.
type Signer interface {
	Type() SigType
	// Public returns the SigningPublicKey bytes.
	Public() []byte
	// Private returns the SigningPrivateKey bytes: the 32-byte seed for
	// Ed25519 (as Java I2P and i2pd store it), the 32-byte canonical
	// little-endian scalar mod L for RedDSA.
	Private() []byte
	// Sign returns a signature of msg of length Type().SigLen().
	Sign(msg []byte) ([]byte, error)
}

// NewSigner loads a private key of type t, in the encoding Signer.Private
// describes. A RedDSA key need not be reduced mod L (see redDSAScalar).
func NewSigner(t SigType, priv []byte) (Signer, error) {
	switch t {
	case SigEdDSASHA512:
		if len(priv) != ed25519.SeedSize {
			return nil, fmt.Errorf("crypto: new signer %v: bad private key length %d", t, len(priv))
		}
		return &ed25519Signer{key: ed25519.NewKeyFromSeed(priv)}, nil
	case SigRedDSASHA512:
		a, err := redDSAScalar(priv)
		if err != nil {
			return nil, fmt.Errorf("crypto: new signer %v: %w", t, err)
		}
		return newRedDSASigner(a), nil
	}
	return legacySigner(t, priv)
}

// GenerateSigner makes a new key of type t from rand (crypto/rand.Reader in
// production). An Ed25519 seed is 32 bytes of rand; a RedDSA key is 64
// bytes of rand reduced mod L (red25519.rst, GENERATE_PRIVATE). RedDSA
// signing nonces always come from crypto/rand, never from rand, so a
// deterministic reader in tests cannot make nonces predictable.
func GenerateSigner(t SigType, rand io.Reader) (Signer, error) {
	switch t {
	case SigEdDSASHA512:
		var seed [ed25519.SeedSize]byte
		if _, err := io.ReadFull(rand, seed[:]); err != nil {
			return nil, fmt.Errorf("crypto: generate %v: %w", t, err)
		}
		s := &ed25519Signer{key: ed25519.NewKeyFromSeed(seed[:])}
		clear(seed[:])
		return s, nil
	case SigRedDSASHA512:
		var wide [64]byte
		if _, err := io.ReadFull(rand, wide[:]); err != nil {
			return nil, fmt.Errorf("crypto: generate %v: %w", t, err)
		}
		a, _ := edwards25519.NewScalar().SetUniformBytes(wide[:])
		clear(wide[:])
		if a.Equal(edwards25519.NewScalar()) == 1 {
			// Probability 2^-252; only a broken reader gets here.
			return nil, fmt.Errorf("crypto: generate %v: random scalar is zero", t)
		}
		return newRedDSASigner(a), nil
	}
	return generateLegacy(t, rand)
}

func unsupportedSigner(t SigType) error {
	if !t.Known() {
		return fmt.Errorf("crypto: signer %v: %w", t, ErrUnknownSigType)
	}
	return fmt.Errorf("crypto: signer %v: %w", t, ErrUnsupportedSigType)
}

// ed25519Signer is an RFC 8032 Ed25519 key (type 7).
type ed25519Signer struct {
	key ed25519.PrivateKey // seed || public key
}

func (s *ed25519Signer) Type() SigType { return SigEdDSASHA512 }

func (s *ed25519Signer) Public() []byte {
	return append([]byte(nil), s.key[ed25519.SeedSize:]...)
}

func (s *ed25519Signer) Private() []byte { return s.key.Seed() } // Seed copies

func (s *ed25519Signer) Sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(s.key, msg), nil
}
