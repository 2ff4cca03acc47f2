package su3

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Errors from Verify, besides a wrapped crypto.ErrBadSignature when the
// signature does not match.
var (
	// ErrUnknownSigner means the keyring has no certificate for the
	// file's signer ID.
	ErrUnknownSigner = errors.New("su3: unknown signer")
	// ErrCertificateExpired means the signer's certificate is not valid
	// at the time given to Verify.
	ErrCertificateExpired = errors.New("su3: signer certificate not valid now")
	// ErrKeyMismatch means the certificate's public key is not of the
	// kind or size the file's signature type requires.
	ErrKeyMismatch = errors.New("su3: certificate key does not match signature type")
)

// Verify checks f's signature with the certificate of f.SignerID in kr.
// If now is not the zero time, the certificate must be valid at now
// (updates.rst, "SU3 Reseed File Specification": implementations should
// enforce the dates); tools that inspect old files may pass the zero time.
// The certificate's key must match f.SigType: RSA 2048/3072/4096 with
// exponent 65537 for types 4/5/6, P-256/384/521 for 1/2/3, Ed25519 for 8.
// Other types, including DSA-SHA1 (0), are not supported for su3.
//
// Verify does not look at the content type; callers must check it is the
// one kr is trusted for.
func (f *File) Verify(kr *Keyring, now time.Time) error {
	cert := kr.Certificate(f.SignerID)
	if cert == nil {
		return fmt.Errorf("%w %q", ErrUnknownSigner, f.SignerID)
	}
	if !now.IsZero() && (now.Before(cert.NotBefore) || now.After(cert.NotAfter)) {
		return fmt.Errorf("%w: %q valid %s to %s", ErrCertificateExpired, f.SignerID,
			cert.NotBefore.UTC().Format(time.DateOnly), cert.NotAfter.UTC().Format(time.DateOnly))
	}
	pub, err := PublicKey(cert, f.SigType)
	if err != nil {
		return err
	}
	if h, ok := rsaHash(f.SigType); ok {
		d := h.New()
		d.Write(f.Signed)
		err = crypto.VerifyRSARawHash(f.SigType, pub, d.Sum(nil), f.Signature)
	} else {
		// ECDSA over the type's digest is ECDSA of the signed bytes; and
		// crypto's type 8 is Ed25519 over SHA-512 of the message.
		err = crypto.Verify(f.SigType, pub, f.Signed, f.Signature)
	}
	if err != nil {
		return fmt.Errorf("su3: signature by %q: %w", f.SignerID, err)
	}
	return nil
}

// rsaHash is the digest of an RSA su3 signature type.
func rsaHash(t crypto.SigType) (stdcrypto.Hash, bool) {
	switch t {
	case crypto.SigRSASHA2562048:
		return stdcrypto.SHA256, true
	case crypto.SigRSASHA3843072:
		return stdcrypto.SHA384, true
	case crypto.SigRSASHA5124096:
		return stdcrypto.SHA512, true
	}
	return 0, false
}

// rsaBits and ecdsaCurve give the key each su3 signature type requires.
func rsaBits(t crypto.SigType) int {
	switch t {
	case crypto.SigRSASHA2562048:
		return 2048
	case crypto.SigRSASHA3843072:
		return 3072
	case crypto.SigRSASHA5124096:
		return 4096
	}
	return 0
}

func ecdsaCurve(t crypto.SigType) elliptic.Curve {
	switch t {
	case crypto.SigECDSASHA256P256:
		return elliptic.P256()
	case crypto.SigECDSASHA384P384:
		return elliptic.P384()
	case crypto.SigECDSASHA512P521:
		return elliptic.P521()
	}
	return nil
}

// PublicKey returns the I2P encoding (common-structures.rst,
// "SigningPublicKey") of cert's public key for signature type t: the RSA
// modulus, the ECDSA point X||Y, or the Ed25519 key. It fails with
// ErrKeyMismatch if the key is of another kind or size than t requires.
func PublicKey(cert *x509.Certificate, t crypto.SigType) ([]byte, error) {
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			break
		}
		if bits := rsaBits(t); bits == 0 || k.N.BitLen() != bits || k.E != 65537 {
			return nil, fmt.Errorf("%w: RSA-%d e=%d for %v", ErrKeyMismatch, k.N.BitLen(), k.E, t)
		}
		return k.N.FillBytes(make([]byte, t.PubLen())), nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			break
		}
		if c := ecdsaCurve(t); c == nil || k.Curve != c {
			return nil, fmt.Errorf("%w: ECDSA %s for %v", ErrKeyMismatch, k.Curve.Params().Name, t)
		}
		p, err := k.Bytes() // 0x04 || X || Y
		if err != nil || len(p) != 1+t.PubLen() {
			return nil, fmt.Errorf("%w: bad ECDSA point for %v", ErrKeyMismatch, t)
		}
		return p[1:], nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			break
		}
		if t != crypto.SigEdDSASHA512ph {
			return nil, fmt.Errorf("%w: Ed25519 for %v", ErrKeyMismatch, t)
		}
		return append([]byte(nil), k...), nil
	}
	return nil, fmt.Errorf("%w: %v key for %v", ErrKeyMismatch, cert.PublicKeyAlgorithm, t)
}
