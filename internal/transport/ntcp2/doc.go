// Package ntcp2 is I2P's NTCP2 transport: authenticated, obfuscated TCP
// sessions between routers carrying I2NP messages (spec: ntcp2.rst,
// "NTCP 2"; proposal 111; network id check, proposal 147).
//
// Layout, by concern:
//
//	constants.go         protocol sizes, block types, timeouts and defaults
//	messages.go          SessionRequest / SessionCreated options blocks
//	kdf.go               handshake start state, data-phase keys (Split + SipHash keys)
//	handshake_client.go  Alice: sendSessionRequest, readSessionCreated, sendSessionConfirmed
//	handshake_server.go  Bob: the mirror, with every check and probing resistance
//	frame.go             data-phase record layer: SipHash-obfuscated length + AEAD, per direction
//	blocks.go            block codec (DateTime, Options, RouterInfo, I2NP, Termination, Padding)
//	queue.go             a session's priority send queue with a cap
//	session.go           transport.Session: readLoop, writeLoop, idle timeout, termination
//	transport.go         transport.Transport: Config, New, Dial, counters
//	accept.go            Run: listeners, accept loop with its limits, Bob's handshakes
//	address.go           peers' NTCP2 addresses (s, i, v, host, port)
//	replay.go            cache of SessionRequest ephemeral keys
//
// Ownership and concurrency. A handshake runs entirely on the goroutine
// that dialed (Dial's caller) or accepted (one goroutine per inbound
// connection, at most Config.MaxHandshakes at once) and owns the
// connection and the Noise state; nothing is shared until it completes.
// The Noise state, ephemeral keys and intermediate KDF values are wiped
// when the data-phase keys have been derived. The Handler's Established
// is then called on that same goroutine, before any message is delivered;
// if it refuses, a Termination block is sent and the connection closed.
// Otherwise two goroutines take over: readLoop owns the receiving half
// (buffered reader, cipher, SipHash state) and makes every later Handler
// call (Received, ReceivedRouterInfo, then Closed once); writeLoop owns
// the sending half, the idle timer and the DateTime schedule, and is fed
// by the session's capped priority queue (Send never blocks). The first
// error of a session is sticky and ends both loops.
//
// Transport.Run owns the listeners and the set of live sessions; when its
// context ends it closes every session (Termination reason 3), waits for
// all goroutines it or Dial started, and returns. The replay cache and
// the per-IP rate limiter are the only state shared between handshakes,
// each behind its own mutex. Nothing is package-level mutable.
//
// Checked against i2pd 2.45.1 (interop_test.go, build tag interop), which
// settles the spec's ambiguous spots: message 3 part 1 is sealed with the
// key of message 2's ee step at n=1; the KDF mixes the whole 32-byte
// SessionCreated AEAD frame into h (the text says 24 bytes); Y continues
// the AES-CBC state left by X; the frame length is XORed with the low 16
// bits of the SipHash output and sent big-endian. i2pd answers a new
// inbound peer with a DatabaseStore of its RouterInfo rather than a
// RouterInfo block, and on a skewed SessionRequest sends a SessionCreated
// that authenticates only if the request carried no padding.
//
// Errors a peer can cause are values, never panics: handshake steps
// return errors prefixed with the step ("ntcp2: session created: clock
// skew 73s: ..."), wrapping *transport.TerminationError where a reason
// code applies, and the sentinels ErrWrongNetID, ErrReplay, ErrFrameAuth,
// ErrFrameLength and ErrPayloadFormat.
package ntcp2
