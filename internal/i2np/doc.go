// Package i2np holds the codecs of I2NP, the router-to-router message
// protocol (i2np.rst): the 16-byte standard header, the 9-byte short
// header NTCP2 and SSU2 use, the message type numbers, and the body of
// every message type (1, 2, 3, 10, 11, 18, 19, 20, 21–26). Parse and
// ParsePayload dispatch on the type and return a typed Message;
// AppendMessage encodes one with either header. CheckExpiration and
// MaxMessageLen are the receive-side limits (i2pd's bounds). Garlic
// bodies and tunnel build records stay opaque here: their crypto is in
// internal/garlic and internal/tunnel. Duplicate message ids are the
// router's to drop, with internal/replay.Filter.
//
// The package is codecs only: no I/O, no goroutines, no state. Every
// function is safe for concurrent use; parsed values may alias the input
// where their docs say so. Parsers never panic on outside bytes and cap
// what they allocate (a compressed RouterInfo inflates to at most
// MaxRouterInfoLen bytes).
//
// i2np sits below transport (layers_test.go): it does not know
// transport.Message; the transport layer carries the short header's three
// fields itself and the router converts.
package i2np
