package ssu2

import "github.com/veil-i2p/veil/internal/transport"

// outItem is one queued message (a session's transport.SendQueue holds
// them): an I2NP message, a RouterInfo for a RouterInfo block, or an
// encoded control block (Peer Test) to deliver reliably.
type outItem struct {
	msg   *transport.Message
	ri    []byte
	flood bool
	block []byte
}
