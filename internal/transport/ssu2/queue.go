package ssu2

import "github.com/veil-i2p/veil/internal/transport"

// outItem is one queued message (a session's transport.SendQueue holds
// them): an I2NP message, or a RouterInfo for a RouterInfo block.
type outItem struct {
	msg   *transport.Message
	ri    []byte
	flood bool
}
