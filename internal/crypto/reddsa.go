package crypto

import (
	"crypto/rand"
	"crypto/sha512"
	"errors"

	"filippo.io/edwards25519"
)

// RedDSA_SHA512_Ed25519, signature type 11 (red25519.rst,
// encryptedleaseset.rst "Sign/Verify Calculations"), the re-randomizable
// Schnorr scheme used for encrypted LeaseSets and for Destinations that
// will publish them.
//
// Keys: the private key is a scalar a mod L, 32 bytes little-endian, never
// clamped; the public key is the point A = [a]B in Ed25519 encoding.
//
// The transcript. red25519.rst defines the hash as
// H(x) = SHA-512("I2P_Red25519H(x)" || x) with a 2-byte little-endian
// length before the message, and a cofactored verification equation; its ten
// test vectors are signed that way (the tests check them with a spec-
// transcript verifier). But the scheme that is deployed, and that
// encryptedleaseset.rst describes, is different, and it is what veil uses:
//
//	T = 80 random bytes
//	r = SHA-512(T || A || M) mod L;  R = [r]B
//	c = SHA-512(R || A || M) mod L;  S = (r + c·a) mod L
//	signature = R || S;  verification is exactly Ed25519's.
//
// Java I2P's RedDSAEngine extends its EdDSAEngine and only changes how r is
// derived (80 random bytes, then the public key, then the message), and
// i2pd declares "typedef EDDSA25519Verifier RedDSA25519Verifier" and signs
// the same way. A signature made with the red25519.rst transcript would be
// rejected by every router on the network, and vice versa.
//
// T must stay secret and fresh: with T known, r is computable from public
// values and the signature reveals a. So T always comes from crypto/rand,
// never from a caller-supplied reader.

// redDSANonceLen is |T|: SHA-512's output length plus 16 (red25519.rst,
// "SIGN"; Java's digest.getDigestLength() + 16).
const redDSANonceLen = 80

// verifyRedDSA verifies type 11 with the deployed transcript, which is
// Ed25519 verification (encryptedleaseset.rst: "Verification: Same as for
// Ed25519").
func verifyRedDSA(pub, msg, sig []byte) error {
	return verifyEd25519(pub, msg, sig)
}

// redDSAScalar decodes a RedDSA private key: 32 bytes little-endian,
// reduced mod L. Unreduced values are accepted because an Ed25519 key
// converted with CONVERT_ED25519_PRIVATE (a clamped, 255-bit scalar) is a
// valid RedDSA key for the same public point (red25519.rst, "Conversion
// functions"). Zero is rejected: its public key is the identity.
func redDSAScalar(priv []byte) (*edwards25519.Scalar, error) {
	if len(priv) != 32 {
		return nil, errors.New("bad private key length")
	}
	var wide [64]byte
	copy(wide[:], priv)
	a, err := edwards25519.NewScalar().SetUniformBytes(wide[:])
	if err != nil {
		return nil, err
	}
	if a.Equal(edwards25519.NewScalar()) == 1 {
		return nil, errors.New("private key is zero mod L")
	}
	return a, nil
}

// ed25519Scalar is CONVERT_ED25519_PRIVATE (red25519.rst): the secret
// scalar of an Ed25519 seed, SHA-512(seed)[0:32] clamped, as in RFC 8032
// §5.1.5 steps 1–3. The result is reduced mod L, which leaves [a]B alone.
func ed25519Scalar(seed []byte) *edwards25519.Scalar {
	h := sha512.Sum512(seed)
	a, _ := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	return a
}

// redDSASigner signs with a RedDSA private scalar. It is immutable after
// construction and safe for concurrent use.
type redDSASigner struct {
	a   edwards25519.Scalar
	pub [32]byte
}

func newRedDSASigner(a *edwards25519.Scalar) *redDSASigner {
	s := &redDSASigner{}
	s.a.Set(a)
	copy(s.pub[:], new(edwards25519.Point).ScalarBaseMult(a).Bytes())
	return s
}

func (s *redDSASigner) Type() SigType   { return SigRedDSASHA512 }
func (s *redDSASigner) Public() []byte  { return append([]byte(nil), s.pub[:]...) }
func (s *redDSASigner) Private() []byte { return s.a.Bytes() }

// Sign signs msg with a fresh secret nonce T from crypto/rand.
func (s *redDSASigner) Sign(msg []byte) ([]byte, error) {
	var t [redDSANonceLen]byte
	rand.Read(t[:]) // never fails; crashes the program if the OS RNG does
	sig := redDSASign(&s.a, s.pub[:], &t, msg)
	clear(t[:])
	return sig, nil
}

// redDSASign is the deployed RedDSA signing transcript with an explicit
// nonce T, split out so tests can check it against known answers.
func redDSASign(a *edwards25519.Scalar, pub []byte, t *[redDSANonceLen]byte, msg []byte) []byte {
	var digest [sha512.Size]byte
	h := sha512.New()
	h.Write(t[:])
	h.Write(pub)
	h.Write(msg)
	r, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(digest[:0]))
	rPoint := new(edwards25519.Point).ScalarBaseMult(r).Bytes()

	h.Reset()
	h.Write(rPoint)
	h.Write(pub)
	h.Write(msg)
	c, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(digest[:0]))
	s := edwards25519.NewScalar().MultiplyAdd(c, a, r)

	sig := make([]byte, 0, 64)
	sig = append(sig, rPoint...)
	sig = append(sig, s.Bytes()...)
	clear(digest[:])
	r.Set(edwards25519.NewScalar())
	return sig
}
