// Package garlic is end-to-end garlic encryption for one local
// destination: the ECIES-X25519-AEAD-Ratchet (ecies.rst), its ML-KEM
// hybrids (ecies-hybrid.rst, types 5-7) and the legacy
// ElGamal/AES+SessionTags (docs/how/elgamal-aes.html). It turns payload
// blocks into the body of an I2NP Garlic message and back; it knows
// nothing of tunnels, leases or the netDb, which its caller
// (internal/client) brings. Garlic addressed to a router (Noise N,
// ecies-routers.rst) is in internal/i2np, as is the sending side of
// one-time replies; a destination receives those through AddOneTimeKey.
//
// # Use
//
// One Engine per local destination, made with its static X25519 key and
// the ratchet types its LeaseSet2 lists:
//
//	e, _ := garlic.New(garlic.Config{Static: priv, Types: []crypto.EncType{6, 4}})
//	sent, _ := e.Encrypt(now, garlic.Remote{Type: 6, Key: theirKey}, clove)
//	// send i2np.Garlic{Body: sent.Body} through a tunnel
//	msg, _ := e.Decrypt(now, garlicBody) // msg.Cloves, msg.From if msg.Bound
//	e.Expire(now) // now and then
//
// Encrypt chooses New Session, New Session Reply or Existing Session from
// the state held for the remote key; Decrypt classifies by tag. When
// Message.NeedsReply is set the ratchet owes the sender a message: if
// nothing else goes to it within about a second, Encrypt with no blocks.
// Session reports a remote key's state (type negotiated, tag set IDs).
//
// # Files
//
//   - elligator.go: Elligator2 for ephemeral keys (ecies.rst §2a).
//   - blocks.go, clove.go: payload blocks and Garlic Clove delivery
//     instructions; parsers never panic and allocate at most in
//     proportion to their input.
//   - tagset.go: DH_INITIALIZE, the session tag and symmetric key
//     ratchets, inbound windows.
//   - handshake.go: NS and NSR crypto (Noise IKelg2+hs2, IKhfselg2+MLKEM).
//   - session.go: peers, handshakes in flight, sessions, the DH ratchet
//     of NextKey blocks.
//   - engine.go, encrypt.go, decrypt.go, state.go: the Engine, message
//     classification, limits, eviction and expiry.
//   - onetime.go: one-time keys for lookup replies (proposal 154).
//   - bound.go: the sender's LeaseSet2 bundled in a bound New Session.
//   - elgamal*.go: ElGamal/AES+SessionTags, both directions.
//
// # Ownership and concurrency
//
// An Engine owns all session state of its destination; no package-level
// state is written after init. One mutex guards it; handshake crypto
// (X25519, ML-KEM, ElGamal) runs outside the lock, on snapshots, and its
// result is committed under it. The Engine starts no goroutines and reads
// no clock: every call takes now, and Expire does the timeouts.
//
// # Bounds
//
// Everything remote input can make the Engine hold is capped (Limits):
// peers (LRU eviction, peers without an established session first),
// inbound tags across all sessions, handshakes per peer, replies per
// handshake, tag sets per session, queued acks, one-time keys, ElGamal
// tags. A flood of New Sessions costs CPU (one X25519 each to reject, two
// to accept) but not memory beyond those caps; New Sessions are refused
// when replayed (a filter of ephemeral keys remembering 7 to 14 minutes) or dated outside
// -5/+2 minutes.
package garlic
