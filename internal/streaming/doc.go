// Package streaming is I2P's streaming library (streaming.rst, and
// pages/site/docs/api/streaming.html for options and behaviour): reliable,
// ordered, TCP-like connections between destinations, carried as I2CP
// protocol 6 payloads.
//
// A Manager serves one local destination. It reaches the network through
// the small Network interface (a client.Destination behind an adapter, or
// a fake in tests) and is fed the streaming payloads the destination
// receives through HandlePacket. Its API follows package net: Listen
// returns a net.Listener, Dial a net.Conn with deadlines and CloseWrite,
// and addresses are Addr values naming a destination by its b32 address.
//
// Layout: packet*.go is the wire format and its signatures; rtt.go and
// window.go are the pure RTT estimator and congestion window (time passed
// in); conn*.go is one connection, owned by its run goroutine, with the
// user side (Read, Write, deadlines) sharing its state under one lock;
// manager.go demultiplexes packets to connections, answers pings and
// applies the limits of limits.go to incoming SYNs.
package streaming
