package router

// SSU2 reachability and introducers. When SSU2 peer tests find our
// published IPv4 address firewalled, our RouterInfo publishes, in place
// of that host and port, up to three introducers (peers that gave us a
// relay tag: ih, itag, iexp) with caps 4, our NTCP2 address unpublished
// and router caps U, as i2pd does (RouterContext::SetUnreachable,
// SSU2Server::UpdateIntroducers); to get tags, sessions with peers that
// introduce are asked, and peers that introduce are dialled, new ones
// first, then connected ones again (our Session Request then asks for a
// tag; see dialIntroducers). When a test finds us reachable again, the
// address returns. Each change is signed, saved to router.info and sent
// to the floodfills we have sessions with.

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/atomicfile"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/transport/ssu2"
)

const (
	// ssu2IntroducersCheck is how often the loop looks at reachability
	// and introducers (i2pd SSU2_KEEP_ALIVE_INTERVAL).
	ssu2IntroducersCheck = 30 * time.Second
	ssu2IntroducerDial   = 20 * time.Second
)

// ssu2Transport is the running SSU2 transport, or nil.
func (r *Router) ssu2Transport() *ssu2.Transport {
	r.mu.Lock()
	trs := r.trs
	r.mu.Unlock()
	for _, t := range trs {
		if s, ok := t.(*ssu2.Transport); ok {
			return s
		}
	}
	return nil
}

// runSSU2Introducers keeps our RouterInfo in step with SSU2 reachability
// until ctx ends; see the top of this file.
func (r *Router) runSSU2Introducers(ctx context.Context) {
	t := r.ssu2Transport()
	if t == nil || !r.cfg.SSU2.Published {
		return
	}
	r.mu.Lock()
	base := r.ri
	r.mu.Unlock()
	firewalled := false
	var shown []ssu2.Introducer
	tick := time.NewTicker(ssu2IntroducersCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		fw := t.Reachability(false) == ssu2.ReachFirewalled
		var ins []ssu2.Introducer
		if fw {
			ins = t.Introducers(false)
			if len(ins) < ssu2.MaxIntroducers {
				t.RequestRelayTags(false)
				r.dialIntroducers(ctx, t, ssu2.MaxIntroducers-len(ins))
			}
		}
		if fw == firewalled && sameIntroducers(ins, shown) {
			continue
		}
		ri := firewalledRouterInfo(&r.cfg, base, ins, fw)
		if err := r.setRouterInfo(ri); err != nil {
			r.log.Error("router: RouterInfo update", "err", err)
			continue
		}
		r.log.Info("router: SSU2 reachability changes our RouterInfo", "firewalled", fw, "introducers", formatIntroducers(ins), "caps", ri.Caps())
		firewalled, shown = fw, ins
	}
}

func sameIntroducers(a, b []ssu2.Introducer) bool {
	return slices.EqualFunc(a, b, func(x, y ssu2.Introducer) bool { return x.Router == y.Router && x.Tag == y.Tag })
}

// firewalledRouterInfo is base, published now; if fw, with its IPv4
// addresses unpublished, the SSU2 one listing ins, and caps U (not a
// floodfill). It is not signed.
func firewalledRouterInfo(cfg *Config, base *data.RouterInfo, ins []ssu2.Introducer, fw bool) *data.RouterInfo {
	ri := &data.RouterInfo{Identity: base.Identity, Published: data.DateOf(cfg.now()), Options: copyMapping(base.Options)}
	for _, a := range base.Addresses {
		a.Options = copyMapping(a.Options)
		if ip, err := netip.ParseAddr(a.Host()); fw && err == nil && ip.Is4() && a.Port() != 0 {
			a = unpublished(cfg, a, ins)
		}
		ri.Addresses = append(ri.Addresses, a)
	}
	if fw {
		c := *cfg
		c.Floodfill = false
		ri.Options.Set("caps", routerCaps(&c, false))
	}
	return ri
}

// unpublished is published address a without host and port: NTCP2's
// as an outbound one, SSU2's with caps 4 and introducers ins.
func unpublished(cfg *Config, a data.RouterAddress, ins []ssu2.Introducer) data.RouterAddress {
	var o data.Mapping
	for _, k := range []string{"s", "i", "v", "mtu"} {
		if v, ok := a.Options.Get(k); ok && (k != "i" || a.Transport == "SSU2") {
			o.Set(k, v)
		}
	}
	if a.Transport == "SSU2" {
		o.Set("caps", "4")
		u := data.RouterAddress{Transport: a.Transport, Cost: costSSU2Published, Options: o}
		ssu2.SetIntroducers(&u, ins)
		return u
	}
	o.Set("caps", outboundCaps(cfg))
	return data.RouterAddress{Transport: a.Transport, Cost: costNTCP2Unpublished, Options: o}
}

func copyMapping(m data.Mapping) data.Mapping {
	var c data.Mapping
	for _, p := range m.Pairs() {
		c.Set(p.Key, p.Value)
	}
	return c
}

// setRouterInfo signs ri, makes it ours, saves it and sends it to the
// floodfills we have sessions with. It is published after the one it
// replaces, so that peers take it.
func (r *Router) setRouterInfo(ri *data.RouterInfo) error {
	r.mu.Lock()
	keys, mgr, old := r.keys, r.mgr, r.ri
	r.mu.Unlock()
	if old != nil && ri.Published <= old.Published {
		ri.Published = old.Published + 1
	}
	signer, err := keys.Signer()
	if err != nil {
		return err
	}
	if err := ri.Sign(signer); err != nil {
		return err
	}
	r.mu.Lock()
	r.ri = ri
	r.mu.Unlock()
	if err := atomicfile.Write(filepath.Join(r.cfg.DataDir, RouterInfoFile), ri.Bytes(), 0o644); err != nil {
		return err
	}
	if mgr != nil {
		for _, s := range mgr.Sessions() {
			if peer := s.PeerRouterInfo(); peer != nil && netdb.IsFloodfill(peer) {
				r.publishTo(s)
			}
		}
	}
	return nil
}

// dialIntroducers dials up to n routers of our netDb that publish an
// IPv4 SSU2 address that introduces (caps C) and are not introducers of
// ours yet: our Session Request asks each for a relay tag. Routers we
// have no session with come first. Then those whose session gave no tag
// and is older than one check (i2pd 2.45.1 gives a tag only in Session
// Created, never for an in-session request; a session over NTCP2 has
// none): the new SSU2 session replaces the old one in the Manager, and
// i2pd drops its old one for it. Otherwise a router connected to all
// the introducers it knows, as in a small network, would find none.
func (r *Router) dialIntroducers(ctx context.Context, t *ssu2.Transport, n int) {
	r.mu.Lock()
	store, mgr, self := r.netdb, r.mgr, r.ri.Hash()
	r.mu.Unlock()
	if store == nil || mgr == nil {
		return
	}
	have := map[data.Hash]bool{}
	for _, in := range t.Introducers(false) {
		have[in.Router] = true
	}
	var fresh, again []*data.RouterInfo
	for _, ri := range store.All() {
		h := ri.Hash()
		if h == self || have[h] || !introduces(ri) {
			continue
		}
		switch s := mgr.Session(h); {
		case s == nil:
			fresh = append(fresh, ri)
		case r.cfg.now().Sub(s.Stats().Established) > ssu2IntroducersCheck:
			again = append(again, ri)
		}
	}
	for _, l := range [][]*data.RouterInfo{fresh, again} {
		rand.Shuffle(len(l), func(i, j int) { l[i], l[j] = l[j], l[i] })
	}
	cands := append(fresh, again...)
	for _, ri := range cands[:min(n, len(cands))] {
		dctx, cancel := context.WithTimeout(ctx, ssu2IntroducerDial)
		_, err := t.Dial(dctx, ri)
		cancel()
		r.log.Debug("router: dial for an SSU2 introducer", "peer", ri.Hash().String(), "err", err)
	}
}

// introduces reports whether ri publishes an IPv4 SSU2 address with caps
// C.
func introduces(ri *data.RouterInfo) bool {
	for _, a := range ri.Addresses {
		ip, err := netip.ParseAddr(a.Host())
		if a.Transport == "SSU2" && err == nil && ip.Is4() && a.Port() != 0 && strings.Contains(a.Options.Value("caps"), "C") {
			return true
		}
	}
	return false
}

// formatIntroducers is for logs: hash prefix and tag of each.
func formatIntroducers(ins []ssu2.Introducer) string {
	var b strings.Builder
	for i, in := range ins {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(in.Router.String()[:8] + "/" + strconv.FormatUint(uint64(in.Tag), 10))
	}
	return b.String()
}
