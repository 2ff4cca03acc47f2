package tunnel

import (
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/i2np"
)

// TunnelInfo describes one of our tunnels for status pages.
type TunnelInfo struct {
	Pool    string
	Inbound bool
	Hops    []string // identity hashes, I2P Base64, in path order
	State   string
	Expires time.Time
}

// TunnelsStatus is a snapshot of our tunnels.
type TunnelsStatus struct {
	Inbound, Outbound []TunnelInfo
	// BuildSuccess is the share of builds of the last 10 minutes that
	// succeeded; Builds is how many there were (0: BuildSuccess is 0).
	BuildSuccess float64
	Builds       int
	Pending      int
	// TestsOK and TestsFailed count tunnel tests since start, BuiltOK
	// and BuildsFailed builds.
	TestsOK, TestsFailed  uint64
	BuiltOK, BuildsFailed uint64
}

// Status reports our tunnels (zero-hop ones included, the manager's own
// reply tunnel not).
func (t *Tunnels) Status() TunnelsStatus {
	now := t.cfg.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var st TunnelsStatus
	for _, p := range t.pools {
		for _, it := range p.inbound {
			st.Inbound = append(st.Inbound, info(p, true, &it.ownTunnel, now))
		}
		for _, ot := range p.outbound {
			st.Outbound = append(st.Outbound, info(p, false, &ot.ownTunnel, now))
		}
	}
	ok := 0
	for _, o := range t.outcomes {
		if o.ok {
			ok++
		}
	}
	st.Builds, st.Pending = len(t.outcomes), len(t.pending)
	st.TestsOK, st.TestsFailed = t.testsOK, t.testsBad
	st.BuiltOK, st.BuildsFailed = t.builtOK, t.builtBad
	if st.Builds > 0 {
		st.BuildSuccess = float64(ok) / float64(st.Builds)
	}
	return st
}

func info(p *Pool, inbound bool, t *ownTunnel, now time.Time) TunnelInfo {
	ti := TunnelInfo{Pool: p.cfg.Name, Inbound: inbound, State: t.State(now).String(), Expires: t.expires, Hops: []string{}}
	for _, h := range t.hops {
		ti.Hops = append(ti.Hops, h.Ident.String())
	}
	return ti
}

// Send sends one message (h, payload) through an outbound tunnel of p for
// delivery d at its endpoint.
func (t *Tunnels) Send(p *Pool, d Delivery, h i2np.Header, payload []byte) error {
	now := t.cfg.Now()
	t.mu.Lock()
	ot := p.pickOutbound(now)
	t.mu.Unlock()
	if ot == nil {
		return fmt.Errorf("tunnel: pool %s has no outbound tunnel", p.cfg.Name)
	}
	msg, err := i2np.AppendStandard(nil, h, payload)
	if err != nil {
		return err
	}
	out, err := ot.Send(d, msg, now, nil)
	if err != nil {
		return err
	}
	t.send(out)
	return nil
}

// Leases are the gateways of p's usable inbound tunnels, for a LeaseSet.
func (t *Tunnels) Leases(p *Pool) []InboundLease {
	now := t.cfg.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []InboundLease
	for _, it := range p.inbound {
		if it.usable(now) && len(it.hops) > 0 {
			gw, id := it.Gateway()
			out = append(out, InboundLease{Gateway: gw, TunnelID: id, Expires: it.expires})
		}
	}
	return out
}
