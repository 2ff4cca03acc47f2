package router

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/replay"
	"github.com/veil-i2p/veil/internal/transport"
)

// netDb glue: the netdb package decides, this file moves messages. The
// DatabaseStore, DatabaseLookup, DatabaseSearchReply and DeliveryStatus
// messages that reach us directly, and those inside garlic addressed to
// our router (how destinations reach a floodfill through their tunnels),
// go to the netdb.Service; it sends through the transport Manager.

// Garlic replay filter: an ephemeral key is used once, and a garlic is
// refused beyond its DateTime window (i2np.OpenRouterGarlic), so
// remembering keys for 10 minutes catches every replay that could open.
const (
	garlicReplayPeriod   = 10 * time.Minute
	garlicReplayCapacity = 1 << 16
)

// netdbGlue is the router's netDb state beside the Service.
type netdbGlue struct {
	svc    *netdb.Service
	mgr    *transport.Manager
	priv   [32]byte // our X25519 key, for garlic addressed to us
	pub    [32]byte
	replay *replay.Filter

	garlicIn, garlicBad, garlicReplayed, garlicOther atomic.Uint64
}

// managerSender implements netdb.Sender with the transport Manager.
type managerSender struct {
	mgr  *transport.Manager
	self data.Hash
}

func (s managerSender) Send(ctx context.Context, to data.Hash, h i2np.Header, payload []byte) error {
	m := &transport.Message{Type: h.Type, ID: h.ID, Expiration: h.Expiration, Payload: payload}
	if to == s.self {
		// A reply down a tunnel whose gateway we are.
		s.mgr.Dispatch(to, m)
		return nil
	}
	return s.mgr.Send(ctx, to, m, transport.PriorityHigh)
}

// registerNetDB creates the netDb Service on the router's store and
// plugs its message types into the dispatch point.
func (r *Router) registerNetDB(mgr *transport.Manager) {
	r.mu.Lock()
	store, keys := r.netdb, r.keys
	r.mu.Unlock()
	g := &netdbGlue{mgr: mgr, replay: replay.NewFilter(garlicReplayPeriod, garlicReplayCapacity)}
	copy(g.priv[:], keys.EncPrivate)
	if pub, err := crypto.X25519Public(g.priv[:]); err == nil {
		g.pub = pub
	}
	g.svc = netdb.NewService(netdb.ServiceConfig{
		Tunnels:   lookupTunnels{r},
		Store:     store,
		Sender:    managerSender{mgr: mgr, self: store.Self()},
		Self:      r.RouterInfo,
		Floodfill: r.cfg.Floodfill,
		Logger:    r.log,
		Now:       r.cfg.Now,
	})
	r.mu.Lock()
	r.nd = g
	r.mu.Unlock()
	for _, typ := range []uint8{i2np.TypeDatabaseStore, i2np.TypeDatabaseLookup, i2np.TypeDatabaseSearchReply, i2np.TypeDeliveryStatus} {
		mgr.Handle(typ, func(from data.Hash, m *transport.Message) {
			if _, err := g.svc.HandleMessage(from, m.Type, m.Payload); err != nil {
				r.log.Debug("router: bad netDb message", "peer", from.String(), "type", i2np.TypeName(m.Type), "err", err)
			}
		})
	}
	mgr.Handle(i2np.TypeGarlic, func(from data.Hash, m *transport.Message) {
		r.handleGarlic(g, from, m.Payload)
	})
}

// handleGarlic opens a Garlic message addressed to our router and hands
// its netDb messages to the Service, the others (inbound tunnel builds,
// which i2pd sends its gateway this way) to the dispatch point. Garlic in
// garlic is dropped.
func (r *Router) handleGarlic(g *netdbGlue, from data.Hash, payload []byte) {
	g.garlicIn.Add(1)
	log := r.log.With("peer", from.String())
	gm, err := i2np.ParseGarlic(payload)
	if err == nil && len(gm.Body) < 32 {
		err = fmt.Errorf("%d bytes", len(gm.Body))
	}
	if err != nil {
		g.garlicBad.Add(1)
		log.Debug("router: bad Garlic", "err", err)
		return
	}
	now := r.cfg.now()
	if g.svc.OpenReply(gm.Body) {
		return // the answer to one of our tunneled lookups
	}
	cloves, err := i2np.OpenRouterGarlic(&g.priv, &g.pub, gm.Body, now)
	if err != nil {
		g.garlicBad.Add(1)
		log.Debug("router: Garlic does not open", "err", err)
		return
	}
	// Only a garlic that opened is remembered, so garbage cannot fill
	// the filter.
	if g.replay.Seen(binary.LittleEndian.Uint64(gm.Body[:8]), now) {
		g.garlicReplayed.Add(1)
		log.Debug("router: Garlic replayed")
		return
	}
	for _, c := range cloves {
		if i2np.Expired(c.Header.Expiration, now, transport.MaxClockSkew) {
			log.Debug("router: expired clove", "type", i2np.TypeName(c.Header.Type))
			continue
		}
		handled, err := g.svc.HandleMessage(from, c.Header.Type, c.Payload)
		switch {
		case err != nil:
			log.Debug("router: bad netDb message in Garlic", "type", i2np.TypeName(c.Header.Type), "err", err)
		case !handled && c.Header.Type != i2np.TypeGarlic:
			g.garlicOther.Add(1)
			g.mgr.Dispatch(from, &transport.Message{Type: c.Header.Type, ID: c.Header.ID, Expiration: c.Header.Expiration, Payload: c.Payload})
		case !handled:
			log.Debug("router: Garlic in Garlic dropped")
		}
	}
}

// runNetDB runs the netDb Service until ctx ends.
func (r *Router) runNetDB(ctx context.Context) {
	r.mu.Lock()
	g := r.nd
	r.mu.Unlock()
	if g != nil {
		g.svc.Run(ctx)
	}
}

// NetDB is the router's netDb Service; nil before Run.
func (r *Router) NetDB() *netdb.Service {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nd == nil {
		return nil
	}
	return r.nd.svc
}
