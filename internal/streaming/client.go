package streaming

import (
	"context"
	"log/slog"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/data"
)

// The wiring to a local destination of the router: packets go out as the
// Data of I2CP payloads of protocol 6 (client.Destination.Send), and the
// destination hands its protocol-6 payloads to the Manager.

// destinationNet sends a Manager's packets through a destination.
type destinationNet struct{ d *client.Destination }

func (n destinationNet) Send(ctx context.Context, to data.Hash, srcPort, dstPort uint16, packet []byte) error {
	return n.d.Send(ctx, to, client.Payload{Protocol: client.ProtoStreaming, SrcPort: srcPort, DstPort: dstPort, Data: packet})
}

// Attach starts a Manager for the local destination d (opts nil: the
// defaults) and routes d's streaming payloads to it. Closing the Manager
// detaches it.
func Attach(d *client.Destination, opts *Options, log *slog.Logger) (*Manager, error) {
	m, err := New(Config{Keys: d.Keys(), Net: destinationNet{d}, Options: opts, Log: log})
	if err != nil {
		return nil, err
	}
	d.HandleProtocol(client.ProtoStreaming, func(r client.Received) {
		in := Inbound{SrcPort: r.SrcPort, DstPort: r.DstPort, Packet: r.Data}
		if r.Bound {
			in.Sender = r.From
		}
		m.HandlePacket(in)
	})
	m.detach = func() { d.HandleProtocol(client.ProtoStreaming, nil) }
	return m, nil
}
