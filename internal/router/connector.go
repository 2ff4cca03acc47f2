package router

import (
	"context"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/transport"
)

// Connector timing. Below MinPeers it looks for peers every few seconds;
// up to TargetPeers, twice a minute; each round dials at most
// dialsPerRound routers at once, each for at most dialTimeout. Failed
// routers are skipped while the Manager backs them off.
const (
	connectFast     = 5 * time.Second
	connectSlow     = 30 * time.Second
	dialsPerRound   = 4
	dialTimeout     = 30 * time.Second
	publishInterval = 40 * time.Minute // i2pd's NETDB_PUBLISH_INTERVAL
	// sessionKeepAlive is under i2pd's 2-minute idle timeout, so a kept
	// session sends a frame before the peer would close it.
	sessionKeepAlive = 50 * time.Second
)

// runConnector keeps the router connected: it dials known routers that
// publish an address a transport can reach until TargetPeers sessions
// are up, and every publishInterval sends our RouterInfo again to the
// floodfills we are connected to. It returns when ctx ends, after its
// dials have.
func (r *Router) runConnector(ctx context.Context, mgr *transport.Manager, store *netdb.Store) {
	minPeers, target := r.cfg.MinPeers, r.cfg.TargetPeers
	if minPeers <= 0 {
		minPeers = DefaultMinPeers
	}
	if target <= 0 {
		target = DefaultTargetPeers
	}
	target = max(target, minPeers)
	timer := time.NewTimer(0)
	defer timer.Stop()
	lastPublish := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		n := mgr.NumSessions()
		if n < target {
			r.connectRound(ctx, mgr, store, min(target-n, dialsPerRound))
		}
		if time.Since(lastPublish) >= publishInterval {
			lastPublish = time.Now()
			for _, s := range mgr.Sessions() {
				if ri := s.PeerRouterInfo(); ri != nil && netdb.IsFloodfill(ri) {
					r.publishTo(s)
				}
			}
		}
		next := connectSlow
		if mgr.NumSessions() < minPeers {
			next = connectFast
		}
		timer.Reset(next)
	}
}

// connectRound dials up to k routers we have no session with, chosen at
// random among those the Manager would dial now, and waits for them.
func (r *Router) connectRound(ctx context.Context, mgr *transport.Manager, store *netdb.Store, k int) {
	var cands []*data.RouterInfo
	for _, ri := range store.All() {
		if mgr.Session(ri.Hash()) == nil && mgr.Dialable(ri) {
			cands = append(cands, ri)
		}
	}
	mrand.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	var wg sync.WaitGroup
	for _, ri := range cands[:min(k, len(cands))] {
		wg.Go(func() {
			dctx, cancel := context.WithTimeout(ctx, dialTimeout)
			defer cancel()
			if _, err := mgr.Connect(dctx, ri); err != nil {
				r.log.Debug("router: connect", "peer", ri.Hash().String(), "err", err)
			}
		})
	}
	wg.Wait()
}
