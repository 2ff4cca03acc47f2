package tunnel

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
)

// Peer selection (pages/site/docs/how/peer-selection.html, and what i2pd
// and Java do in practice). A hop must be an X25519 router recent enough
// for short build records, not congested, in no /16 (IPv4) or /32 (IPv6)
// that another hop of the tunnel is in. The hop we talk to directly (the
// first of an outbound tunnel, the last of an inbound one) comes from the
// peers we already have a session with when there are any: go-i2p chose
// only from its netDb and never built a tunnel on the live network.
// Among the eligible, peers are drawn at random weighted by their profile
// (build agreements, rejections, timeouts, test results).

// Peers is what selection needs from the router: the routers it knows and
// the ones it is connected to.
type Peers interface {
	RouterInfos() []*data.RouterInfo
	Connected(h data.Hash) bool
}

// minHopVersion is the first API with short build records (0.9.51), the
// only kind veil sends. Java 0.9.63+ also wants 0.9.59; i2pd 2.45.1
// publishes 0.9.57 and builds through anything from 0.9.51, as do we.
const minHopVersion = "0.9.51"

// selection is what selectHops is told besides the peers.
type selection struct {
	self data.Hash
	// anySubnet drops the /16 rule: private test networks put every
	// router in one subnet.
	anySubnet bool
}

// eligible reports whether ri can be a hop of our tunnels.
func eligible(ri *data.RouterInfo, self data.Hash) bool {
	if ri == nil || ri.Hash() == self || ri.Identity.EncType() != crypto.EncX25519 {
		return false
	}
	if !versionAtLeast(ri.Version(), minHopVersion) {
		return false
	}
	// Congestion caps (proposal 162): D medium, E high, G no transit;
	// U: unreachable, so the previous hop could not connect to it. A
	// router must publish a host for the same reason.
	return !strings.ContainsAny(ri.Caps(), "DEGU") && len(subnets(ri)) > 0
}

// versionAtLeast compares dotted versions numerically.
func versionAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := range max(len(a), len(b)) {
		var x, y int
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		if i < len(b) {
			y, _ = strconv.Atoi(b[i])
		}
		if x != y {
			return x > y
		}
	}
	return true
}

// subnet is the /16 (IPv4) or /32 (IPv6) of each published host of ri.
func subnets(ri *data.RouterInfo) []netip.Prefix {
	var out []netip.Prefix
	for i := range ri.Addresses {
		ip, err := netip.ParseAddr(ri.Addresses[i].Host())
		if err != nil {
			continue
		}
		ip = ip.Unmap()
		bits := 32
		if ip.Is4() {
			bits = 16
		}
		if p, err := ip.Prefix(bits); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Profiles keep what we learned about each peer as a hop. Safe for
// concurrent use; bounded by maxProfiles (the least used are dropped).
type Profiles struct {
	mu sync.Mutex
	m  map[data.Hash]*profile
}

// Profile is one peer's record.
type profile struct {
	Agreed, Rejected, TimedOut uint32 // build outcomes
	TestOK, TestFailed         uint32 // tunnel tests of tunnels it was in
	Last                       time.Time
}

const maxProfiles = 10000

// NewProfiles returns empty profiles.
func NewProfiles() *Profiles { return &Profiles{m: make(map[data.Hash]*profile)} }

func (p *Profiles) update(h data.Hash, now time.Time, f func(*profile)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.m[h]
	if pr == nil {
		if len(p.m) >= maxProfiles {
			p.evictLocked()
		}
		pr = &profile{}
		p.m[h] = pr
	}
	f(pr)
	pr.Last = now
}

// evictLocked drops the profile used longest ago.
func (p *Profiles) evictLocked() {
	var oldest data.Hash
	var t time.Time
	for h, pr := range p.m {
		if t.IsZero() || pr.Last.Before(t) {
			oldest, t = h, pr.Last
		}
	}
	delete(p.m, oldest)
}

// weight is a peer's draw weight in (0, 1]: the share of good outcomes,
// with a prior of one good and one bad so new peers get tried.
func (p *Profiles) weight(h data.Hash) float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.m[h]
	if pr == nil {
		return 0.5
	}
	good := float64(pr.Agreed+pr.TestOK) + 1
	bad := float64(pr.Rejected+2*pr.TimedOut+pr.TestFailed) + 1
	return good / (good + bad)
}

// selectHops picks n hops for a tunnel. The hop at index direct (0 for
// outbound, n-1 for inbound) is drawn from connected peers when any is
// eligible. It returns fewer than n when there are not enough peers.
func selectHops(peers Peers, prof *Profiles, sel selection, n int, direct int) []*data.RouterInfo {
	self := sel.self
	if n == 0 {
		return nil
	}
	all := peers.RouterInfos()
	var cands, connected []*data.RouterInfo
	for _, ri := range all {
		if !eligible(ri, self) {
			continue
		}
		cands = append(cands, ri)
		if peers.Connected(ri.Hash()) {
			connected = append(connected, ri)
		}
	}
	hops := make([]*data.RouterInfo, n)
	var used []netip.Prefix
	taken := map[data.Hash]bool{}
	families := map[string]bool{} // declared router families (RouterInfo option "family")
	pick := func(from []*data.RouterInfo) *data.RouterInfo {
		var ok []*data.RouterInfo
		var ws []float64
		total := 0.0
	next:
		for _, ri := range from {
			if taken[ri.Hash()] {
				continue
			}
			if f := ri.Options.Value("family"); f != "" && families[f] {
				continue
			}
			for _, s := range subnets(ri) {
				for _, u := range used {
					if s == u && !sel.anySubnet {
						continue next
					}
				}
			}
			w := prof.weight(ri.Hash())
			ok, ws, total = append(ok, ri), append(ws, w), total+w
		}
		if len(ok) == 0 {
			return nil
		}
		x := rand.Float64() * total
		for i, w := range ws {
			if x < w {
				return ok[i]
			}
			x -= w
		}
		return ok[len(ok)-1]
	}
	take := func(i int, ri *data.RouterInfo) {
		hops[i] = ri
		taken[ri.Hash()] = true
		if f := ri.Options.Value("family"); f != "" {
			families[f] = true
		}
		used = append(used, subnets(ri)...)
	}
	// No session at all: the router is still starting or offline, and
	// builds now would only time out. Wait for the transports.
	if len(connected) == 0 {
		return nil
	}
	if ri := pick(connected); ri != nil {
		take(direct, ri)
	}
	for i := range hops {
		if hops[i] != nil {
			continue
		}
		ri := pick(cands)
		if ri == nil {
			return nil
		}
		take(i, ri)
	}
	return hops
}

// profileFile is the saved form of Profiles: hash (I2P Base64) → record.
type profileFile map[string]profile

// maxProfileFile bounds the profiles file read at start.
const maxProfileFile = 4 << 20

// Encode returns the profiles as JSON, for the router to save.
func (p *Profiles) Encode() ([]byte, error) {
	p.mu.Lock()
	f := make(profileFile, len(p.m))
	for h, pr := range p.m {
		f[h.String()] = *pr
	}
	p.mu.Unlock()
	return json.Marshal(f)
}

// DecodeProfiles reads what Encode wrote. Entries with a bad hash are
// skipped; at most maxProfiles are kept.
func DecodeProfiles(b []byte) (*Profiles, error) {
	p := NewProfiles()
	if len(b) > maxProfileFile {
		return p, fmt.Errorf("tunnel: profiles file of %d bytes", len(b))
	}
	var f profileFile
	if err := json.Unmarshal(b, &f); err != nil {
		return p, fmt.Errorf("tunnel: profiles: %w", err)
	}
	for k, pr := range f {
		h, err := data.ParseHashBase64(k)
		if err != nil || len(p.m) >= maxProfiles {
			continue
		}
		pr := pr
		p.m[h] = &pr
	}
	return p, nil
}
