package router

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/tunnel"
)

// Transit glue: the tunnel package decides and transforms, this file moves
// messages. Handlers run on a session's read goroutine, so they never
// block: messages to a peer without a session go to a small pool of
// dialers, and are dropped when it is busy (the tunnel loses a message,
// as it would to congestion).

const (
	transitExpireEvery = 30 * time.Second
	dialQueueLen       = 256
	dialWorkers        = 8
)

// outbound is one message waiting for a dial.
type outbound struct {
	to     data.Hash
	msg    *transport.Message
	pri    transport.Priority
	failed func() // may be nil
}

// transitShare is the transit bandwidth in bytes per second: bandwidth ×
// share / 100, or 0 (no limit) when bandwidth sets none.
func transitShare(cfg *Config) int {
	share := cfg.Share
	if share <= 0 || share > 100 {
		share = 100
	}
	return bandwidthKBps(cfg.Bandwidth) * 1024 * share / 100
}

// newTransit creates the transit tables for our identity.
func (r *Router) newTransit() (*tunnel.Transit, error) {
	r.mu.Lock()
	keys, ri := r.keys, r.ri
	r.mu.Unlock()
	var priv [32]byte
	copy(priv[:], keys.EncPrivate)
	pub, err := crypto.X25519Public(priv[:])
	if err != nil {
		return nil, err
	}
	return tunnel.NewTransit(tunnel.TransitConfig{
		Self:       ri.Hash(),
		Keys:       tunnel.NewRecordKeys(ri.Hash(), priv, pub),
		Accept:     !r.cfg.NoTransit,
		MaxTunnels: r.cfg.MaxTransit,
		ShareBytes: transitShare(&r.cfg),
		Log:        r.log,
	}), nil
}

// runTransit expires transit tunnels until ctx ends.
func (r *Router) runTransit(ctx context.Context, tr *tunnel.Transit) {
	t := time.NewTicker(transitExpireEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			tr.Expire(now)
		}
	}
}

// tunnelSender hands tunnel messages to the transports: straight onto a
// peer's session when there is one, else to a few dialer goroutines
// through a bounded queue.
//
// Messages addressed to this router itself (an outbound endpoint of ours
// delivering a build request for a tunnel whose gateway we also are, say)
// go through a queue of their own to the dispatch point, never straight
// back into the handler that produced them: no recursion, and a bound.
type tunnelSender struct {
	r     *Router
	mgr   *transport.Manager
	self  data.Hash
	queue chan outbound
	local chan localMsg
	// dest maps a local destination's pool to its handler (sessions.go):
	// tunnels.conf destinations and sessions opened while running.
	dest *poolHandlers
}

// localMsg is a message for this router itself: from one of our inbound
// tunnels (pool set) or from our own outbound endpoint.
type localMsg struct {
	pool *tunnel.Pool
	m    *transport.Message
}

func newTunnelSender(r *Router, mgr *transport.Manager, self data.Hash) *tunnelSender {
	return &tunnelSender{r: r, mgr: mgr, self: self, dest: &r.handlers, queue: make(chan outbound, dialQueueLen),
		local: make(chan localMsg, dialQueueLen)}
}

// Run dials for queued messages until ctx ends.
func (ts *tunnelSender) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case l := <-ts.local:
				if l.pool != nil {
					if h := ts.dest.get(l.pool); h != nil {
						h(i2np.Header{Type: l.m.Type, ID: l.m.ID, Expiration: l.m.Expiration}, l.m.Payload)
						continue
					}
				}
				ts.mgr.Dispatch(ts.self, l.m)
			}
		}
	})
	for range dialWorkers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case o := <-ts.queue:
					dctx, cancel := context.WithTimeout(ctx, dialTimeout)
					err := ts.mgr.Send(dctx, o.to, o.msg, o.pri)
					if errors.Is(err, transport.ErrUnknownPeer) {
						err = ts.lookupAndSend(dctx, o, err)
					}
					if err != nil {
						ts.r.log.Debug("router: tunnel message not sent", "peer", o.to.String(), "type", i2np.TypeName(o.msg.Type), "err", err)
						if o.failed != nil {
							o.failed()
						}
					}
					cancel()
				}
			}
		})
	}
	wg.Wait()
}

// lookupAndSend looks up the RouterInfo of a peer we know nothing of
// (the next hop of a tunnel being built through us, say: a router that
// joined a moment ago and is the creator of an inbound tunnel we end),
// as i2pd does, and sends o once it is known.
func (ts *tunnelSender) lookupAndSend(ctx context.Context, o outbound, unknown error) error {
	ts.r.mu.Lock()
	g := ts.r.nd
	ts.r.mu.Unlock()
	if g == nil {
		return unknown
	}
	if _, err := g.svc.LookupRouterInfo(ctx, o.to); err != nil {
		return fmt.Errorf("%w (looked up: %v)", unknown, err)
	}
	return ts.mgr.Send(ctx, o.to, o.msg, o.pri)
}

// fail calls f unless it is nil. Send is called with the tunnel manager's
// lock free, so a failure callback may take it.
func fail(f func()) {
	if f != nil {
		f()
	}
}

// Local queues a message one of our inbound tunnels (of pool p) delivered:
// for the destination that owns p, else for the dispatch point as if it
// came from ourselves.
func (ts *tunnelSender) Local(p *tunnel.Pool, h i2np.Header, payload []byte) {
	m := &transport.Message{Type: h.Type, ID: h.ID, Expiration: h.Expiration, Payload: payload}
	select {
	case ts.local <- localMsg{p, m}:
	default:
		ts.r.log.Debug("router: local queue full, delivered message dropped", "type", i2np.TypeName(h.Type))
	}
}

// Send queues outs without blocking.
func (ts *tunnelSender) Send(outs []tunnel.Out) {
	for _, o := range outs {
		m := &transport.Message{Type: o.Msg.Type, ID: o.Msg.ID, Expiration: o.Msg.Expiration, Payload: o.Payload}
		if o.To == ts.self {
			select {
			case ts.local <- localMsg{m: m}:
			default:
				ts.r.log.Debug("router: local queue full, message to ourselves dropped", "type", i2np.TypeName(o.Msg.Type))
			}
			continue
		}
		pri := transport.PriorityNormal
		if o.Msg.Type != i2np.TypeTunnelData {
			pri = transport.PriorityHigh
		}
		if s := ts.mgr.Session(o.To); s != nil {
			if err := s.Send(m, pri); err != nil {
				ts.r.log.Debug("router: tunnel message dropped", "peer", o.To.String(), "err", err)
				fail(o.Failed)
			}
			continue
		}
		select {
		case ts.queue <- outbound{to: o.To, msg: m, pri: pri, failed: o.Failed}:
		default:
			ts.r.log.Debug("router: dial queue full, tunnel message dropped", "peer", o.To.String())
			fail(o.Failed)
		}
	}
}
