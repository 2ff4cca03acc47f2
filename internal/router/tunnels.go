package router

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/veil-i2p/veil/internal/atomicfile"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/tunnel"
)

// Our own tunnels: the exploratory pool (and, with the client issue, one
// pool per local destination). The tunnel package builds and tests them;
// here they get peers (the netDb and the Manager's sessions) and a way
// out (the tunnel sender) and in (the dispatch point, for what our
// inbound tunnels deliver).

// routerPeers offers hop candidates: every router in the netDb, and which
// of them we have a session with.
type routerPeers struct {
	store *netdb.Store
	mgr   *transport.Manager
}

// RouterInfos are the netDb's routers less the banned ones.
func (p routerPeers) RouterInfos() []*data.RouterInfo {
	all := p.store.All()
	out := all[:0:0]
	for _, ri := range all {
		if !p.mgr.Banned(ri.Hash()) {
			out = append(out, ri)
		}
	}
	return out
}
func (p routerPeers) Connected(h data.Hash) bool { return p.mgr.Session(h) != nil }

// ProfilesFile holds what veil learned about peers as tunnel hops (its
// own format: i2pd's peerProfiles/ folder is left alone).
const ProfilesFile = "veil-profiles.json"

// profilesSaveEvery is how often peer profiles are written.
const profilesSaveEvery = 10 * time.Minute

// loadProfiles reads the saved peer profiles; a missing or bad file
// starts fresh.
func (r *Router) loadProfiles() *tunnel.Profiles {
	b, err := os.ReadFile(filepath.Join(r.cfg.DataDir, ProfilesFile))
	if err != nil {
		return tunnel.NewProfiles()
	}
	p, err := tunnel.DecodeProfiles(b)
	if err != nil {
		r.log.Warn("router: peer profiles not loaded", "err", err)
	}
	return p
}

// saveProfilesEvery writes the profiles periodically and once more when
// ctx ends.
func (r *Router) saveProfilesEvery(ctx context.Context, p *tunnel.Profiles) {
	t := time.NewTicker(profilesSaveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.saveProfiles(p)
			return
		case <-t.C:
			r.saveProfiles(p)
		}
	}
}

func (r *Router) saveProfiles(p *tunnel.Profiles) {
	b, err := p.Encode()
	if err == nil {
		err = atomicfile.Write(filepath.Join(r.cfg.DataDir, ProfilesFile), b, 0o600)
	}
	if err != nil {
		r.log.Warn("router: peer profiles not saved", "err", err)
	}
}

// newTunnels creates the tunnel manager and its exploratory pool.
func (r *Router) newTunnels(store *netdb.Store, mgr *transport.Manager, ts *tunnelSender, prof *tunnel.Profiles) *tunnel.Tunnels {
	tun := tunnel.NewTunnels(tunnel.TunnelsConfig{
		Profiles: prof,
		Self:     r.RouterInfo().Hash(),
		Peers:    routerPeers{store, mgr},
		// Test networks put all their routers in one subnet.
		AnySubnet: r.cfg.NetID != MainNetID,
		Send:      ts.Send,
		Local:     ts.Local,
		Log:       r.log,
		Now:       r.cfg.now,
		TestEvery: r.cfg.TunnelTestEvery,
	})
	e := r.cfg.Exploratory
	if e == (PoolShape{}) {
		l, q := tunnel.DefaultExploratoryLength, tunnel.DefaultExploratoryQuantity
		e = PoolShape{InboundLength: l, OutboundLength: l, InboundQuantity: q, OutboundQuantity: q}
	}
	p := tun.NewPool(tunnel.PoolConfig{
		Name:          "exploratory",
		InboundLength: e.InboundLength, OutboundLength: e.OutboundLength,
		InboundQuantity: e.InboundQuantity, OutboundQuantity: e.OutboundQuantity,
	})
	r.mu.Lock()
	r.exploratory = p
	r.mu.Unlock()
	return tun
}

// registerTunnels plugs the tunnel message types into the dispatch point:
// what belongs to our own tunnels goes to tun, the rest to transit.
func (r *Router) registerTunnels(mgr *transport.Manager, tun *tunnel.Tunnels, tr *tunnel.Transit, send func([]tunnel.Out)) {
	build := func(from data.Hash, m *transport.Message) {
		if m.Type == i2np.TypeShortTunnelBuild && tun.HandleBuildReply(m.Type, m.ID, m.Payload) {
			return // the reply to one of our inbound builds
		}
		out, err := tr.HandleBuild(from, m.Type, m.Payload, r.cfg.now(), nil)
		if err != nil {
			r.log.Debug("router: tunnel build request", "peer", from.String(), "type", i2np.TypeName(m.Type), "err", err)
		}
		send(out)
	}
	for _, typ := range []uint8{i2np.TypeShortTunnelBuild, i2np.TypeVariableTunnelBuild, i2np.TypeTunnelBuild} {
		mgr.Handle(typ, build)
	}
	mgr.Handle(i2np.TypeOutboundTunnelBuildReply, func(from data.Hash, m *transport.Message) {
		tun.HandleBuildReply(m.Type, m.ID, m.Payload)
	})
	mgr.Handle(i2np.TypeTunnelData, func(from data.Hash, m *transport.Message) {
		err := tun.HandleTunnelData(from, m.Payload)
		if tunnel.NotOurs(err) {
			var out []tunnel.Out
			out, err = tr.HandleTunnelData(from, m.Payload, r.cfg.now(), nil)
			send(out)
		}
		if err != nil {
			r.log.Debug("router: TunnelData", "peer", from.String(), "err", err)
		}
	})
	mgr.Handle(i2np.TypeTunnelGateway, func(from data.Hash, m *transport.Message) {
		err := tun.HandleTunnelGateway(m.Payload)
		if tunnel.NotOurs(err) {
			var out []tunnel.Out
			out, err = tr.HandleTunnelGateway(from, m.Payload, r.cfg.now(), nil)
			send(out)
		}
		if err != nil {
			r.log.Debug("router: TunnelGateway", "peer", from.String(), "err", err)
		}
	})
}

// lookupTunnels lets the netDb send its lookups through the exploratory
// pool, with replies to one of its inbound tunnels (netdb.LookupTunnels).
// Until the pool has tunnels, lookups go directly.
type lookupTunnels struct{ r *Router }

func (l lookupTunnels) pool() (*tunnel.Tunnels, *tunnel.Pool) {
	l.r.mu.Lock()
	defer l.r.mu.Unlock()
	return l.r.tunnels, l.r.exploratory
}

func (l lookupTunnels) ReplyTunnel() (data.Hash, data.TunnelID, bool) {
	tun, p := l.pool()
	if tun == nil || p == nil {
		return data.Hash{}, 0, false
	}
	leases := tun.Leases(p)
	if len(leases) == 0 {
		return data.Hash{}, 0, false
	}
	le := leases[rand.IntN(len(leases))]
	return le.Gateway, le.TunnelID, true
}

func (l lookupTunnels) SendOut(to data.Hash, h i2np.Header, payload []byte) error {
	tun, p := l.pool()
	if tun == nil || p == nil {
		return fmt.Errorf("router: no tunnels yet")
	}
	return tun.Send(p, tunnel.Delivery{Type: tunnel.DeliveryRouter, To: to}, h, payload)
}
