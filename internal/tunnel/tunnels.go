package tunnel

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// Tunnels builds, tests and replaces our own tunnels (the creator's side),
// pool by pool, and is the endpoint of our inbound tunnels. Like Transit
// it does no I/O itself: messages go out through TunnelsConfig.Send, and
// messages our inbound tunnels deliver that are not its own business
// (build replies, test messages, one-time garlic) go to
// TunnelsConfig.Local. One lock guards its tables; callbacks are never
// called under it.
type Tunnels struct {
	cfg TunnelsConfig

	mu       sync.Mutex
	pools    []*Pool
	zero     *InboundTunnel                   // zero-hop, for build replies before we have tunnels
	inbound  map[data.TunnelID]*InboundTunnel // by the id messages reach us on
	pending  map[uint32]*pendingBuild         // by reply message id
	tags     map[[8]byte]*pendingBuild        // outbound builds' one-time garlic tags
	tests    map[uint32]*pendingTest          // by DeliveryStatus id
	outcomes []outcome                        // builds of the last outcomeWindow
	nextTest time.Time
	testsOK  uint64
	testsBad uint64
	builtOK  uint64 // builds since start
	builtBad uint64
}

// TunnelsConfig configures Tunnels.
type TunnelsConfig struct {
	Self  data.Hash
	Peers Peers
	// AnySubnet lets two hops of a tunnel share a /16 (IPv4) or /32
	// (IPv6): for private test networks, never the live one.
	AnySubnet bool
	Profiles  *Profiles // nil: fresh profiles
	// Send hands messages to the transports without blocking.
	Send func([]Out)
	// Local receives the messages our inbound tunnels deliver that
	// Tunnels does not handle itself (standard header parsed), with the
	// pool of the tunnel they came through (nil: the manager's own
	// zero-hop reply tunnel), so a destination's messages reach it.
	Local func(p *Pool, h i2np.Header, payload []byte)
	Log   *slog.Logger
	Now   func() time.Time
	// TestEvery is the interval of tunnel tests (0: 30 s, as i2pd's 15
	// s would be twice the traffic for little gain).
	TestEvery time.Duration
}

// Timers.
const (
	buildTimeout  = 20 * time.Second // i2pd waits 30 s, Java 10–13 s
	testEvery     = 30 * time.Second
	testTimeout   = 10 * time.Second
	testFailLimit = 3 // consecutive failures that end a tunnel
	outcomeWindow = 10 * time.Minute
	maintainEvery = time.Second
)

type pendingBuild struct {
	pool     *Pool
	build    *Build
	inbound  bool
	hops     []data.Hash
	ourID    data.TunnelID // inbound: the id its messages reach us on
	firstID  data.TunnelID // outbound: the first hop's receive id
	tag      [8]byte       // outbound: the endpoint's reply garlic tag
	replyID  uint32
	deadline time.Time
}

type pendingTest struct {
	in       *InboundTunnel
	out      *OutboundTunnel
	deadline time.Time
}

type outcome struct {
	at time.Time
	ok bool
}

// NewTunnels returns a manager with no pools and one zero-hop inbound
// tunnel for build replies.
func NewTunnels(cfg TunnelsConfig) *Tunnels {
	if cfg.Profiles == nil {
		cfg.Profiles = NewProfiles()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TestEvery <= 0 {
		cfg.TestEvery = testEvery
	}
	t := &Tunnels{
		cfg:     cfg,
		inbound: make(map[data.TunnelID]*InboundTunnel),
		pending: make(map[uint32]*pendingBuild),
		tags:    make(map[[8]byte]*pendingBuild),
		tests:   make(map[uint32]*pendingTest),
	}
	t.zero = t.newZeroHopInbound(nil, cfg.Now())
	return t
}

// NewPool adds a pool; Run keeps it filled.
func (t *Tunnels) NewPool(cfg PoolConfig) *Pool {
	p := &Pool{cfg: cfg}
	t.mu.Lock()
	t.pools = append(t.pools, p)
	t.mu.Unlock()
	return p
}

// newZeroHopInbound makes a zero-hop inbound tunnel: we are its gateway.
func (t *Tunnels) newZeroHopInbound(p *Pool, now time.Time) *InboundTunnel {
	id := randomTunnelID()
	it := &InboundTunnel{id: id, gateway: t.cfg.Self, gwID: id}
	it.init(nil, now, p)
	if p == nil {
		it.expires = now.Add(100 * 365 * 24 * time.Hour) // the manager's own, never replaced
	}
	t.inbound[id] = it
	return it
}

// Run maintains the pools until ctx ends: builds what is missing, expires
// builds and tunnels, tests tunnels.
func (t *Tunnels) Run(ctx context.Context) {
	tick := time.NewTicker(maintainEvery)
	defer tick.Stop()
	for {
		t.maintain(t.cfg.Now())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// maintain is one round of Run.
func (t *Tunnels) maintain(now time.Time) {
	var out []Out
	t.mu.Lock()
	t.expireLocked(now)
	for _, p := range t.pools {
		in, o := p.live(now)
		for range p.cfg.InboundQuantity - in - p.pendIn {
			out = t.buildInboundLocked(p, now, out)
		}
		for range p.cfg.OutboundQuantity - o - p.pendOut {
			out = t.buildOutboundLocked(p, now, out)
		}
	}
	if !now.Before(t.nextTest) {
		t.nextTest = now.Add(t.cfg.TestEvery)
		for _, p := range t.pools {
			out = t.testLocked(p, now, out)
		}
	}
	t.mu.Unlock()
	t.send(out)
}

func (t *Tunnels) send(out []Out) {
	if len(out) > 0 && t.cfg.Send != nil {
		t.cfg.Send(out)
	}
}

// expireLocked ends timed-out builds and tests and expired tunnels.
func (t *Tunnels) expireLocked(now time.Time) {
	for id, pb := range t.pending {
		if now.Before(pb.deadline) {
			continue
		}
		delete(t.pending, id)
		delete(t.tags, pb.tag)
		pb.pool.donePending(pb.inbound)
		t.outcome(now, false)
		for _, h := range pb.hops {
			t.cfg.Profiles.update(h, now, func(p *profile) { p.TimedOut++ })
		}
		t.cfg.Log.Debug("tunnel: build timed out", "pool", pb.pool.cfg.Name, "inbound", pb.inbound, "hops", len(pb.hops))
	}
	for id, pt := range t.tests {
		if now.Before(pt.deadline) {
			continue
		}
		delete(t.tests, id)
		t.testsBad++
		for _, ot := range []*ownTunnel{&pt.in.ownTunnel, &pt.out.ownTunnel} {
			ot.mu.Lock()
			ot.fails++
			if ot.fails >= testFailLimit {
				ot.state = Failed
			}
			ot.mu.Unlock()
			for _, h := range ot.hops {
				t.cfg.Profiles.update(h.Ident, now, func(p *profile) { p.TestFailed++ })
			}
		}
	}
	for id, it := range t.inbound {
		if !now.Before(it.expires) || it.State(now) == Failed {
			delete(t.inbound, id)
		}
	}
	for _, p := range t.pools {
		p.inbound = dropFailed(p.inbound, now)
		p.outbound = dropFailed(p.outbound, now)
	}
	cut := 0
	for cut < len(t.outcomes) && now.Sub(t.outcomes[cut].at) > outcomeWindow {
		cut++
	}
	t.outcomes = t.outcomes[cut:]
}

func dropFailed[T interface{ State(time.Time) State }](ts []T, now time.Time) []T {
	out := ts[:0]
	for _, x := range ts {
		if x.State(now) != Failed {
			out = append(out, x)
		}
	}
	return out
}

func (p *Pool) donePending(inbound bool) {
	if inbound {
		p.pendIn--
	} else {
		p.pendOut--
	}
}

func (t *Tunnels) outcome(now time.Time, ok bool) {
	t.outcomes = append(t.outcomes, outcome{now, ok})
	if ok {
		t.builtOK++
	} else {
		t.builtBad++
	}
}

// chain makes the hops of a tunnel through ris (path order): fresh
// receive ids, each hop pointing at the next; last fills in where the
// last hop sends (us, or a reply tunnel) and its flags.
func chain(ris []*data.RouterInfo, now time.Time, last func(*BuildRequest)) []Hop {
	hops := make([]Hop, len(ris))
	for i, ri := range ris {
		hops[i] = Hop{Ident: ri.Hash(), Request: BuildRequest{ReceiveID: randomTunnelID(),
			RequestTime: uint32(now.Unix() / 60), Expiration: requestLifetime, NextMsgID: randomID()}}
		copy(hops[i].EncKey[:], ri.Identity.EncryptionPublicKey())
	}
	for i := range hops[:len(hops)-1] {
		hops[i].Request.NextIdent, hops[i].Request.NextID = hops[i+1].Ident, hops[i+1].Request.ReceiveID
	}
	last(&hops[len(hops)-1].Request)
	return hops
}

// buildInboundLocked starts an inbound build for p: hops in path order,
// the first the gateway, the last forwarding the build message to us.
func (t *Tunnels) buildInboundLocked(p *Pool, now time.Time, out []Out) []Out {
	n := length(p.cfg.InboundLength, p.cfg.InboundVariance)
	if n == 0 {
		it := t.newZeroHopInbound(p, now)
		p.inbound = append(p.inbound, it)
		return out
	}
	ris := selectHops(t.cfg.Peers, t.cfg.Profiles, t.sel(), n, n-1)
	if ris == nil {
		return out
	}
	ourID, replyID := randomTunnelID(), randomID()
	hops := chain(ris, now, func(last *BuildRequest) {
		last.NextIdent, last.NextID, last.NextMsgID = t.cfg.Self, ourID, replyID
	})
	hops[0].Request.Flags = FlagInboundGateway
	self := t.cfg.Self
	b, recs, err := NewShortBuild(nil, hops, max(4, n+1), &self)
	if err != nil {
		t.cfg.Log.Debug("tunnel: inbound build", "err", err)
		return out
	}
	payload, err := (&i2np.ShortTunnelBuild{Records: recs}).Append(nil)
	if err != nil {
		return out
	}
	pb := &pendingBuild{pool: p, build: b, inbound: true, hops: hashes(ris), ourID: ourID, replyID: replyID, deadline: now.Add(buildTimeout)}
	t.pending[replyID] = pb
	p.pendIn++
	msg := Out{To: ris[0].Hash(), Msg: i2np.Header{Type: i2np.TypeShortTunnelBuild, ID: randomID(), Expiration: now.Add(buildMessageLife)},
		Payload: payload, Failed: t.failer(replyID)}
	// Through one of our outbound tunnels when there is one, so the
	// gateway does not see who builds; else directly.
	if ot := t.anyOutboundLocked(p, now); ot != nil {
		full, err := i2np.AppendStandard(nil, msg.Msg, payload)
		if err == nil {
			if o, err := ot.Send(Delivery{Type: DeliveryRouter, To: msg.To}, full, now, out); err == nil {
				return o
			}
		}
	}
	return append(out, msg)
}

// buildOutboundLocked starts an outbound build for p: the endpoint (last
// hop) sends the reply into one of our inbound tunnels.
func (t *Tunnels) buildOutboundLocked(p *Pool, now time.Time, out []Out) []Out {
	n := length(p.cfg.OutboundLength, p.cfg.OutboundVariance)
	if n == 0 {
		ot := &OutboundTunnel{}
		ot.init(nil, now, p)
		p.outbound = append(p.outbound, ot)
		return out
	}
	reply := t.anyInboundLocked(p, now)
	ris := selectHops(t.cfg.Peers, t.cfg.Profiles, t.sel(), n, 0)
	if ris == nil {
		return out
	}
	replyID := randomID()
	hops := chain(ris, now, func(last *BuildRequest) {
		last.NextIdent, last.NextID = reply.Gateway()
		last.NextMsgID, last.Flags = replyID, FlagOutboundEndpoint
	})
	b, recs, err := NewShortBuild(nil, hops, max(4, n), nil)
	if err != nil {
		t.cfg.Log.Debug("tunnel: outbound build", "err", err)
		return out
	}
	payload, err := (&i2np.ShortTunnelBuild{Records: recs}).Append(nil)
	if err != nil {
		return out
	}
	pb := &pendingBuild{pool: p, build: b, hops: hashes(ris), firstID: hops[0].Request.ReceiveID, tag: b.Hops[n-1].GarlicTag, replyID: replyID, deadline: now.Add(buildTimeout)}
	t.pending[replyID] = pb
	t.tags[pb.tag] = pb
	p.pendOut++
	return append(out, Out{To: ris[0].Hash(), Msg: i2np.Header{Type: i2np.TypeShortTunnelBuild, ID: randomID(), Expiration: now.Add(buildMessageLife)},
		Payload: payload, Failed: t.failer(replyID)})
}

// failer returns a callback that ends the pending build replyID now, as a
// timeout would: its first hop could not be reached.
func (t *Tunnels) failer(replyID uint32) func() {
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if pb := t.pending[replyID]; pb != nil {
			pb.deadline = time.Time{}
			t.expireLocked(t.cfg.Now())
		}
	}
}

// anyInboundLocked is an inbound tunnel for replies: p's, another pool's,
// or the zero-hop one.
func (t *Tunnels) anyInboundLocked(p *Pool, now time.Time) *InboundTunnel {
	if it := p.pickInbound(now); it != nil {
		return it
	}
	for _, q := range t.pools {
		if it := q.pickInbound(now); it != nil && len(it.hops) > 0 {
			return it
		}
	}
	return t.zero
}

// anyOutboundLocked is an outbound tunnel with hops, p's or another
// pool's, or nil.
func (t *Tunnels) anyOutboundLocked(p *Pool, now time.Time) *OutboundTunnel {
	for _, q := range append([]*Pool{p}, t.pools...) {
		if ot := q.pickOutbound(now); ot != nil && len(ot.hops) > 0 {
			return ot
		}
	}
	return nil
}

func (t *Tunnels) sel() selection { return selection{self: t.cfg.Self, anySubnet: t.cfg.AnySubnet} }

func hashes(ris []*data.RouterInfo) []data.Hash {
	out := make([]data.Hash, len(ris))
	for i, ri := range ris {
		out[i] = ri.Hash()
	}
	return out
}

// randomTunnelID is a random nonzero tunnel id.
func randomTunnelID() data.TunnelID { return data.TunnelID(randomID()) }

// errNotOurs says a message is not for Tunnels; the caller tries transit.
var errNotOurs = fmt.Errorf("tunnel: not one of our tunnels")

// RemovePool stops p (a destination closed): no more builds or tests for
// it, and its tunnels are dropped at once. Its inbound tunnels stop
// delivering; the hops keep their part until it expires, as when a
// router goes away. Builds still in flight are counted when they answer
// or time out, and their tunnels discarded. Removing a pool twice, or one
// that is not ours, does nothing.
func (t *Tunnels) RemovePool(p *Pool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := slices.Index(t.pools, p)
	if i < 0 {
		return
	}
	t.pools = slices.Delete(t.pools, i, i+1)
	p.removed = true
	for _, it := range p.inbound {
		delete(t.inbound, it.id)
	}
	for id, pt := range t.tests {
		if pt.in.pool == p || pt.out.pool == p {
			delete(t.tests, id)
		}
	}
	p.inbound, p.outbound = nil, nil
}
