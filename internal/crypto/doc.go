// Package crypto holds every cryptographic primitive I2P uses: the
// signature types of common-structures.rst (sign and verify for Ed25519 and
// RedDSA, verify for the rest), key blinding for encrypted LeaseSets,
// X25519, ElGamal-2048 with I2P's block framing, AES-256-CBC/ECB,
// ChaCha20 and ChaCha20-Poly1305, HKDF/HMAC-SHA256, SipHash-2-4 and
// ML-KEM.
//
// It is a leaf: it imports only the standard library and the chosen
// x/crypto, edwards25519 and circl modules. It holds no mutable state;
// every type here is safe for concurrent use unless its doc says otherwise.
package crypto
