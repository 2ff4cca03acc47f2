package crypto

import (
	"errors"
	"fmt"
)

// Signature verification for every type in common-structures.rst
// ("SigningPublicKey", "Signature") and cryptography.rst ("Signatures").
//
// Verify is a pure function of its arguments: it checks lengths against the
// SigType table before touching any key or signature bytes, so no input can
// make it panic or allocate more than the fixed sizes of that table.

var (
	// ErrBadSignature means the key and signature had the right lengths
	// and form for their type but the signature does not match the
	// message. For the Ed25519 family (types 7, 8, 11) an undecodable
	// public key point is reported this way too, as crypto/ed25519 does.
	ErrBadSignature = errors.New("bad signature")

	// ErrUnknownSigType means veil does not know the signature type code
	// (the GOST and ML-DSA codes are reserved but not implemented).
	ErrUnknownSigType = errors.New("unknown signature type")

	// ErrUnsupportedSigType means veil knows the type but does not offer
	// the requested operation for it; veil signs only with Ed25519 and
	// RedDSA, the types a router or destination creates today.
	ErrUnsupportedSigType = errors.New("operation not supported for signature type")
)

// Verify reports whether sig is a valid signature of msg by pub under type t.
// It returns nil on success, an error wrapping ErrBadSignature when
// everything is well formed but the signature does not verify, an error
// wrapping ErrUnknownSigType for type codes veil does not know, and another
// descriptive error for malformed keys or signatures. Byte layouts follow
// common-structures.rst: EdDSA and RedDSA values are little-endian, all
// others big-endian, and two-part values (ECDSA X||Y and R||S, DSA r||s) are
// each left-padded to half the total length.
//
// Per type:
//   - 0: DSA-SHA1 over I2P's fixed 1024-bit group (cryptography.rst, "DSA").
//   - 1–3: ECDSA over P-256/P-384/P-521 with SHA-256/384/512.
//   - 4–6: RSA PKCS#1 v1.5 with SHA-256/384/512, exponent 65537.
//   - 7: Ed25519 (RFC 8032).
//   - 8: I2P's "Ed25519ph": pure Ed25519 over SHA-512(msg); see ed25519ph.go.
//   - 11: RedDSA as deployed by Java I2P and i2pd; see reddsa.go.
func Verify(t SigType, pub, msg, sig []byte) error {
	info, ok := t.Info()
	if !ok {
		return fmt.Errorf("crypto: verify %v: %w", t, ErrUnknownSigType)
	}
	if len(pub) != info.PubLen {
		return fmt.Errorf("crypto: verify %v: bad public key length %d", t, len(pub))
	}
	if len(sig) != info.SigLen {
		return fmt.Errorf("crypto: verify %v: bad signature length %d", t, len(sig))
	}
	var err error
	switch t {
	case SigDSASHA1:
		err = verifyDSA(pub, msg, sig)
	case SigECDSASHA256P256, SigECDSASHA384P384, SigECDSASHA512P521:
		err = verifyECDSA(t, pub, msg, sig)
	case SigRSASHA2562048, SigRSASHA3843072, SigRSASHA5124096:
		err = verifyRSA(t, pub, msg, sig)
	case SigEdDSASHA512:
		err = verifyEd25519(pub, msg, sig)
	case SigEdDSASHA512ph:
		err = verifyEd25519ph(pub, msg, sig)
	case SigRedDSASHA512:
		err = verifyRedDSA(pub, msg, sig)
	default:
		// Known lengths but no algorithm behind them.
		err = ErrUnknownSigType
	}
	if err != nil {
		return fmt.Errorf("crypto: verify %v: %w", t, err)
	}
	return nil
}

// half splits a two-part value (ECDSA X||Y or R||S, DSA r||s) into its
// halves; common-structures.rst left-pads each part with zeros to half the
// total length.
func half(b []byte) (first, second []byte) {
	n := len(b) / 2
	return b[:n], b[n:]
}
