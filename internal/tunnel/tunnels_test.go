package tunnel

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// simNet is routers running Transit plus one creator running Tunnels,
// passing messages in memory. Time is simulated.
type simNet struct {
	t       *testing.T
	now     time.Time
	self    data.Hash
	tun     *Tunnels
	transit map[data.Hash]*Transit
	ris     []*data.RouterInfo
	queue   []simMsg
	sink    []Out
	local   []i2np.Header
}

type simMsg struct {
	from data.Hash
	o    Out
}

func (s *simNet) RouterInfos() []*data.RouterInfo { return s.ris }
func (s *simNet) Connected(data.Hash) bool        { return true }

// newSimRouter makes a signed RouterInfo with an X25519 identity on its
// own /16, and its record keys.
func newSimRouter(t testing.TB, i int) (*data.RouterInfo, *RecordKeys) {
	t.Helper()
	keys, err := keyfile.GenerateRouter(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ri := &data.RouterInfo{Identity: keys.Identity, Published: data.DateOf(time.Now())}
	a := data.RouterAddress{Transport: "NTCP2", Cost: 3}
	a.Options.Set("host", fmt.Sprintf("10.%d.0.1", i))
	a.Options.Set("port", "9000")
	ri.Addresses = append(ri.Addresses, a)
	ri.Options.Set("caps", "LR")
	ri.Options.Set("router.version", "0.9.68")
	signer, err := keys.Signer()
	if err != nil {
		t.Fatal(err)
	}
	if err := ri.Sign(signer); err != nil {
		t.Fatal(err)
	}
	var priv, pub [32]byte
	copy(priv[:], keys.EncPrivate)
	copy(pub[:], keys.Identity.EncryptionPublicKey())
	return ri, NewRecordKeys(ri.Hash(), priv, pub)
}

func newSimNet(t *testing.T, n int) *simNet {
	s := &simNet{t: t, now: time.Unix(1_800_000_000, 0), self: data.Hash{0x5e, 0x1f}, transit: map[data.Hash]*Transit{}}
	for i := range n {
		ri, keys := newSimRouter(t, i)
		s.ris = append(s.ris, ri)
		s.transit[ri.Hash()] = NewTransit(TransitConfig{Self: ri.Hash(), Keys: keys, Accept: true})
	}
	s.tun = NewTunnels(TunnelsConfig{
		Self: s.self, Peers: s, Now: func() time.Time { return s.now },
		Send:  func(o []Out) { s.enqueue(s.self, o) },
		Local: func(_ *Pool, h i2np.Header, _ []byte) { s.local = append(s.local, h) },
	})
	return s
}

func (s *simNet) enqueue(from data.Hash, outs []Out) {
	for _, o := range outs {
		s.queue = append(s.queue, simMsg{from, o})
	}
}

// pump delivers queued messages until none are left (bounded).
func (s *simNet) pump() {
	for steps := 0; len(s.queue) > 0; steps++ {
		if steps > 100000 {
			s.t.Fatal("message loop")
		}
		m := s.queue[0]
		s.queue = s.queue[1:]
		if m.o.To == s.self {
			s.toCreator(m)
			continue
		}
		tr := s.transit[m.o.To]
		if tr == nil {
			s.sink = append(s.sink, m.o)
			continue
		}
		var next []Out
		var err error
		switch m.o.Msg.Type {
		case i2np.TypeShortTunnelBuild:
			next, err = tr.HandleBuild(m.from, m.o.Msg.Type, m.o.Payload, s.now, nil)
		case i2np.TypeTunnelData:
			next, err = tr.HandleTunnelData(m.from, m.o.Payload, s.now, nil)
		case i2np.TypeTunnelGateway:
			next, err = tr.HandleTunnelGateway(m.from, m.o.Payload, s.now, nil)
		default:
			s.t.Fatalf("%s to a transit router", i2np.TypeName(m.o.Msg.Type))
		}
		if err != nil {
			s.t.Fatalf("transit %s: %v", i2np.TypeName(m.o.Msg.Type), err)
		}
		s.enqueue(m.o.To, next)
	}
}

func (s *simNet) toCreator(m simMsg) {
	var err error
	switch m.o.Msg.Type {
	case i2np.TypeShortTunnelBuild:
		if !s.tun.HandleBuildReply(m.o.Msg.Type, m.o.Msg.ID, m.o.Payload) {
			err = fmt.Errorf("unexpected build message")
		}
	case i2np.TypeTunnelData:
		err = s.tun.HandleTunnelData(m.from, m.o.Payload)
	case i2np.TypeTunnelGateway:
		err = s.tun.HandleTunnelGateway(m.o.Payload)
	default:
		err = fmt.Errorf("unexpected %s", i2np.TypeName(m.o.Msg.Type))
	}
	if err != nil {
		s.t.Fatalf("creator: %v", err)
	}
}

func (s *simNet) step(d time.Duration) {
	s.now = s.now.Add(d)
	s.tun.maintain(s.now)
	s.pump()
}

func countState(ts []TunnelInfo, state string, hops int) int {
	n := 0
	for _, t := range ts {
		if t.State == state && len(t.Hops) == hops {
			n++
		}
	}
	return n
}

func TestTunnelsBuildTestReplace(t *testing.T) {
	s := newSimNet(t, 6)
	pool := s.tun.NewPool(PoolConfig{Name: "exploratory", InboundLength: 2, OutboundLength: 2, InboundQuantity: 2, OutboundQuantity: 2})
	// Round 1: outbound builds reply through the zero-hop tunnel, inbound
	// builds go out directly. Round 2 has nothing left to build.
	s.step(0)
	s.step(time.Second)
	st := s.tun.Status()
	if countState(st.Inbound, "established", 2) != 2 || countState(st.Outbound, "established", 2) != 2 || st.BuildSuccess != 1 || st.Pending != 0 {
		t.Fatalf("status %+v", st)
	}
	// Tests: every outbound tunnel's DeliveryStatus comes back.
	s.tun.mu.Lock()
	s.tun.nextTest = time.Time{}
	s.tun.mu.Unlock()
	s.step(time.Second)
	if len(s.tun.tests) != 0 {
		t.Fatalf("%d tests did not come back", len(s.tun.tests))
	}
	// Traffic: a message through an outbound tunnel to a router.
	target := data.Hash{0x77}
	if err := s.tun.Send(pool, Delivery{Type: DeliveryRouter, To: target}, i2np.Header{Type: i2np.TypeData, ID: 3, Expiration: s.now.Add(time.Minute)}, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	s.pump()
	if len(s.sink) != 1 || s.sink[0].To != target || !bytes.Equal(s.sink[0].Payload, []byte("hi")) {
		t.Fatalf("sink %+v", s.sink)
	}
	// A message sent into an inbound tunnel's gateway reaches Local.
	lease := s.tun.Leases(pool)[0]
	msg, _ := i2np.AppendStandard(nil, i2np.Header{Type: i2np.TypeData, ID: 99, Expiration: s.now.Add(time.Minute)}, bytes.Repeat([]byte{1}, 3000))
	tg, _ := (i2np.TunnelGateway{TunnelID: lease.TunnelID, Message: msg}).Append(nil)
	s.enqueue(data.Hash{0x42}, []Out{{To: lease.Gateway, Msg: i2np.Header{Type: i2np.TypeTunnelGateway}, Payload: tg}})
	s.pump()
	if len(s.local) != 1 || s.local[0].ID != 99 {
		t.Fatalf("local %+v", s.local)
	}
	// Near expiry the pool builds replacements; after it the old ones go.
	s.step(Lifetime - replaceBefore + time.Second)
	st = s.tun.Status()
	if countState(st.Inbound, "established", 2) != 2 || countState(st.Inbound, "expiring", 2) != 2 {
		t.Fatalf("replacement: %+v", st.Inbound)
	}
	s.step(2 * time.Minute)
	st = s.tun.Status()
	if len(st.Inbound) != 2 || len(st.Outbound) != 2 || countState(st.Outbound, "established", 2) != 2 {
		t.Fatalf("after expiry: %+v / %+v", st.Inbound, st.Outbound)
	}
}

func TestTunnelsRejectedAndTimedOut(t *testing.T) {
	s := newSimNet(t, 4)
	for _, tr := range s.transit {
		tr.cfg.Accept = false // every hop refuses
	}
	s.tun.NewPool(PoolConfig{Name: "x", InboundLength: 2, InboundQuantity: 1})
	s.step(0)
	st := s.tun.Status()
	if len(st.Inbound) != 0 || st.Builds != 1 || st.BuildSuccess != 0 {
		t.Fatalf("status %+v", st)
	}
	// A build whose reply never comes times out.
	s.transit = map[data.Hash]*Transit{} // messages vanish into the sink
	s.step(time.Second)
	if s.tun.Status().Pending != 1 {
		t.Fatal("no build pending")
	}
	s.step(buildTimeout + time.Second)
	if st := s.tun.Status(); st.Builds < 2 || st.BuildSuccess != 0 {
		t.Fatalf("status %+v", st)
	}
}

// TestSelectHopsSubnets: two hops never share a /16 unless allowed.
func TestSelectHopsSubnets(t *testing.T) {
	s := newSimNet(t, 0)
	for range 3 {
		ri, _ := newSimRouter(t, 9) // all in 10.9.0.0/16
		s.ris = append(s.ris, ri)
	}
	if hops := selectHops(s, NewProfiles(), selection{self: s.self}, 2, 0); hops != nil {
		t.Fatalf("two hops in one /16: %v", hops)
	}
	hops := selectHops(s, NewProfiles(), selection{self: s.self, anySubnet: true}, 3, 0)
	if len(hops) != 3 || hops[0] == hops[1] || hops[1] == hops[2] || hops[0] == hops[2] {
		t.Fatalf("hops %v", hops)
	}
}

func TestProfilesRoundTrip(t *testing.T) {
	p := NewProfiles()
	h := data.Hash{1, 2, 3}
	now := time.Unix(1_800_000_000, 0)
	p.update(h, now, func(pr *profile) { pr.Agreed, pr.TimedOut = 5, 1 })
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	q, err := DecodeProfiles(b)
	if err != nil {
		t.Fatal(err)
	}
	if q.weight(h) != p.weight(h) || q.m[h].Agreed != 5 || !q.m[h].Last.Equal(now) {
		t.Fatalf("decoded %+v", q.m[h])
	}
	if _, err := DecodeProfiles([]byte("{")); err == nil {
		t.Fatal("bad JSON accepted")
	}
}

func FuzzDecodeProfiles(f *testing.F) {
	f.Add([]byte(`{"AQID":{"Agreed":1}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) { DecodeProfiles(b) })
}

// TestSelectHopsFamily: two routers of one declared family are never in
// one tunnel.
func TestSelectHopsFamily(t *testing.T) {
	s := newSimNet(t, 0)
	for i := range 3 {
		ri, _ := newSimRouter(t, i)
		s.ris = append(s.ris, ri)
	}
	// Same family on two of them: re-sign with the option.
	for _, i := range []int{0, 1} {
		ri, _ := newSimRouter(t, 10+i)
		s.ris[i] = ri
		s.ris[i].Options.Set("family", "acme")
	}
	for range 20 {
		hops := selectHops(s, NewProfiles(), selection{self: s.self}, 2, 0)
		if len(hops) == 2 && hops[0].Options.Value("family") == "acme" && hops[1].Options.Value("family") == "acme" {
			t.Fatal("two hops of one family")
		}
	}
	if hops := selectHops(s, NewProfiles(), selection{self: s.self}, 3, 0); hops != nil {
		t.Fatal("three hops from two families")
	}
}

// TestBuildsUnderFlood: while a peer sends every hop 500 valid build
// requests a second, our own builds through those hops keep succeeding
// (the flooder is held to its rate limit and to its share of the transit
// table), and what the hops hold stays bounded (issue 6, "Flood").
func TestBuildsUnderFlood(t *testing.T) {
	s := newSimNet(t, 5)
	flooder := data.Hash{0xf1}
	s.tun.NewPool(PoolConfig{Name: "exploratory", InboundLength: 2, OutboundLength: 2, InboundQuantity: 3, OutboundQuantity: 3})
	// Pre-built flood requests, one per hop, re-encrypted each round so
	// the replay filter does not do the rate limiter's work.
	flood := func(hop *data.RouterInfo) []byte {
		var keys [32]byte
		copy(keys[:], hop.Identity.EncryptionPublicKey())
		req := BuildRequest{ReceiveID: randomTunnelID(), NextID: 1, NextIdent: data.Hash{9}, RequestTime: uint32(s.now.Unix() / 60), Expiration: 600, NextMsgID: 1}
		_, recs, err := NewShortBuild(nil, []Hop{{Ident: hop.Hash(), EncKey: keys, Request: req}}, 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := (&i2np.ShortTunnelBuild{Records: recs}).Append(nil)
		return p
	}
	const seconds, perSecond = 15, 500
	for sec := range seconds {
		for _, ri := range s.ris {
			tr := s.transit[ri.Hash()]
			for range perSecond / 50 { // 10 distinct requests a second, each sent 50 times
				p := flood(ri)
				for range 50 {
					tr.HandleBuild(flooder, i2np.TypeShortTunnelBuild, append([]byte(nil), p...), s.now, nil)
				}
			}
		}
		s.step(time.Second)
		if sec%5 == 4 { // make the pool rebuild: fail its tunnels
			s.tun.mu.Lock()
			for _, p := range s.tun.pools {
				for _, it := range p.inbound {
					it.state = Failed
				}
				for _, ot := range p.outbound {
					ot.state = Failed
				}
			}
			s.tun.mu.Unlock()
		}
	}
	st := s.tun.Status()
	ok, bad := st.BuiltOK, st.BuildsFailed
	t.Logf("our builds under flood: %d ok, %d failed; per hop: %v", ok, bad, func() (out []string) {
		for _, ri := range s.ris {
			c := s.transit[ri.Hash()].Counters()
			out = append(out, fmt.Sprintf("%d tunnels, %d dropped", s.transit[ri.Hash()].Len(), c.Dropped))
		}
		return
	}())
	if ok < 12 || float64(ok) < 0.9*float64(ok+bad) {
		t.Fatalf("our builds: %d ok, %d failed", ok, bad)
	}
	for _, ri := range s.ris {
		tr := s.transit[ri.Hash()]
		if n := tr.byPrev[flooder]; n > tr.perPeerMax() {
			t.Fatalf("flooder holds %d tunnels at one hop", n)
		}
		if tr.Counters().Dropped < uint64(seconds*perSecond/2) {
			t.Fatalf("flood not dropped: %+v", tr.Counters())
		}
	}
}

// TestRemovePool: a removed pool's tunnels go at once, builds in flight
// for it are discarded when they answer, and nothing is built for it
// again; the other pools are untouched.
func TestRemovePool(t *testing.T) {
	s := newSimNet(t, 6)
	shape := PoolConfig{InboundLength: 2, OutboundLength: 2, InboundQuantity: 2, OutboundQuantity: 2}
	shape.Name = "exploratory"
	s.tun.NewPool(shape)
	shape.Name = "dest"
	d := s.tun.NewPool(shape)
	s.step(0)
	s.step(time.Second)
	if st := s.tun.Status(); len(st.Inbound) != 4 || len(st.Outbound) != 4 {
		t.Fatalf("before: %d in, %d out", len(st.Inbound), len(st.Outbound))
	}
	s.tun.RemovePool(d)
	s.tun.RemovePool(d) // twice: nothing more
	st := s.tun.Status()
	for _, ti := range append(st.Inbound, st.Outbound...) {
		if ti.Pool != "exploratory" {
			t.Fatalf("tunnel of pool %s left", ti.Pool)
		}
	}
	if len(st.Inbound) != 2 || len(st.Outbound) != 2 || len(s.tun.inbound) != 3 { // + the zero-hop one
		t.Fatalf("after: %d in, %d out, %d inbound ids", len(st.Inbound), len(st.Outbound), len(s.tun.inbound))
	}
	// A pool removed while its builds are in flight.
	shape.Name = "late"
	late := s.tun.NewPool(shape)
	s.now = s.now.Add(time.Second)
	s.tun.maintain(s.now)
	if s.tun.Status().Pending == 0 {
		t.Fatal("no build in flight")
	}
	s.tun.RemovePool(late)
	s.pump()
	built := s.tun.Status().BuiltOK
	for range 3 {
		s.step(time.Second)
	}
	st = s.tun.Status()
	if st.Pending != 0 || st.BuiltOK != built || len(st.Inbound) != 2 || len(st.Outbound) != 2 || len(s.tun.inbound) != 3 {
		t.Fatalf("late pool: %+v, %d inbound ids", st, len(s.tun.inbound))
	}
}
