// Package tunnel holds the tunnel machinery below the tunnel pools: the
// ECIES build records a creator sends and a hop answers
// (tunnel-creation-ecies.rst), the layered AES encryption of the 1024-byte
// TunnelData body that every hop applies and the creator undoes
// (tunnels/implementation.html), the gateway's fragmentation and packing of
// I2NP messages into tunnel messages and the endpoint's reassembly
// (tunnel-message.rst), and the transit hop that ties them together.
//
// Who owns what: a Layer is read-only after NewLayer and safe for
// concurrent use; a Gateway and an Endpoint each belong to one goroutine
// (the tunnel's), start none of their own and take the time as an
// argument. Nothing here does I/O: callers hand bodies in and get them
// back through callbacks, and send them on themselves. Every parser of
// received bytes returns an error instead of panicking and bounds what it
// keeps.
package tunnel
