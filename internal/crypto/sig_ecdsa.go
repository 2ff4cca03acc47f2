package crypto

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"math/big"
)

// verifyECDSA verifies types 1–3: ECDSA over the NIST curve with the SHA-2
// hash of the matching size (cryptography.rst, "ECDSA"). pub is X||Y and sig
// is R||S, each part big-endian and left-padded to half the length.
func verifyECDSA(t SigType, pub, msg, sig []byte) error {
	var (
		curve  elliptic.Curve
		digest []byte
	)
	switch t {
	case SigECDSASHA256P256:
		h := sha256.Sum256(msg)
		curve, digest = elliptic.P256(), h[:]
	case SigECDSASHA384P384:
		h := sha512.Sum384(msg)
		curve, digest = elliptic.P384(), h[:]
	case SigECDSASHA512P521:
		h := sha512.Sum512(msg)
		curve, digest = elliptic.P521(), h[:]
	default:
		return ErrUnknownSigType
	}
	// I2P stores the point without SEC 1's 0x04 "uncompressed" tag.
	point := make([]byte, 1+len(pub))
	point[0] = 4
	copy(point[1:], pub)
	key, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return fmt.Errorf("bad public key: %w", err)
	}
	rb, sb := half(sig)
	if !ecdsa.Verify(key, digest, new(big.Int).SetBytes(rb), new(big.Int).SetBytes(sb)) {
		return ErrBadSignature
	}
	return nil
}
