package su3

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // registers SHA-256 for crypto.Hash.New
	"crypto/sha512"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"unicode/utf8"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Builder holds the fields of an su3 file to sign; it is what a reseed
// server fills in. Version, SignerID and Content must be set.
type Builder struct {
	FileType    FileType
	ContentType ContentType
	// Version is 1–255 bytes of UTF-8 with no NUL; it is padded to
	// MinVersionLen. For reseed bundles use the signing time in Unix
	// seconds, e.g. strconv.FormatInt(now.Unix(), 10).
	Version string
	// SignerID is 1–255 bytes of UTF-8; it must be the subject CN of the
	// certificate that verifies the file.
	SignerID string
	Content  []byte
}

// Sign writes the su3 file and signs it with key, whose kind fixes the
// signature type: an *rsa.PrivateKey of 2048, 3072 or 4096 bits (types 4,
// 5, 6; reseed servers use 4096), an *ecdsa.PrivateKey on P-256, P-384 or
// P-521 (1, 2, 3), or an ed25519.PrivateKey (8, "Ed25519ph"). Signatures
// are raw over the type's digest, as updates.rst requires; RSA signing is
// deterministic, so the same inputs and key give the same file.
func (b *Builder) Sign(key stdcrypto.Signer) ([]byte, error) {
	t, err := SigTypeOf(key)
	if err != nil {
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	signed := b.appendUnsigned(make([]byte, 0, b.len(t)), t)
	sig, err := sign(key, t, signed)
	if err != nil {
		return nil, err
	}
	if len(sig) != t.SigLen() {
		return nil, fmt.Errorf("su3: sign: %d-byte signature for %v", len(sig), t)
	}
	return append(signed, sig...), nil
}

func (b *Builder) check() error {
	switch {
	case len(b.Version) == 0 || len(b.Version) > 255:
		return fmt.Errorf("su3: sign: version is %d bytes, want 1 to 255", len(b.Version))
	case !utf8.ValidString(b.Version) || containsNUL(b.Version):
		return errors.New("su3: sign: version is not UTF-8 without NUL")
	case len(b.SignerID) == 0 || len(b.SignerID) > 255:
		return fmt.Errorf("su3: sign: signer ID is %d bytes, want 1 to 255", len(b.SignerID))
	case !utf8.ValidString(b.SignerID):
		return errors.New("su3: sign: signer ID is not UTF-8")
	case len(b.Content) == 0:
		return errors.New("su3: sign: empty content")
	case int(b.ContentType) >= len(contentTypeNames):
		return fmt.Errorf("su3: sign: unknown content type %d", uint8(b.ContentType))
	}
	return nil
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

func (b *Builder) versionLen() int { return max(len(b.Version), MinVersionLen) }

// len is the length of the finished file.
func (b *Builder) len(t crypto.SigType) int {
	return HeaderLen + b.versionLen() + len(b.SignerID) + len(b.Content) + t.SigLen()
}

// appendUnsigned appends everything the signature covers.
func (b *Builder) appendUnsigned(dst []byte, t crypto.SigType) []byte {
	var h [HeaderLen]byte
	copy(h[:], Magic)
	binary.BigEndian.PutUint16(h[offSigType:], uint16(t))
	binary.BigEndian.PutUint16(h[offSigLen:], uint16(t.SigLen()))
	h[offVersionLen] = byte(b.versionLen())
	h[offSignerLen] = byte(len(b.SignerID))
	binary.BigEndian.PutUint64(h[offContentLen:], uint64(len(b.Content)))
	h[offFileType] = byte(b.FileType)
	h[offContent] = byte(b.ContentType)
	dst = append(dst, h[:]...)
	dst = append(dst, b.Version...)
	for i := len(b.Version); i < MinVersionLen; i++ {
		dst = append(dst, 0)
	}
	dst = append(dst, b.SignerID...)
	return append(dst, b.Content...)
}

// SigTypeOf returns the su3 signature type a signing key produces.
func SigTypeOf(key stdcrypto.Signer) (crypto.SigType, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		switch k.N.BitLen() {
		case 2048:
			return crypto.SigRSASHA2562048, nil
		case 3072:
			return crypto.SigRSASHA3843072, nil
		case 4096:
			return crypto.SigRSASHA5124096, nil
		}
		return 0, fmt.Errorf("su3: sign: RSA-%d key, want 2048, 3072 or 4096", k.N.BitLen())
	case *ecdsa.PrivateKey:
		for _, t := range []crypto.SigType{crypto.SigECDSASHA256P256, crypto.SigECDSASHA384P384, crypto.SigECDSASHA512P521} {
			if k.Curve == ecdsaCurve(t) {
				return t, nil
			}
		}
		return 0, fmt.Errorf("su3: sign: ECDSA key on %s", k.Curve.Params().Name)
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return 0, fmt.Errorf("su3: sign: Ed25519 key of %d bytes", len(k))
		}
		return crypto.SigEdDSASHA512ph, nil
	}
	return 0, fmt.Errorf("su3: sign: unsupported key %T", key)
}

// sign makes the raw signature of msg under t (see the package doc).
func sign(key stdcrypto.Signer, t crypto.SigType, msg []byte) ([]byte, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.E != 65537 {
			return nil, fmt.Errorf("su3: sign: RSA exponent %d, I2P fixes 65537", k.E)
		}
		h, _ := rsaHash(t)
		d := h.New()
		d.Write(msg)
		// Hash 0: PKCS#1 v1.5 padding around the bare digest, no
		// DigestInfo, which is Java's NONEwithRSA.
		sig, err := rsa.SignPKCS1v15(nil, k, 0, d.Sum(nil))
		if err != nil {
			return nil, fmt.Errorf("su3: sign: %w", err)
		}
		return sig, nil
	case *ecdsa.PrivateKey:
		h := ecdsaHash(t)
		d := h.New()
		d.Write(msg)
		der, err := ecdsa.SignASN1(rand.Reader, k, d.Sum(nil))
		if err != nil {
			return nil, fmt.Errorf("su3: sign: %w", err)
		}
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &rs); err != nil {
			return nil, fmt.Errorf("su3: sign: %w", err)
		}
		// I2P encodes R||S, each left-padded to half the length.
		sig := make([]byte, t.SigLen())
		rs.R.FillBytes(sig[:len(sig)/2])
		rs.S.FillBytes(sig[len(sig)/2:])
		return sig, nil
	case ed25519.PrivateKey:
		d := sha512.Sum512(msg)
		return ed25519.Sign(k, d[:]), nil
	}
	return nil, fmt.Errorf("su3: sign: unsupported key %T", key)
}

func ecdsaHash(t crypto.SigType) stdcrypto.Hash {
	switch t {
	case crypto.SigECDSASHA384P384:
		return stdcrypto.SHA384
	case crypto.SigECDSASHA512P521:
		return stdcrypto.SHA512
	}
	return stdcrypto.SHA256
}
