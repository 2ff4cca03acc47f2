package router

import (
	"context"
	"net"
	"slices"
	"sync"

	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/streaming"
)

// Streaming (internal/streaming) on every local destination, and the
// client, server, http and irc tunnels of tunnels.conf on top of it
// (internal/i2ptunnel). A tunnel that cannot open its port is logged and
// left out, as i2pd does, and the router runs on.

// tcpTunnel is one running TCP tunnel, for status.
type tcpTunnel struct {
	name, typ, dest, listen string
	streams                 *streaming.Manager
}

// TCPTunnelStatus is one TCP tunnel in `veil status --json`.
type TCPTunnelStatus struct {
	Name        string `json:"name"`
	Type        string `json:"type"`        // client, server, http, irc or httpproxy
	Destination string `json:"destination"` // the local destination's ….b32.i2p
	// Listen is a client tunnel's local address, or a server tunnel's
	// streaming port ("…b32.i2p:port"; port 0: any).
	Listen string `json:"listen"`
	// Streams are the destination's open streams, all tunnels together;
	// Refused and Throttled its refused SYNs.
	Streams   int    `json:"streams"`
	Refused   uint64 `json:"refused"`
	Throttled uint64 `json:"throttled"`
}

// runStreams attaches a streaming Manager to each of ds and runs their
// TCP tunnels until ctx ends; then the tunnels end and the Managers
// close (resetting what is still open).
func (r *Router) runStreams(ctx context.Context, ds []*namedDestination) {
	var wg sync.WaitGroup
	var managers []*streaming.Manager
	defer func() {
		wg.Wait()
		for _, m := range managers {
			m.Close()
		}
	}()
	var running []tcpTunnel
	for _, d := range ds {
		m, err := streaming.Attach(d.Destination, d.sections[0].Streaming, r.log)
		if err != nil {
			r.log.Error("router: no streaming on destination", "name", d.name, "err", err)
			continue
		}
		managers = append(managers, m)
		for _, sec := range d.sections {
			t, serve, err := r.startTCPTunnel(sec, m)
			if err != nil {
				r.log.Error("router: TCP tunnel not started", "name", sec.Name, "err", err)
				continue
			}
			if serve == nil {
				continue
			}
			t.dest, t.streams = d.B32(), m
			wg.Go(func() { serve(ctx) })
			running = append(running, t)
			r.log.Info("router: TCP tunnel", "name", t.name, "type", t.typ, "listen", t.listen, "destination", t.dest)
		}
	}
	r.mu.Lock()
	r.tcpTunnels = append(r.tcpTunnels, running...)
	r.mu.Unlock()
	defer func() { // this call's tunnels leave status when it ends (reload.go)
		r.mu.Lock()
		r.tcpTunnels = slices.DeleteFunc(r.tcpTunnels, func(t tcpTunnel) bool { return slices.Contains(running, t) })
		r.mu.Unlock()
	}()
	<-ctx.Done()
}

// startTCPTunnel opens the port of a section's TCP tunnel, if it has one
// (serve nil: it has none), and returns what serves it.
func (r *Router) startTCPTunnel(sec DestinationConfig, m *streaming.Manager) (tcpTunnel, func(context.Context), error) {
	switch {
	case sec.TCPClient != nil:
		c := i2ptunnel.NewClient(*sec.TCPClient, m, r.destResolver(sec.Name), r.log)
		ln, err := c.Listen()
		if err != nil {
			return tcpTunnel{}, nil, err
		}
		return tcpTunnel{name: sec.Name, typ: "client", listen: ln.Addr().String()},
			func(ctx context.Context) { c.Serve(ctx, ln) }, nil
	case sec.TCPServer != nil:
		s, err := i2ptunnel.NewServer(*sec.TCPServer, m, r.log)
		if err != nil {
			return tcpTunnel{}, nil, err
		}
		ln, err := s.Listen()
		if err != nil {
			return tcpTunnel{}, nil, err
		}
		typ := sec.TCPServer.Type
		if typ == "" {
			typ = i2ptunnel.TypeServer
		}
		return tcpTunnel{name: sec.Name, typ: typ, listen: ln.Addr().String()},
			func(ctx context.Context) { s.Serve(ctx, ln) }, nil
	case sec.HTTPProxy != nil:
		return r.startHTTPProxy(sec, m)
	case sec.SOCKSProxy != nil:
		return r.startSOCKSProxy(sec, m)
	}
	return tcpTunnel{}, nil, nil
}

// tcpTunnelStatus reports the running TCP tunnels.
func (r *Router) tcpTunnelStatus() []TCPTunnelStatus {
	r.mu.Lock()
	ts := slices.Clone(r.tcpTunnels)
	order := r.destOrderLocked()
	r.mu.Unlock()
	slices.SortStableFunc(ts, func(a, b tcpTunnel) int { return order[a.dest] - order[b.dest] })
	var out []TCPTunnelStatus
	for _, t := range ts {
		c := t.streams.Counters()
		out = append(out, TCPTunnelStatus{Name: t.name, Type: t.typ, Destination: t.dest, Listen: t.listen,
			Streams: t.streams.Conns(), Refused: c.Refused, Throttled: c.Throttled})
	}
	return out
}

// The Manager serves the tunnels as their Streams.
var _ i2ptunnel.Streams = (*streaming.Manager)(nil)

// and its listeners are net.Listeners.
var _ net.Listener = (*streaming.Listener)(nil)
