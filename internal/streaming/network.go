package streaming

import (
	"context"

	"github.com/veil-i2p/veil/internal/data"
)

// Network is how a Manager reaches other destinations: one streaming
// packet as the payload of an I2CP message of protocol 6 with the given
// ports. Send may block (a LeaseSet lookup) until ctx ends; a packet it
// loses is like one the network lost.
type Network interface {
	Send(ctx context.Context, to data.Hash, srcPort, dstPort uint16, packet []byte) error
}

// Inbound is one streaming payload the destination received.
type Inbound struct {
	SrcPort, DstPort uint16
	// Packet is the streaming packet; the Manager keeps it, the caller
	// must not reuse it.
	Packet []byte
	// Sender is the static key of the garlic session the packet came in,
	// when the session is bound to one (zero otherwise). A connection
	// keeps to the sender of its first bound packet.
	Sender [32]byte
}
