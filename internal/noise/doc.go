// Package noise is the Noise Protocol Framework's SymmetricState (Noise spec
// revision 34, §5.2, with the CipherState of §5.1 folded in) as the three
// X25519-era I2P protocols use it:
//
//   - NTCP2, Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256 (ntcp2.rst,
//     "Key Derivation Function (KDF)" sections and the data-phase Split);
//   - SSU2, Noise_XKchaobfse+hs1+hs2+hs3_25519_ChaChaPoly_SHA256 (ssu2.rst);
//   - ECIES-X25519-AEAD-Ratchet, Noise_IKelg2+hs2_25519_ChaChaPoly_SHA256,
//     and its ML-KEM hybrids (ecies.rst, ecies-hybrid.rst).
//
// All of them use SHA-256 for HASH, HKDF-SHA256 for MixKey and
// ChaCha20-Poly1305 with I2P's nonce layout (4 zero bytes, then the 64-bit
// counter little-endian) for the cipher; the primitives live in
// internal/crypto.
//
// The package does no I/O and knows no message formats or handshake
// patterns: each transport writes its own state machine (one method per
// handshake message) and calls MixHash, MixKey, EncryptAndHash and
// DecryptAndHash in the order its spec gives. I2P's extensions to Noise
// (obfuscated ephemeral keys, extra MixHash of cleartext padding or
// headers, NTCP2's "message 3 part 1 uses n=1") are expressed with those
// calls plus SetNonce.
//
// Ownership: a SymmetricState belongs to the one goroutine running the
// handshake; nothing here is safe for concurrent use and nothing is shared.
// After Split the caller derives anything else it needs from ChainingKey
// and Hash (NTCP2's SipHash keys, SSU2's header keys), then calls Zero.
package noise
