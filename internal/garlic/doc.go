// Package garlic is end-to-end garlic encryption for one local
// destination: the ECIES-X25519-AEAD-Ratchet (ecies.rst), its ML-KEM
// hybrid (ecies-hybrid.rst) and the legacy ElGamal/AES+SessionTags
// (docs/how/elgamal-aes.html). It turns payload blocks into the body of
// an I2NP Garlic message and back; it knows nothing of tunnels, leases or
// the netDb, which its caller (internal/client) brings.
//
// Pieces, bottom up:
//
//   - elligator.go: Elligator2 encoding of ephemeral keys (ecies.rst §2a).
package garlic
