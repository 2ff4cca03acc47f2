// Package bob is veil's BOB bridge (pages/site/docs/api/bob.html, version
// 00.00.10, i2pd's command set): a line-based command channel, default
// 127.0.0.1:2827 and off, that sets up tunnels by nickname. A tunnel with
// outhost/outport is a server: streams to its destination are connected
// to that TCP address, after a line with the peer's Base64 destination
// unless quiet. One with inhost/inport is a client: a program connects to
// that local port, writes the destination (Base64 or a name) on a line,
// and the rest is the stream. Tunnels outlive the command connection
// that made them (quit leaves them running) and end with stop, or when
// the bridge stops.
//
// The router is reached through the small Router and Session interfaces
// of backend.go. Concurrency: a goroutine per command connection; each
// running tunnel has its accept goroutine and two copying goroutines per
// connection, all waited for by Serve.
package bob
