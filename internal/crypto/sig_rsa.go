package crypto

import (
	"crypto"
	"crypto/rsa"
	_ "crypto/sha256" // registers SHA-256 for crypto.Hash.New
	_ "crypto/sha512" // registers SHA-384 and SHA-512
	"errors"
	"fmt"
	"math/big"
)

// RSA signature types 4–6 (cryptography.rst, "RSA"): PKCS#1 v1.5 with the
// fixed public exponent F4 = 65537. The SigningPublicKey is the modulus
// alone, big-endian, exactly 256/384/512 bytes. RSA is used only for
// out-of-band content (su3 files: reseeds, updates, news), never in
// RouterIdentities or Destinations.

const rsaExponent = 65537

// rsaHash returns the digest algorithm of an RSA signature type.
func rsaHash(t SigType) (crypto.Hash, bool) {
	switch t {
	case SigRSASHA2562048:
		return crypto.SHA256, true
	case SigRSASHA3843072:
		return crypto.SHA384, true
	case SigRSASHA5124096:
		return crypto.SHA512, true
	}
	return 0, false
}

// rsaPublicKey builds a key from an I2P modulus. A leading zero byte would
// mean a modulus shorter than the type's size, which no I2P signer makes;
// an even modulus cannot be a product of two odd primes.
func rsaPublicKey(pub []byte) (*rsa.PublicKey, error) {
	if pub[0] == 0 || pub[len(pub)-1]&1 == 0 {
		return nil, errors.New("bad public key: modulus not full length or even")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(pub), E: rsaExponent}, nil
}

// verifyRSA verifies a standard PKCS#1 v1.5 signature (EMSA-PKCS1-v1_5 with
// the DigestInfo of the type's hash), as Java's "SHA256withRSA" etc.
func verifyRSA(t SigType, pub, msg, sig []byte) error {
	h, ok := rsaHash(t)
	if !ok {
		return ErrUnknownSigType
	}
	key, err := rsaPublicKey(pub)
	if err != nil {
		return err
	}
	d := h.New()
	d.Write(msg)
	if rsa.VerifyPKCS1v15(key, h, d.Sum(nil), sig) != nil {
		return ErrBadSignature
	}
	return nil
}

// VerifyRSARawHash verifies an su3 signature (updates.rst, "SU3"): t is 4, 5
// or 6, pub the modulus, digest the hash of su3 bytes 0 through the end of
// the content under t's hash, and sig the signature.
//
// su3 signers (Java I2P's SU3File through DSAEngine's raw path) use
// "NONEwithRSA": PKCS#1 v1.5 type-1 padding applied to the bare digest,
// without the ASN.1 DigestInfo prefix that a normal SHA512withRSA signature
// carries. We checked this against a real reseed su3 signed by a reseed
// operator's RSA-4096 key: the recovered encoded message is
// 00 01 FF…FF 00 || SHA-512(file), with no DigestInfo. A signature that does
// carry a DigestInfo is therefore rejected, as Java I2P rejects it.
func VerifyRSARawHash(t SigType, pub, digest, sig []byte) error {
	h, ok := rsaHash(t)
	if !ok {
		if !t.Known() {
			return fmt.Errorf("crypto: verify raw %v: %w", t, ErrUnknownSigType)
		}
		return fmt.Errorf("crypto: verify raw %v: %w", t, ErrUnsupportedSigType)
	}
	if len(pub) != t.PubLen() {
		return fmt.Errorf("crypto: verify raw %v: bad public key length %d", t, len(pub))
	}
	if len(digest) != h.Size() {
		return fmt.Errorf("crypto: verify raw %v: bad digest length %d", t, len(digest))
	}
	if len(sig) != t.SigLen() {
		return fmt.Errorf("crypto: verify raw %v: bad signature length %d", t, len(sig))
	}
	key, err := rsaPublicKey(pub)
	if err != nil {
		return fmt.Errorf("crypto: verify raw %v: %w", t, err)
	}
	// Hash 0 tells crypto/rsa to pad the digest bytes as given, no prefix.
	if rsa.VerifyPKCS1v15(key, 0, digest, sig) != nil {
		return fmt.Errorf("crypto: verify raw %v: %w", t, ErrBadSignature)
	}
	return nil
}
