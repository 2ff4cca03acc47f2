package tunnel

import (
	"bytes"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// testNet is a set of Transit routers that pass Outs among themselves;
// what is addressed to anyone else is collected in sink.
type testNet struct {
	t    *testing.T
	now  time.Time
	hops []testRouter
	by   map[data.Hash]*Transit
	sink []Out
}

func newTestNet(t *testing.T, n int, cfg TransitConfig) *testNet {
	tn := &testNet{t: t, now: time.Unix(1_800_000_000, 0), by: map[data.Hash]*Transit{}}
	for range n {
		r := newTestRouter(t)
		c := cfg
		c.Self, c.Keys, c.Accept = r.ident, r.keys, !cfg.Accept // Accept inverted: zero value accepts
		tn.hops = append(tn.hops, r)
		tn.by[r.ident] = NewTransit(c)
	}
	return tn
}

// deliver runs outs (sent by from) through the network until nothing is
// left for its routers.
func (tn *testNet) deliver(from data.Hash, outs []Out) {
	type item struct {
		from data.Hash
		o    Out
	}
	var q []item
	for _, o := range outs {
		q = append(q, item{from, o})
	}
	for steps := 0; len(q) > 0 && steps < 1000; steps++ {
		it := q[0]
		q = q[1:]
		tr := tn.by[it.o.To]
		if tr == nil {
			tn.sink = append(tn.sink, it.o)
			continue
		}
		var next []Out
		var err error
		switch it.o.Msg.Type {
		case i2np.TypeShortTunnelBuild, i2np.TypeVariableTunnelBuild, i2np.TypeTunnelBuild:
			next, err = tr.HandleBuild(it.from, it.o.Msg.Type, it.o.Payload, tn.now, nil)
		case i2np.TypeTunnelData:
			next, err = tr.HandleTunnelData(it.from, it.o.Payload, tn.now, nil)
		case i2np.TypeTunnelGateway:
			next, err = tr.HandleTunnelGateway(it.from, it.o.Payload, tn.now, nil)
		default:
			tn.t.Fatalf("unexpected %s to a hop", i2np.TypeName(it.o.Msg.Type))
		}
		if err != nil {
			tn.t.Fatalf("%s at hop: %v", i2np.TypeName(it.o.Msg.Type), err)
		}
		for _, o := range next {
			q = append(q, item{it.o.To, o})
		}
	}
}

func (tn *testNet) build(inbound bool, creator, replyGW data.Hash) (*Build, []Hop) {
	replyTo := replyGW
	if inbound {
		replyTo = creator
	}
	hops := testPath(tn.hops, inbound, replyTo)
	for i := range hops {
		hops[i].Request.RequestTime = uint32(tn.now.Unix() / 60)
	}
	var own *data.Hash
	if inbound {
		own = &creator
	}
	b, recs, err := NewShortBuild(nil, hops, 5, own)
	if err != nil {
		tn.t.Fatal(err)
	}
	payload, err := (&i2np.ShortTunnelBuild{Records: recs}).Append(nil)
	if err != nil {
		tn.t.Fatal(err)
	}
	tn.deliver(creator, []Out{{To: hops[0].Ident, Msg: i2np.Header{Type: i2np.TypeShortTunnelBuild, ID: 1}, Payload: payload}})
	return b, hops
}

func TestTransitOutboundTunnel(t *testing.T) {
	tn := newTestNet(t, 3, TransitConfig{})
	creator, replyGW := data.Hash{0xc0}, data.Hash{0xee}
	b, hops := tn.build(false, creator, replyGW)

	// The outbound endpoint sent the reply to the reply gateway: a
	// TunnelGateway holding one-time garlic holding the OTBRM.
	if len(tn.sink) != 1 || tn.sink[0].To != replyGW || tn.sink[0].Msg.Type != i2np.TypeTunnelGateway {
		t.Fatalf("sink %+v", tn.sink)
	}
	tg, err := i2np.ParseTunnelGateway(tn.sink[0].Payload)
	if err != nil || tg.TunnelID != hops[2].Request.NextID {
		t.Fatalf("tunnel gateway %v %v", tg.TunnelID, err)
	}
	h, p, err := tg.Inner()
	if err != nil || h.Type != i2np.TypeGarlic {
		t.Fatalf("inner %v %v", h.Type, err)
	}
	g, _ := i2np.ParseGarlic(p)
	if !bytes.Equal(g.Body[:8], b.Hops[2].GarlicTag[:]) {
		t.Fatal("garlic tag is not the endpoint's")
	}
	cloves, err := i2np.OpenOneTimeGarlic(&b.Hops[2].GarlicKey, g.Body)
	if err != nil || len(cloves) != 1 || cloves[0].Header.Type != i2np.TypeOutboundTunnelBuildReply || cloves[0].Header.ID != hops[2].Request.NextMsgID {
		t.Fatalf("cloves %+v %v", cloves, err)
	}
	reply, err := i2np.ParseOutboundTunnelBuildReply(cloves[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := b.OpenReplies(reply.Records)
	if err != nil || !bytes.Equal(codes, []byte{0, 0, 0}) {
		t.Fatalf("codes %v %v", codes, err)
	}
	for _, r := range tn.hops {
		if tn.by[r.ident].Len() != 1 {
			t.Fatal("hop holds no transit tunnel")
		}
	}

	// Data: the creator (outbound gateway) sends a message to a router and
	// a big one to a tunnel; the endpoint delivers both.
	tn.sink = nil
	layers := make([]*Layer, len(b.Hops))
	for i, k := range b.Hops {
		layers[i] = NewLayer(k.Layer, k.IV)
	}
	small, _ := i2np.AppendStandard(nil, i2np.Header{Type: i2np.TypeData, ID: 5, Expiration: tn.now.Add(time.Minute)}, []byte("hello"))
	big, _ := i2np.AppendStandard(nil, i2np.Header{Type: i2np.TypeData, ID: 6, Expiration: tn.now.Add(time.Minute)}, bytes.Repeat([]byte{7}, 5000))
	gw := NewGateway(nil)
	var outs []Out
	emit := func(body *[i2np.TunnelDataLen]byte) {
		DecryptLayers(layers, body)
		p, _ := (i2np.TunnelData{TunnelID: hops[0].Request.ReceiveID, Data: body}).Append(nil)
		outs = append(outs, Out{To: hops[0].Ident, Msg: i2np.Header{Type: i2np.TypeTunnelData}, Payload: p})
	}
	target := data.Hash{0x77}
	if err := gw.Add(Delivery{Type: DeliveryRouter, To: target}, small, emit); err != nil {
		t.Fatal(err)
	}
	if err := gw.Add(Delivery{Type: DeliveryTunnel, To: target, TunnelID: 4242}, big, emit); err != nil {
		t.Fatal(err)
	}
	gw.Flush(emit)
	first := append([]byte(nil), outs[0].Payload...)
	tn.deliver(creator, outs)
	if len(tn.sink) != 2 {
		t.Fatalf("endpoint delivered %d messages", len(tn.sink))
	}
	if o := tn.sink[0]; o.To != target || o.Msg.Type != i2np.TypeData || o.Msg.ID != 5 || !bytes.Equal(o.Payload, []byte("hello")) {
		t.Fatalf("router delivery %+v", o)
	}
	tg, err = i2np.ParseTunnelGateway(tn.sink[1].Payload)
	if err != nil || tg.TunnelID != 4242 || !bytes.Equal(tg.Message, big) {
		t.Fatalf("tunnel delivery: %v", err)
	}

	// A replayed tunnel message is dropped by the first hop.
	first0 := tn.by[hops[0].Ident]
	if _, err := first0.HandleTunnelData(creator, first, tn.now, nil); err == nil || first0.Counters().Duplicate != 1 {
		t.Fatal("replayed tunnel message accepted")
	}
	// So is one from another previous hop.
	other := append([]byte(nil), first...)
	other[100] ^= 1
	if _, err := first0.HandleTunnelData(data.Hash{0x99}, other, tn.now, nil); err == nil {
		t.Fatal("tunnel message from a stranger accepted")
	}
}

func TestTransitInboundTunnel(t *testing.T) {
	tn := newTestNet(t, 2, TransitConfig{})
	creator := data.Hash{0xc1}
	b, hops := tn.build(true, creator, data.Hash{})
	if len(tn.sink) != 1 || tn.sink[0].To != creator || tn.sink[0].Msg.Type != i2np.TypeShortTunnelBuild || tn.sink[0].Msg.ID != hops[1].Request.NextMsgID {
		t.Fatalf("sink %+v", tn.sink)
	}
	stb, err := i2np.ParseShortTunnelBuild(tn.sink[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	if codes, err := b.OpenReplies(stb.Records); err != nil || !bytes.Equal(codes, []byte{0, 0}) {
		t.Fatalf("codes %v %v", codes, err)
	}

	// Someone sends a message into the tunnel at its gateway; the creator
	// peels every layer and reassembles it.
	tn.sink = nil
	msg, _ := i2np.AppendStandard(nil, i2np.Header{Type: i2np.TypeData, ID: 9, Expiration: tn.now.Add(time.Minute)}, bytes.Repeat([]byte{1}, 3000))
	tgp, _ := (i2np.TunnelGateway{TunnelID: hops[0].Request.ReceiveID, Message: msg}).Append(nil)
	tn.deliver(data.Hash{0x55}, []Out{{To: hops[0].Ident, Msg: i2np.Header{Type: i2np.TypeTunnelGateway}, Payload: tgp}})
	if len(tn.sink) < 4 {
		t.Fatalf("%d tunnel messages reached the creator", len(tn.sink))
	}
	layers := make([]*Layer, len(b.Hops))
	for i, k := range b.Hops {
		layers[i] = NewLayer(k.Layer, k.IV)
	}
	ep := NewEndpoint(EndpointConfig{})
	var got [][]byte
	for _, o := range tn.sink {
		td, err := i2np.ParseTunnelData(o.Payload)
		if err != nil || td.TunnelID != hops[1].Request.NextID {
			t.Fatalf("to creator: %v %v", td.TunnelID, err)
		}
		DecryptLayers(layers, td.Data)
		if err := ep.Receive(td.Data, tn.now, func(d Delivery, m []byte) {
			if d.Type != DeliveryLocal {
				t.Errorf("delivery %v", d.Type)
			}
			got = append(got, append([]byte(nil), m...))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || !bytes.Equal(got[0], msg) {
		t.Fatalf("creator got %d messages", len(got))
	}
}

func TestTransitPolicy(t *testing.T) {
	// notransit: every hop refuses with 30, and holds nothing.
	tn := newTestNet(t, 2, TransitConfig{Accept: true}) // inverted: refuse
	b, _ := tn.build(true, data.Hash{0xc2}, data.Hash{})
	stb, _ := i2np.ParseShortTunnelBuild(tn.sink[0].Payload)
	if codes, err := b.OpenReplies(stb.Records); err != nil || !bytes.Equal(codes, []byte{30, 30}) {
		t.Fatalf("codes %v %v", codes, err)
	}
	for _, r := range tn.hops {
		if c := tn.by[r.ident].Counters(); tn.by[r.ident].Len() != 0 || c.Rejected != 1 {
			t.Fatalf("refusing hop: %+v", c)
		}
	}

	// A replayed build message is dropped without a reply.
	tn = newTestNet(t, 1, TransitConfig{})
	hops := testPath(tn.hops, false, data.Hash{9})
	hops[0].Request.RequestTime = uint32(tn.now.Unix() / 60)
	_, recs, _ := NewShortBuild(nil, hops, 4, nil)
	payload, _ := (&i2np.ShortTunnelBuild{Records: recs}).Append(nil)
	tr := tn.by[tn.hops[0].ident]
	if _, err := tr.HandleBuild(data.Hash{1}, i2np.TypeShortTunnelBuild, append([]byte(nil), payload...), tn.now, nil); err != nil {
		t.Fatal(err)
	}
	if out, err := tr.HandleBuild(data.Hash{1}, i2np.TypeShortTunnelBuild, payload, tn.now, nil); err == nil || len(out) != 0 {
		t.Fatal("replayed build answered")
	}
	// A stale request time is dropped.
	hops[0].Request.RequestTime -= 70
	_, recs, _ = NewShortBuild(nil, hops, 4, nil)
	payload, _ = (&i2np.ShortTunnelBuild{Records: recs}).Append(nil)
	if _, err := tr.HandleBuild(data.Hash{1}, i2np.TypeShortTunnelBuild, payload, tn.now, nil); err == nil {
		t.Fatal("stale build answered")
	}
	// Flood: one peer's requests beyond the burst are dropped.
	for range 2 * DefaultBuildBurst {
		tr.HandleBuild(data.Hash{2}, i2np.TypeShortTunnelBuild, []byte{0}, tn.now, nil)
	}
	if tr.Counters().Dropped < DefaultBuildBurst {
		t.Fatalf("dropped %d of %d", tr.Counters().Dropped, 2*DefaultBuildBurst)
	}
	// Unknown tunnel ids are dropped and counted.
	td, _ := (i2np.TunnelData{TunnelID: 999}).Append(nil)
	if _, err := tr.HandleTunnelData(data.Hash{3}, td, tn.now, nil); err == nil || tr.Counters().Unknown != 1 {
		t.Fatal("data for an unknown tunnel accepted")
	}
	// Expiry.
	tr.Expire(tn.now.Add(Lifetime + 2*time.Minute))
	if tr.Len() != 0 {
		t.Fatal("tunnel outlived its lifetime")
	}
}

// TestTransitShare: over the bandwidth share, tunnel messages are dropped
// and counted; a second later the share has refilled.
func TestTransitShare(t *testing.T) {
	tn := newTestNet(t, 1, TransitConfig{ShareBytes: 10 * i2np.TunnelDataMsgLen})
	creator := data.Hash{0xc3}
	b, hops := tn.build(false, creator, data.Hash{0xee})
	tr := tn.by[hops[0].Ident]
	layers := []*Layer{NewLayer(b.Hops[0].Layer, b.Hops[0].IV)}
	send := func(i int) error {
		var body [i2np.TunnelDataLen]byte
		body[0], body[1] = byte(i), byte(i>>8) // distinct IVs for the duplicate filter
		DecryptLayers(layers, &body)
		p, _ := (i2np.TunnelData{TunnelID: hops[0].Request.ReceiveID, Data: &body}).Append(nil)
		_, err := tr.HandleTunnelData(creator, p, tn.now, nil)
		return err
	}
	for i := range 30 {
		send(i) // the endpoint refuses the empty bodies that pass; only the share counts here
	}
	if c := tr.Counters(); c.OverShare != 20 {
		t.Fatalf("%d of 30 over the share, want 20 (burst of 10): %+v", c.OverShare, c)
	}
	tn.now = tn.now.Add(time.Second)
	if tr.withinShare(i2np.TunnelDataMsgLen, tn.now); tr.Counters().OverShare != 20 {
		t.Fatal("share did not refill")
	}
}

// TestTransitBandwidthOptions: proposal 168's m and r in a request; the
// reply offers b, and a minimum above the share is refused.
func TestTransitBandwidthOptions(t *testing.T) {
	var req data.Mapping
	req.Set("m", "100")
	req.Set("r", "200")
	opts, _ := req.Append(nil)
	for _, c := range []struct {
		share int
		code  byte
		b     string
	}{{0, 0, "200"}, {1000 * 1024, 0, "1000"}, {50 * 1024, ReplyRejectBandw, ""}} {
		tn := newTestNet(t, 1, TransitConfig{ShareBytes: c.share})
		hops := testPath(tn.hops, false, data.Hash{9})
		hops[0].Request.RequestTime = uint32(tn.now.Unix() / 60)
		hops[0].Request.Options = opts
		b, recs, _ := NewShortBuild(nil, hops, 4, nil)
		payload, _ := (&i2np.ShortTunnelBuild{Records: recs}).Append(nil)
		out, err := tn.by[tn.hops[0].ident].HandleBuild(data.Hash{1}, i2np.TypeShortTunnelBuild, payload, tn.now, nil)
		if err != nil || len(out) != 1 {
			t.Fatal(err)
		}
		tg, _ := i2np.ParseTunnelGateway(out[0].Payload)
		_, p, _ := tg.Inner()
		g, _ := i2np.ParseGarlic(p)
		cloves, err := i2np.OpenOneTimeGarlic(&b.Hops[0].GarlicKey, g.Body)
		if err != nil {
			t.Fatal(err)
		}
		reply, _ := i2np.ParseOutboundTunnelBuildReply(cloves[0].Payload)
		codes, err := b.OpenReplies(reply.Records)
		if err != nil || codes[0] != c.code {
			t.Fatalf("share %d: codes %v %v", c.share, codes, err)
		}
		m, _, err := data.ParseMapping(b.Hops[0].Reply)
		if err != nil || m.Value("b") != c.b {
			t.Fatalf("share %d: reply options %v %v, want b=%q", c.share, m.Map(), err, c.b)
		}
	}
}

// TestTransitPerPeerCap: one requesting peer holds at most a tenth of the
// transit table (at least 100), whatever its rate.
func TestTransitPerPeerCap(t *testing.T) {
	tn := newTestNet(t, 1, TransitConfig{MaxTunnels: 1000, BuildRate: 1e6, BuildBurst: 1e6})
	tr := tn.by[tn.hops[0].ident]
	peer := data.Hash{0x77}
	codes := map[byte]int{}
	for i := range 110 {
		hops := testPath(tn.hops, false, data.Hash{9})
		hops[0].Request.RequestTime = uint32(tn.now.Unix() / 60)
		hops[0].Request.ReceiveID = data.TunnelID(1000 + i)
		b, recs, _ := NewShortBuild(nil, hops, 4, nil)
		payload, _ := (&i2np.ShortTunnelBuild{Records: recs}).Append(nil)
		out, err := tr.HandleBuild(peer, i2np.TypeShortTunnelBuild, payload, tn.now, nil)
		if err != nil || len(out) != 1 {
			t.Fatal(err)
		}
		tg, _ := i2np.ParseTunnelGateway(out[0].Payload)
		_, p, _ := tg.Inner()
		g, _ := i2np.ParseGarlic(p)
		cloves, _ := i2np.OpenOneTimeGarlic(&b.Hops[0].GarlicKey, g.Body)
		reply, _ := i2np.ParseOutboundTunnelBuildReply(cloves[0].Payload)
		c, err := b.OpenReplies(reply.Records)
		if err != nil {
			t.Fatal(err)
		}
		codes[c[0]]++
	}
	if codes[0] != 100 || codes[ReplyRejectBandw] != 10 || tr.Len() != 100 {
		t.Fatalf("codes %v, %d tunnels", codes, tr.Len())
	}
}
