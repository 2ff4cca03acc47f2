// Package sam is veil's SAM bridge, versions 3.0 to 3.3
// (pages/site/docs/api/samv3.html): the line protocol applications in
// any language use to open I2P destinations, streams and datagrams.
//
// Layout: command.go parses command lines and formats replies (exact
// forms: two words, KEY=VALUE pairs separated by one space, quotes only
// around values that need them); version.go negotiates HELLO; keys.go
// is DEST GENERATE and the private key format; server.go owns the
// listeners and the registry of sessions; conn.go runs one client
// connection; session.go is SESSION CREATE/ADD/REMOVE, PRIMARY sessions
// and the routing of received datagrams by protocol and port; stream.go
// is STREAM CONNECT/ACCEPT/FORWARD; datagram.go the UDP port, DATAGRAM
// and RAW SEND, and delivery; naming.go is NAMING LOOKUP.
//
// The package does not know the router: it reaches it through the
// Router and Session interfaces of backend.go, which internal/router
// implements with its local destinations and streaming managers (and
// the tests with an in-memory network).
//
// Concurrency: one goroutine per client connection reads and answers
// its commands; a connection that creates a session owns it, and its
// end ends the session and everything on it (streams, subsessions,
// tunnels). A STREAM CONNECT or ACCEPT connection becomes a pipe of two
// copying goroutines. Each STREAM session has an accept goroutine that
// hands incoming streams to waiting ACCEPTs or to its FORWARD. Received
// datagrams go to the client's UDP port, or through a bounded queue
// (dropped when full) to a writer goroutine of the control socket; a
// client that stops reading is cut off by a write timeout. Datagrams to
// send are sent by at most maxSending goroutines at once; more are
// dropped. Server.Serve returns only once every goroutine has ended.
package sam
