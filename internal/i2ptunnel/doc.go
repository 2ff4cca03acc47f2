// Package i2ptunnel is I2PTunnel as i2pd and Java I2P users know it: the
// tunnels of tunnels.conf that connect local programs to I2P without
// their knowing. A client tunnel turns the connections to a local TCP
// port into streams to one I2P destination; a server tunnel (plain,
// http or irc) turns the streams to a local destination into
// connections to a local TCP service. UDP tunnels do the same with
// datagrams. The HTTP proxy (httpproxy*.go) lets a browser reach ….i2p
// sites over streams from its own destination. The tunnels see the
// network only through the small interfaces they declare (Streams,
// Resolver), so the router wires them to its destinations and tests to
// anything.
package i2ptunnel
