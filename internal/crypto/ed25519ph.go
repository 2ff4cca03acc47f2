package crypto

import (
	"crypto/ed25519"
	"crypto/sha512"
	"fmt"
)

// Signature type 8, EdDSA_SHA512_Ed25519ph, is used only offline, for su3
// files (common-structures.rst: "Offline signing, never used for Router
// Identities or Destinations").
//
// Despite the name it is NOT RFC 8032 Ed25519ph. Java I2P defines it in
// SigType.java as "Prehash version (double hashing …)" with algorithm
// "NonewithEdDSA": the signer hashes the data with SHA-512 and then signs
// those 64 bytes with ordinary (pure) Ed25519. RFC 8032 Ed25519ph instead
// signs with the dom2("SigEd25519 no Ed25519 collisions", 1) prefix, so its
// signatures do not verify here and vice versa; the tests pin this with the
// RFC 8032 §7.3 vector. Keys are ordinary Ed25519 keys.

// verifyEd25519ph verifies I2P type 8: Ed25519 over SHA-512(msg).
func verifyEd25519ph(pub, msg, sig []byte) error {
	d := sha512.Sum512(msg)
	return verifyEd25519(pub, d[:], sig)
}

// VerifyEd25519phHash verifies an I2P type-8 (Ed25519ph) signature given the
// SHA-512 digest of the signed data instead of the data, as an su3 reader
// that hashes the file while streaming it has (updates.rst, "SU3").
func VerifyEd25519phHash(pub, digest, sig []byte) error {
	const t = SigEdDSASHA512ph
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("crypto: verify raw %v: bad public key length %d", t, len(pub))
	}
	if len(digest) != sha512.Size {
		return fmt.Errorf("crypto: verify raw %v: bad digest length %d", t, len(digest))
	}
	if len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("crypto: verify raw %v: bad signature length %d", t, len(sig))
	}
	if err := verifyEd25519(pub, digest, sig); err != nil {
		return fmt.Errorf("crypto: verify raw %v: %w", t, err)
	}
	return nil
}

// verifyEd25519 verifies type 7, RFC 8032 Ed25519, with crypto/ed25519.
// The caller has checked the lengths; ed25519.Verify panics on a public key
// of the wrong size, so the check is repeated here for safety.
func verifyEd25519(pub, msg, sig []byte) error {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return ErrBadSignature
	}
	if !ed25519.Verify(ed25519.PublicKey(pub), msg, sig) {
		return ErrBadSignature
	}
	return nil
}
