// Package i2np holds the codecs of I2NP, the router-to-router message
// protocol (i2np.rst): the 16-byte standard header, the 9-byte short
// header NTCP2 and SSU2 use, the message type numbers, and the message
// bodies veil handles so far (DatabaseStore of RouterInfos, DeliveryStatus).
// The remaining bodies (DatabaseLookup, DatabaseSearchReply, tunnel build
// records, Garlic) arrive with the netDb and tunnel issues.
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
