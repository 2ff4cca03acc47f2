package crypto

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"filippo.io/edwards25519"
)

// Key blinding for encrypted LeaseSets (encryptedleaseset.rst, "Blinding Key
// Derivation", "Blinding Calculations", "Derivation of subcredentials").
//
// Each UTC day a Destination's signing key A (Ed25519, type 7, or RedDSA,
// type 11) is blinded to a RedDSA key A' = A + [alpha]B, where alpha is
// derived from A, both type codes, the date and an optional secret. The
// owner signs the encrypted LeaseSet with a' = (a + alpha) mod L; anyone who
// knows A (and the secret) can compute A', but A' does not reveal A.
//
//	keydata = A || stA || stA'            (type codes 2 bytes big-endian)
//	seed    = HKDF-SHA256(salt = SHA-256("I2PGenerateAlpha" || keydata),
//	                      ikm  = "yyyyMMdd" || UTF-8(secret),
//	                      info = "i2pblinding1", 64 bytes)
//	alpha   = seed as a little-endian integer, mod L
//
// Java I2P's Blinding.generateAlpha builds exactly this (its salt input is
// commented "SHA256(\"I2PGenerateAlpha\" || spk || sigtypein || sigtypeout)").
// An empty secret adds nothing to the ikm, as in Java.

const (
	blindAlphaSalt      = "I2PGenerateAlpha"
	blindAlphaInfo      = "i2pblinding1"
	credentialPrefix    = "credential"
	subcredentialPrefix = "subcredential"
	blindDateLayout     = "20060102" // yyyyMMdd
)

// BlindingDate returns the date string for t that blinding uses: yyyyMMdd
// of t in UTC (encryptedleaseset.rst: "A new secret alpha and blinded keys
// must be generated each day (UTC)").
func BlindingDate(t time.Time) string { return t.UTC().Format(blindDateLayout) }

// checkBlindTypes enforces the spec's type rules: A is Ed25519 or RedDSA,
// A' is RedDSA ("This will always be type 11").
func checkBlindTypes(sigType, blindedType SigType) error {
	if sigType != SigEdDSASHA512 && sigType != SigRedDSASHA512 {
		return fmt.Errorf("%w: cannot blind %v keys", ErrUnsupportedSigType, sigType)
	}
	if blindedType != SigRedDSASHA512 {
		return fmt.Errorf("%w: cannot blind to %v", ErrUnsupportedSigType, blindedType)
	}
	return nil
}

// keyData is A || stA || stA', the input shared by alpha and credential.
func keyData(prefix string, sigType SigType, pub []byte, blindedType SigType) []byte {
	b := make([]byte, 0, len(prefix)+len(pub)+4)
	b = append(b, prefix...)
	b = append(b, pub...)
	b = binary.BigEndian.AppendUint16(b, uint16(sigType))
	return binary.BigEndian.AppendUint16(b, uint16(blindedType))
}

// generateAlpha is GENERATE_ALPHA. pub must already have the right length.
func generateAlpha(sigType SigType, pub []byte, blindedType SigType, date, secret string) (*edwards25519.Scalar, error) {
	if len(date) != len(blindDateLayout) {
		return nil, fmt.Errorf("bad date %q: want yyyyMMdd", date)
	}
	if _, err := time.Parse(blindDateLayout, date); err != nil {
		return nil, fmt.Errorf("bad date %q: want yyyyMMdd", date)
	}
	salt := sha256.Sum256(keyData(blindAlphaSalt, sigType, pub, blindedType))
	seed, err := hkdf.Key(sha256.New, []byte(date+secret), salt[:], blindAlphaInfo, 64)
	if err != nil {
		return nil, err
	}
	alpha, err := edwards25519.NewScalar().SetUniformBytes(seed)
	clear(seed)
	return alpha, err
}

// GenerateAlpha returns alpha, 32 bytes little-endian mod L, for the
// signing public key pub of type sigType blinded to blindedType on date
// (yyyyMMdd, see BlindingDate) with the optional secret ("" for none).
func GenerateAlpha(sigType SigType, pub []byte, blindedType SigType, date, secret string) ([]byte, error) {
	if err := checkBlindTypes(sigType, blindedType); err != nil {
		return nil, fmt.Errorf("crypto: generate alpha: %w", err)
	}
	if len(pub) != sigType.PubLen() {
		return nil, fmt.Errorf("crypto: generate alpha: bad public key length %d", len(pub))
	}
	alpha, err := generateAlpha(sigType, pub, blindedType, date, secret)
	if err != nil {
		return nil, fmt.Errorf("crypto: generate alpha: %w", err)
	}
	return alpha.Bytes(), nil
}

// BlindPublicKey returns A' = BLIND_PUBKEY(A, alpha) = A + [alpha]B, the
// blinded RedDSA public key a client computes to look up and verify an
// encrypted LeaseSet.
func BlindPublicKey(sigType SigType, pub []byte, blindedType SigType, date, secret string) ([]byte, error) {
	if err := checkBlindTypes(sigType, blindedType); err != nil {
		return nil, fmt.Errorf("crypto: blind public key: %w", err)
	}
	if len(pub) != sigType.PubLen() {
		return nil, fmt.Errorf("crypto: blind public key: bad public key length %d", len(pub))
	}
	point, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return nil, fmt.Errorf("crypto: blind public key: bad public key: %w", err)
	}
	alpha, err := generateAlpha(sigType, pub, blindedType, date, secret)
	if err != nil {
		return nil, fmt.Errorf("crypto: blind public key: %w", err)
	}
	return blindPoint(point, alpha).Bytes(), nil
}

// BlindPrivateKey returns a' = BLIND_PRIVKEY(a, alpha) = (a + alpha) mod L,
// the blinded RedDSA private key (type 11, 32 bytes) the owner signs the
// encrypted LeaseSet with. priv is an Ed25519 seed (type 7, whose a is the
// clamped SHA-512 half, as in Ed25519) or a RedDSA scalar (type 11). The
// public key that alpha needs is derived from priv.
func BlindPrivateKey(sigType SigType, priv []byte, blindedType SigType, date, secret string) ([]byte, error) {
	if err := checkBlindTypes(sigType, blindedType); err != nil {
		return nil, fmt.Errorf("crypto: blind private key: %w", err)
	}
	var (
		a   *edwards25519.Scalar
		pub []byte
	)
	switch sigType {
	case SigEdDSASHA512:
		if len(priv) != ed25519.SeedSize {
			return nil, fmt.Errorf("crypto: blind private key: bad private key length %d", len(priv))
		}
		a = ed25519Scalar(priv)
		pub = ed25519.NewKeyFromSeed(priv)[ed25519.SeedSize:]
	default:
		var err error
		if a, err = redDSAScalar(priv); err != nil {
			return nil, fmt.Errorf("crypto: blind private key: %w", err)
		}
		pub = new(edwards25519.Point).ScalarBaseMult(a).Bytes()
	}
	alpha, err := generateAlpha(sigType, pub, blindedType, date, secret)
	if err != nil {
		return nil, fmt.Errorf("crypto: blind private key: %w", err)
	}
	blinded := blindScalar(a, alpha)
	if blinded.Equal(edwards25519.NewScalar()) == 1 {
		// a' = 0 would need alpha = -a: a preimage attack on HKDF.
		return nil, errors.New("crypto: blind private key: blinded key is zero")
	}
	return blinded.Bytes(), nil
}

// blindScalar is RANDOMIZE_PRIVATE / BLIND_PRIVKEY: (a + alpha) mod L.
func blindScalar(a, alpha *edwards25519.Scalar) *edwards25519.Scalar {
	return edwards25519.NewScalar().Add(a, alpha)
}

// blindPoint is RANDOMIZE_PUBLIC / BLIND_PUBKEY: A + [alpha]B.
func blindPoint(a *edwards25519.Point, alpha *edwards25519.Scalar) *edwards25519.Point {
	ab := new(edwards25519.Point).ScalarBaseMult(alpha)
	return ab.Add(a, ab)
}

// Credential returns SHA-256("credential" || A || stA || stA'), which binds
// encrypted-LeaseSet decryption to knowledge of the unblinded signing public
// key A (encryptedleaseset.rst, "Derivation of subcredentials").
func Credential(sigType SigType, pub []byte, blindedType SigType) ([32]byte, error) {
	if err := checkBlindTypes(sigType, blindedType); err != nil {
		return [32]byte{}, fmt.Errorf("crypto: credential: %w", err)
	}
	if len(pub) != sigType.PubLen() {
		return [32]byte{}, fmt.Errorf("crypto: credential: bad public key length %d", len(pub))
	}
	return sha256.Sum256(keyData(credentialPrefix, sigType, pub, blindedType)), nil
}

// Subcredential returns SHA-256("subcredential" || credential || A'), the
// per-day value mixed into both encryption layers of an encrypted LeaseSet.
// blindedPub is the 32-byte blinded public key A'.
func Subcredential(credential [32]byte, blindedPub []byte) ([32]byte, error) {
	if len(blindedPub) != SigRedDSASHA512.PubLen() {
		return [32]byte{}, fmt.Errorf("crypto: subcredential: bad blinded key length %d", len(blindedPub))
	}
	b := make([]byte, 0, len(subcredentialPrefix)+32+len(blindedPub))
	b = append(b, subcredentialPrefix...)
	b = append(b, credential[:]...)
	b = append(b, blindedPub...)
	return sha256.Sum256(b), nil
}
