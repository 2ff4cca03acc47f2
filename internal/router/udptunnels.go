package router

import (
	"context"
	"slices"
	"sync"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/garlic"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
)

// The udpclient and udpserver tunnels of tunnels.conf (internal/i2ptunnel)
// on the destinations they name. A tunnel that cannot open its port is
// logged and left out, as i2pd does, and the router runs on.

// udpTunnel is one running UDP tunnel, for status.
type udpTunnel struct {
	name, typ, dest string
	stats           func() i2ptunnel.UDPStats
}

// UDPTunnelStatus is one UDP tunnel in `veil status --json`.
type UDPTunnelStatus struct {
	Name        string `json:"name"`
	Type        string `json:"type"`        // udpclient or udpserver
	Destination string `json:"destination"` // the local destination's ….b32.i2p
	i2ptunnel.UDPStats
}

// runUDPTunnels runs the UDP tunnels of ds until ctx ends.
func (r *Router) runUDPTunnels(ctx context.Context, ds []*namedDestination) {
	var wg sync.WaitGroup
	defer wg.Wait()
	var running []udpTunnel
	for _, d := range ds {
		var mux *i2ptunnel.UDPMux
		for _, sec := range d.sections {
			if sec.UDPClient == nil && sec.UDPServer == nil {
				continue
			}
			if mux == nil {
				mux = i2ptunnel.NewUDPMux(d.Destination)
			}
			switch {
			case sec.UDPClient != nil:
				c := i2ptunnel.NewUDPClient(*sec.UDPClient, mux, r.destResolver(sec.Name), r.log)
				conn, err := c.Listen()
				if err != nil {
					r.log.Error("router: udpclient tunnel not started", "name", sec.Name, "err", err)
					continue
				}
				wg.Go(func() { c.Serve(ctx, conn) })
				running = append(running, udpTunnel{sec.Name, "udpclient", d.B32(), c.Stats})
				r.log.Info("router: udpclient tunnel", "name", sec.Name, "listen", conn.LocalAddr().String(), "destination", sec.UDPClient.Destination)
			case sec.UDPServer != nil:
				s, err := i2ptunnel.NewUDPServer(*sec.UDPServer, mux, r.log)
				if err != nil {
					r.log.Error("router: udpserver tunnel not started", "name", sec.Name, "err", err)
					continue
				}
				wg.Go(func() { s.Serve(ctx) })
				running = append(running, udpTunnel{sec.Name, "udpserver", d.B32(), s.Stats})
				r.log.Info("router: udpserver tunnel", "name", sec.Name, "address", d.B32(), "forward", sec.UDPServer.Host, "port", sec.UDPServer.Port)
			}
		}
	}
	r.mu.Lock()
	r.udpTunnels = append(r.udpTunnels, running...)
	r.mu.Unlock()
	defer func() { // this call's tunnels leave status when it ends (reload.go)
		r.mu.Lock()
		r.udpTunnels = slices.DeleteFunc(r.udpTunnels, func(t udpTunnel) bool {
			return slices.ContainsFunc(running, func(x udpTunnel) bool { return x.name == t.name && x.dest == t.dest })
		})
		r.mu.Unlock()
	}()
	<-ctx.Done()
}

// udpTunnelStatus reports the running UDP tunnels.
func (r *Router) udpTunnelStatus() []UDPTunnelStatus {
	r.mu.Lock()
	ts := slices.Clone(r.udpTunnels)
	order := r.destOrderLocked()
	r.mu.Unlock()
	slices.SortStableFunc(ts, func(a, b udpTunnel) int { return order[a.dest] - order[b.dest] })
	var out []UDPTunnelStatus
	for _, t := range ts {
		out = append(out, UDPTunnelStatus{Name: t.name, Type: t.typ, Destination: t.dest, UDPStats: t.stats()})
	}
	return out
}

// destinationMessages are a destination's message counters for status.
func destinationMessages(s client.Stats) (sentBy, recvBy map[uint8]uint64, garlicSent, garlicRecv map[string]uint64) {
	byKind := func(m map[garlic.Kind]uint64) map[string]uint64 {
		out := make(map[string]uint64, len(m))
		for k, v := range m {
			out[k.String()] = v
		}
		return out
	}
	return s.SentBy, s.ReceivedBy, byKind(s.Garlic.Sent), byKind(s.Garlic.Received)
}
