// Package ssu2 is I2P's SSU2 transport: authenticated, obfuscated UDP
// sessions between routers carrying I2NP messages (spec: ssu2.rst;
// background: proposal 159; network id check: proposal 147).
//
// Layout, by concern:
//
//	constants.go         protocol sizes, message and block types, timers, defaults
//	header.go            long and short headers, header protection from the packet tail
//	kdf.go               initial Noise state, header keys, data-phase keys
//	blocks.go            block codec (DateTime … Padding), ordering rules
//	address.go           peers' SSU2 addresses (s, i, v, host, port, mtu, caps)
//	tokens.go            Retry and New Token tokens, bound to an address, single use
//	demux.go             sockets, readLoop, routing packets by connection id, Retry
//	handshake_client.go  Alice: Token Request, Session Request, Created, Confirmed
//	handshake_server.go  Bob: the mirror, with every check
//	session.go           transport.Session: the run loop, states, termination
//	send.go              data-phase output: chunks, packets, ACK handling, loss, RTO
//	receive.go           data-phase input: AEAD, duplicates, blocks, path validation
//	reassembly.go        First/Follow-on Fragment reassembly with bounds
//	queue.go             a session's priority send queue with a cap
//	transport.go         transport.Transport: Config, New, Run, Dial, counters
//	peertest.go          peer testing (messages 1–7) as Alice, Bob and Charlie
//	relay.go             relay tags, introducers, Relay Request/Intro/Response, Hole Punch
//	exchanges.go         the table of peer tests and relays in progress, by nonce
//	ack/                 ACK block ranges, the receiver's history, RTT/RTO (RFC 6298)
//	cc/                  congestion window (NewReno in bytes, after RFC 9002)
//
// Ownership and concurrency. Each socket has one reader, readLoop, which
// only does symmetric crypto: it finds the session a packet belongs to by
// its connection id (one RWMutex-guarded table), answers Token Requests
// and token-less Session Requests with a Retry, and starts inbound
// sessions. Every session, from its first handshake packet to the end of
// its closing period, is one goroutine (run) that owns all of its state:
// Noise handshake, keys, packet numbers, ACK history, congestion window,
// retransmission, reassembly and timers (one timer, reset to the earliest
// deadline). Other goroutines reach a session only through its capped
// inbound packet channel (full: the packet is dropped and counted), its
// capped priority send queue with a 1-slot notify channel (Send never
// blocks), Close requests, and atomics. Handler calls for a session come
// from its goroutine, in order: Established before any message, Closed
// once. Transport.Run owns the sockets; when its context ends every
// session sends a Termination (reason 3), Run waits for all goroutines,
// then closes the sockets. Nothing is package-level mutable.
//
// Checked against i2pd 2.45.1 (interop/ssu2_*_test.go, build tag interop),
// which settles what the spec leaves open: the ChaCha20 of header
// protection starts at block counter 1, as i2pd's ChaCha20 does; Session
// Confirmed part 1 is sealed with the key of Session Created's ee step at
// n=1; Session Request and Created carry a packet number that is ignored
// (i2pd sends 0); the conn ids of the long header are opaque 8-byte
// values. i2pd 2.45.1 reads a Termination block's reason at payload byte
// 11, so ours comes first; it accepts at most two Session Confirmed
// fragments; it sends a Peer Test block (message 1) to a new Bob at once;
// and after a Termination it keeps the closing session in its transports
// table for up to 30 s, sending our messages into it even when a newer
// session exists. Its reassembly loses messages: one that out-of-order
// fragments complete behind a resent fragment is dropped as expired, a
// fragment that arrives twice can block the rest, and its 128 KiB socket
// buffer overflows under a burst of 256 packets. So the window stops at
// 64 packets, a message's last fragment goes only once the others are
// acknowledged, and loss is judged by time once the path reorders
// (send.go, reorder.go; interop TestSSU2LossyI2pd).
//
// Errors a peer can cause are values, never panics: parsers return
// errors wrapping ErrPayloadFormat or ErrHeader, handshake failures end
// the handshake silently (no Termination can be sent before the data
// phase), and data-phase errors send a Termination with the reason they
// carry (*transport.TerminationError).
package ssu2
