package crypto

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"io"
	"math/big"
)

// Signers for the older destination types, DSA_SHA1 (0) and ECDSA (1–3).
// SAM's DEST GENERATE and SESSION CREATE default to DSA_SHA1 (samv3.html,
// "SIGNATURE_TYPE"), and old clients still ask for it, so a destination of
// those types must be able to sign its LeaseSets, streams and datagrams.
// Byte layouts follow Verify: big-endian, two-part values left-padded to
// half the length. Nonces always come from crypto/rand.

// dsaSigner is a DSA_SHA1 key over I2P's group: x is the 20-byte private
// exponent, y = g^x mod p the 128-byte public key.
type dsaSigner struct {
	x, y *big.Int
}

func newDSASigner(priv []byte) (*dsaSigner, error) {
	grp := i2pDSAGroup()
	if len(priv) != SigDSASHA1.PrivLen() {
		return nil, fmt.Errorf("crypto: new signer %v: bad private key length %d", SigDSASHA1, len(priv))
	}
	x := new(big.Int).SetBytes(priv)
	if x.Sign() == 0 || x.Cmp(grp.q) >= 0 {
		return nil, fmt.Errorf("crypto: new signer %v: private key out of range", SigDSASHA1)
	}
	return &dsaSigner{x: x, y: new(big.Int).Exp(grp.g, x, grp.p)}, nil
}

func generateDSA(rnd io.Reader) (*dsaSigner, error) {
	for range 100 {
		var b [20]byte
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return nil, fmt.Errorf("crypto: generate %v: %w", SigDSASHA1, err)
		}
		if s, err := newDSASigner(b[:]); err == nil {
			return s, nil
		}
	}
	return nil, fmt.Errorf("crypto: generate %v: no key in range", SigDSASHA1)
}

func (s *dsaSigner) Type() SigType   { return SigDSASHA1 }
func (s *dsaSigner) Public() []byte  { return s.y.FillBytes(make([]byte, SigDSASHA1.PubLen())) }
func (s *dsaSigner) Private() []byte { return s.x.FillBytes(make([]byte, SigDSASHA1.PrivLen())) }

// Sign is FIPS 186-4 §4.6 over I2P's group with SHA-1 (N = 160, so the
// digest is used whole).
func (s *dsaSigner) Sign(msg []byte) ([]byte, error) {
	grp := i2pDSAGroup()
	h := sha1.Sum(msg)
	z := new(big.Int).SetBytes(h[:])
	for range 100 {
		k, err := rand.Int(rand.Reader, grp.q)
		if err != nil {
			return nil, fmt.Errorf("crypto: sign %v: %w", SigDSASHA1, err)
		}
		if k.Sign() == 0 {
			continue
		}
		r := new(big.Int).Exp(grp.g, k, grp.p)
		r.Mod(r, grp.q)
		if r.Sign() == 0 {
			continue
		}
		kInv := new(big.Int).ModInverse(k, grp.q)
		sv := new(big.Int).Mul(s.x, r)
		sv.Add(sv, z).Mul(sv, kInv).Mod(sv, grp.q)
		if sv.Sign() == 0 {
			continue
		}
		out := make([]byte, 40)
		r.FillBytes(out[:20])
		sv.FillBytes(out[20:])
		return out, nil
	}
	return nil, fmt.Errorf("crypto: sign %v: no nonce worked", SigDSASHA1)
}

// ecdsaSigner is an ECDSA key of type 1, 2 or 3.
type ecdsaSigner struct {
	t   SigType
	key *ecdsa.PrivateKey
}

func ecdsaCurve(t SigType) (elliptic.Curve, bool) {
	switch t {
	case SigECDSASHA256P256:
		return elliptic.P256(), true
	case SigECDSASHA384P384:
		return elliptic.P384(), true
	case SigECDSASHA512P521:
		return elliptic.P521(), true
	}
	return nil, false
}

func newECDSASigner(t SigType, priv []byte) (*ecdsaSigner, error) {
	curve, _ := ecdsaCurve(t)
	if len(priv) != t.PrivLen() {
		return nil, fmt.Errorf("crypto: new signer %v: bad private key length %d", t, len(priv))
	}
	k, err := ecdsa.ParseRawPrivateKey(curve, priv)
	if err != nil {
		return nil, fmt.Errorf("crypto: new signer %v: %w", t, err)
	}
	return &ecdsaSigner{t: t, key: k}, nil
}

func (s *ecdsaSigner) Type() SigType { return s.t }

func (s *ecdsaSigner) Public() []byte {
	b, err := s.key.PublicKey.Bytes()
	if err != nil || len(b) != 1+s.t.PubLen() {
		return make([]byte, s.t.PubLen()) // unreachable for a parsed key
	}
	return b[1:] // I2P drops SEC 1's 0x04 tag
}

func (s *ecdsaSigner) Private() []byte {
	b, err := s.key.Bytes()
	if err != nil {
		return make([]byte, s.t.PrivLen())
	}
	return b
}

func (s *ecdsaSigner) Sign(msg []byte) ([]byte, error) {
	var digest []byte
	switch s.t {
	case SigECDSASHA256P256:
		h := sha256.Sum256(msg)
		digest = h[:]
	case SigECDSASHA384P384:
		h := sha512.Sum384(msg)
		digest = h[:]
	default:
		h := sha512.Sum512(msg)
		digest = h[:]
	}
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, digest)
	if err != nil {
		return nil, fmt.Errorf("crypto: sign %v: %w", s.t, err)
	}
	n := s.t.SigLen() / 2
	out := make([]byte, 2*n)
	r.FillBytes(out[:n])
	sv.FillBytes(out[n:])
	return out, nil
}

// legacySigner loads a DSA or ECDSA key; other types are unsupported.
func legacySigner(t SigType, priv []byte) (Signer, error) {
	if t == SigDSASHA1 {
		return newDSASigner(priv)
	}
	if _, ok := ecdsaCurve(t); ok {
		return newECDSASigner(t, priv)
	}
	return nil, unsupportedSigner(t)
}

// generateLegacy makes a new DSA or ECDSA key.
func generateLegacy(t SigType, rnd io.Reader) (Signer, error) {
	if t == SigDSASHA1 {
		return generateDSA(rnd)
	}
	curve, ok := ecdsaCurve(t)
	if !ok {
		return nil, unsupportedSigner(t)
	}
	k, err := ecdsa.GenerateKey(curve, rnd)
	if err != nil {
		return nil, fmt.Errorf("crypto: generate %v: %w", t, err)
	}
	b, err := k.Bytes()
	if err != nil {
		return nil, fmt.Errorf("crypto: generate %v: %w", t, err)
	}
	return newECDSASigner(t, b)
}
