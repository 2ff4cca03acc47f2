package netdb

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// noSender fails every send; tests that drain the queue never call it.
type noSender struct{}

func (noSender) Send(context.Context, data.Hash, i2np.Header, []byte) error {
	return errors.New("no network")
}

// ffNode is a floodfill Service under test whose queue the test reads.
type ffNode struct {
	*Service
	r   *router
	now *time.Time
}

// newFFNode returns a floodfill knowing the given routers.
func newFFNode(t *testing.T, floodfill bool, known ...*data.RouterInfo) *ffNode {
	t.Helper()
	now := t0
	r := newRouter(t)
	self := r.ri(t, now, "Xf", 99, nil)
	st := New(Config{NetID: 99, Self: r.hash(), Now: func() time.Time { return now }})
	for _, ri := range known {
		if _, err := st.Put(ri); err != nil {
			t.Fatal(err)
		}
	}
	s := NewService(ServiceConfig{Store: st, Sender: noSender{}, Self: func() *data.RouterInfo { return self },
		Floodfill: floodfill, StoreBurst: 20, LookupBurst: 20, Now: func() time.Time { return now }})
	return &ffNode{Service: s, r: r, now: &now}
}

// sent is one queued message.
type sent struct {
	to      data.Hash
	h       i2np.Header
	payload []byte
}

// drain returns the queued messages.
func (n *ffNode) drain() []sent {
	var out []sent
	for {
		select {
		case j := <-n.out:
			out = append(out, sent{j.to, j.h, j.payload})
		default:
			return out
		}
	}
}

// routers makes n signed RouterInfos with the given caps.
func routers(t *testing.T, n int, caps string) []*data.RouterInfo {
	var out []*data.RouterInfo
	for range n {
		out = append(out, newRouter(t).ri(t, t0, caps, 99, nil))
	}
	return out
}

func hashes(ris []*data.RouterInfo) []data.Hash {
	var out []data.Hash
	for _, ri := range ris {
		out = append(out, ri.Hash())
	}
	return out
}

func TestStoreAckAndFlood(t *testing.T) {
	ffs := routers(t, 5, "Xf")
	n := newFFNode(t, true, ffs...)
	sender := newRouter(t).ri(t, t0, "XR", 99, nil)
	m := i2np.NewRouterInfoStore(sender, 0xabcd, sender.Hash())
	n.HandleStore(sender.Hash(), m)
	out := n.drain()
	if len(out) != 1+FloodTo {
		t.Fatalf("%d messages", len(out))
	}
	ack := out[0]
	ds, err := i2np.ParseDeliveryStatus(ack.payload)
	if ack.to != sender.Hash() || ack.h.Type != i2np.TypeDeliveryStatus || err != nil || ds.MsgID != 0xabcd {
		t.Fatalf("ack %+v %+v %v", ack, ds, err)
	}
	want := hashes(n.store.Closest(RoutingKey(sender.Hash(), t0), FloodTo, true, nil))
	for i, f := range out[1:] {
		fm, err := i2np.ParseDatabaseStore(f.payload)
		if f.to != want[i] || f.h.Type != i2np.TypeDatabaseStore || err != nil || fm.ReplyToken != 0 || fm.Key != sender.Hash() {
			t.Fatalf("flood %d: to %s (want %s) %+v %v", i, f.to, want[i], fm, err)
		}
	}
	// The same store again changes nothing: acked, not flooded.
	n.HandleStore(sender.Hash(), m)
	if out := n.drain(); len(out) != 1 {
		t.Fatalf("repeat: %d messages", len(out))
	}
	// No reply token: stored quietly, not flooded.
	d := newDest(t)
	ls := d.ls2(t, t0, nil)
	n.HandleStore(sender.Hash(), &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, Data: ls.Bytes()})
	if out := n.drain(); len(out) != 0 || n.store.LeaseSet(d.hash()) == nil || !n.store.LeaseSet(d.hash()).Servable(t0) {
		t.Fatalf("token 0: %d messages", len(out))
	}
}

// TestFloodAfterHandshake: the transports store a RouterInfo at the
// handshake; the DatabaseStore of the same one that follows is flooded
// all the same, once.
func TestFloodAfterHandshake(t *testing.T) {
	n := newFFNode(t, true, routers(t, 4, "Xf")...)
	sender := newRouter(t).ri(t, t0, "XR", 99, nil)
	if ok, err := n.store.Put(sender); !ok || err != nil {
		t.Fatal(ok, err)
	}
	m := i2np.NewRouterInfoStore(sender, 9, sender.Hash())
	n.HandleStore(sender.Hash(), m)
	if out := n.drain(); len(out) != 1+FloodTo {
		t.Fatalf("%d messages", len(out))
	}
	n.HandleStore(sender.Hash(), m)
	if out := n.drain(); len(out) != 1 {
		t.Fatalf("second store: %d messages", len(out))
	}
}

// TestFloodLookAhead: just before midnight UTC a store also goes to the
// floodfills closest to the next day's routing key.
func TestFloodLookAhead(t *testing.T) {
	ffs := routers(t, 12, "Xf")
	n := newFFNode(t, true, ffs...)
	midnight := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	sender := newRouter(t).ri(t, midnight.Add(-2*time.Minute), "XR", 99, nil)
	if got := FloodTimes(midnight.Add(-11 * time.Minute)); len(got) != 1 {
		t.Fatalf("11 min before: %v", got)
	}
	if got := FloodTimes(midnight.Add(-time.Minute)); len(got) != 2 || !got[1].Equal(midnight) {
		t.Fatalf("1 min before: %v", got)
	}
	*n.now = midnight.Add(-time.Minute)
	n.HandleStore(sender.Hash(), i2np.NewRouterInfoStore(sender, 1, sender.Hash()))
	out := n.drain()[1:]
	want := map[data.Hash]bool{}
	for _, d := range []time.Time{*n.now, midnight} {
		for _, h := range hashes(n.store.Closest(RoutingKey(sender.Hash(), d), FloodTo, true, nil)) {
			want[h] = true
		}
	}
	// The two days' closest may overlap, but all six are the same three
	// only once in 220 draws.
	if len(out) != len(want) || len(want) < FloodTo {
		t.Fatalf("%d floods, want %d", len(out), len(want))
	}
	for _, f := range out {
		if !want[f.to] {
			t.Fatalf("flooded to %s", f.to)
		}
	}
}

func TestStoreReplyThroughTunnel(t *testing.T) {
	n := newFFNode(t, true, routers(t, 4, "Xf")...)
	d := newDest(t)
	gw, obep := newRouter(t).hash(), newRouter(t).hash()
	ls := d.ls2(t, t0, nil)
	n.HandleStore(obep, &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, ReplyToken: 77, ReplyTunnel: 1234, ReplyGateway: gw, Data: ls.Bytes()})
	out := n.drain()
	if len(out) != 1+FloodTo || out[0].to != gw || out[0].h.Type != i2np.TypeTunnelGateway {
		t.Fatalf("%d messages, first %+v", len(out), out)
	}
	tg, err := i2np.ParseTunnelGateway(out[0].payload)
	if err != nil || tg.TunnelID != 1234 {
		t.Fatalf("%+v %v", tg, err)
	}
	h, p, err := tg.Inner()
	if err != nil || h.Type != i2np.TypeDeliveryStatus {
		t.Fatalf("inner %+v %v", h, err)
	}
	if ds, _ := i2np.ParseDeliveryStatus(p); ds.MsgID != 77 {
		t.Fatalf("token %d", ds.MsgID)
	}
	for _, f := range out[1:] {
		if f.to == obep || f.to == gw {
			t.Fatal("flooded back")
		}
	}
	// An unpublished LeaseSet is acked and kept, but neither flooded
	// nor served.
	u := newDest(t)
	uls := u.ls2(t, t0, func(ls *data.LeaseSet2) { ls.Flags = data.FlagUnpublished })
	n.HandleStore(obep, &i2np.DatabaseStore{Key: u.hash(), Type: i2np.StoreLeaseSet2, ReplyToken: 78, ReplyGateway: gw, Data: uls.Bytes()})
	if out := n.drain(); len(out) != 1 || n.store.LeaseSet(u.hash()) == nil {
		t.Fatalf("unpublished: %d messages", len(out))
	}
	n.HandleLookup(gw, &i2np.DatabaseLookup{Key: u.hash(), From: gw, Lookup: i2np.LookupLeaseSet})
	if out := n.drain(); len(out) != 1 || out[0].h.Type != i2np.TypeDatabaseSearchReply {
		t.Fatalf("lookup of an unpublished LeaseSet answered: %+v", out)
	}
}

func TestStoreRefusals(t *testing.T) {
	n := newFFNode(t, false)
	peer := newRouter(t).hash()
	d := newDest(t)
	ls := d.ls2(t, t0, nil)
	n.HandleStore(peer, &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, ReplyToken: 5, ReplyGateway: peer, Data: ls.Bytes()})
	if out := n.drain(); len(out) != 0 || n.store.LeaseSets() != 0 {
		t.Fatal("a non-floodfill took an unsolicited LeaseSet")
	}
	// A RouterInfo stored under another key.
	ri := newRouter(t).ri(t, t0, "X", 99, nil)
	n.HandleStore(peer, &i2np.DatabaseStore{Key: peer, Type: i2np.StoreRouterInfo, Data: ri.Bytes()})
	// Over the burst of 20: rate-limited.
	for range 25 {
		n.HandleStore(peer, &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, Data: []byte("x")})
	}
	rej := n.Stats().Rejected
	if rej["unsolicited"] != 19 || rej["key"] != 1 || rej["rate_limited"] != 7 {
		t.Fatalf("rejections %v", rej)
	}
}

func TestLookupAnswers(t *testing.T) {
	ffs := routers(t, 5, "Xf")
	others := routers(t, 5, "XR")
	n := newFFNode(t, true, append(ffs, others...)...)
	d := newDest(t)
	ls := d.ls2(t, t0, nil)
	n.HandleStore(ffs[0].Hash(), &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, Data: ls.Bytes()})
	asker := newRouter(t).hash()
	ask := func(m *i2np.DatabaseLookup) sent {
		t.Helper()
		n.HandleLookup(asker, m)
		out := n.drain()
		if len(out) != 1 {
			t.Fatalf("%d replies", len(out))
		}
		return out[0]
	}
	// Found: the entries themselves, to From.
	r := ask(&i2np.DatabaseLookup{Key: d.hash(), From: asker, Lookup: i2np.LookupLeaseSet})
	if m, err := i2np.ParseDatabaseStore(r.payload); r.to != asker || err != nil || !bytes.Equal(m.Data, ls.Bytes()) || m.Type != i2np.StoreLeaseSet2 {
		t.Fatalf("LeaseSet: %+v %v", r, err)
	}
	for _, key := range []data.Hash{others[2].Hash(), n.r.hash()} { // a known router, and ourselves
		r = ask(&i2np.DatabaseLookup{Key: key, From: asker, Lookup: i2np.LookupRouterInfo})
		if m, err := i2np.ParseDatabaseStore(r.payload); err != nil || m.Key != key {
			t.Fatalf("RouterInfo: %+v %v", m, err)
		}
	}
	// Missing: the closest floodfills, less the excluded ones.
	var missing data.Hash
	missing[0] = 1
	excluded := []data.Hash{n.store.Closest(RoutingKey(missing, t0), 1, true, nil)[0].Hash()}
	r = ask(&i2np.DatabaseLookup{Key: missing, From: asker, Lookup: i2np.LookupLeaseSet, Excluded: excluded})
	sr, err := i2np.ParseDatabaseSearchReply(r.payload)
	want := hashes(n.store.Closest(RoutingKey(missing, t0), SearchReplyPeers, true, func(h data.Hash) bool { return h == excluded[0] }))
	if err != nil || sr.From != n.r.hash() || len(sr.Peers) != 3 || sr.Peers[0] != want[0] || sr.Peers[2] != want[2] {
		t.Fatalf("miss: %+v %v, want %v", sr, err, want)
	}
	// Exploration: routers that are not floodfills, even for a key we hold.
	r = ask(&i2np.DatabaseLookup{Key: d.hash(), From: asker, Lookup: i2np.LookupExploration})
	sr, _ = i2np.ParseDatabaseSearchReply(r.payload)
	for _, h := range sr.Peers {
		if IsFloodfill(n.store.Get(h)) {
			t.Fatalf("exploration returned floodfill %s", h)
		}
	}
	if len(sr.Peers) != 3 {
		t.Fatalf("exploration: %d peers", len(sr.Peers))
	}
	st := n.Stats()
	if st.Answered != 3 || st.SearchReplies != 2 || st.LookupsReceived != 5 {
		t.Fatalf("stats %+v", st)
	}
}

// TestLookupECIESReply checks proposal 154's reply: a Garlic message in
// the Existing Session format, here down a reply tunnel.
func TestLookupECIESReply(t *testing.T) {
	n := newFFNode(t, true, routers(t, 3, "Xf")...)
	d := newDest(t)
	ls := d.ls2(t, t0, nil)
	n.HandleStore(data.Hash{9}, &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, Data: ls.Bytes()})
	gw := newRouter(t).hash()
	key := data.SessionKey{1, 2, 3}
	tag := data.RatchetTag{8, 7, 6, 5, 4, 3, 2, 1}
	for _, lookupKey := range []data.Hash{d.hash(), {5}} {
		n.HandleLookup(data.Hash{9}, &i2np.DatabaseLookup{Key: lookupKey, From: gw, ReplyTunnel: 99, Lookup: i2np.LookupLeaseSet,
			Encryption: i2np.ReplyECIES, ReplyKey: key, RatchetTag: tag})
		out := n.drain()
		if len(out) != 1 || out[0].to != gw || out[0].h.Type != i2np.TypeTunnelGateway {
			t.Fatalf("%+v", out)
		}
		tg, _ := i2np.ParseTunnelGateway(out[0].payload)
		h, p, err := tg.Inner()
		if err != nil || h.Type != i2np.TypeGarlic || tg.TunnelID != 99 {
			t.Fatalf("inner %+v %v", h, err)
		}
		g, err := i2np.ParseGarlic(p)
		if err != nil || !bytes.Equal(g.Body[:8], tag[:]) {
			t.Fatalf("garlic %v", err)
		}
		k := [32]byte(key)
		cloves, err := i2np.OpenOneTimeGarlic(&k, g.Body)
		if err != nil || len(cloves) != 1 {
			t.Fatalf("open: %v", err)
		}
		want := i2np.TypeDatabaseStore
		if lookupKey != d.hash() {
			want = i2np.TypeDatabaseSearchReply
		}
		if cloves[0].Header.Type != want {
			t.Fatalf("clove type %d", cloves[0].Header.Type)
		}
	}
	if n.Stats().Encrypted != 2 {
		t.Fatal("not counted")
	}
}

func TestLookupRefusals(t *testing.T) {
	asker := newRouter(t).hash()
	plain := &i2np.DatabaseLookup{Key: data.Hash{1}, From: asker, Lookup: i2np.LookupRouterInfo}
	n := newFFNode(t, false)
	n.HandleLookup(asker, plain)
	n.SetFloodfill(true)
	n.HandleLookup(asker, &i2np.DatabaseLookup{Key: data.Hash{1}, From: asker, Encryption: i2np.ReplyElGamal,
		ElGamalTags: []data.SessionTag{{1}}})
	for range 22 {
		n.HandleLookup(asker, plain)
	}
	if out := n.drain(); len(out) != 19 { // burst 20, one used by the ElGamal lookup
		t.Fatalf("%d replies", len(out))
	}
	rej := n.Stats().Rejected
	if rej["not_floodfill"] != 1 || rej["unsupported"] != 1 || rej["rate_limited"] != 3 {
		t.Fatalf("rejections %v", rej)
	}
}

func TestHandleMessage(t *testing.T) {
	n := newFFNode(t, true)
	if ok, err := n.HandleMessage(data.Hash{1}, i2np.TypeDatabaseLookup, []byte{1, 2}); !ok || err == nil {
		t.Fatalf("bad lookup: %v %v", ok, err)
	}
	if ok, _ := n.HandleMessage(data.Hash{1}, i2np.TypeGarlic, nil); ok {
		t.Fatal("garlic handled")
	}
	if n.Stats().Rejected["invalid"] != 1 {
		t.Fatal("not counted")
	}
}

// FuzzHandleMessage throws bytes at the floodfill's message handlers: no
// panic, and whatever it queues is a message it can encode.
func FuzzHandleMessage(f *testing.F) {
	ri := newRouter(f).ri(f, t0, "XR", 99, nil)
	d := newDest(f)
	seed := func(typ uint8, m interface{ Append([]byte) ([]byte, error) }) {
		b, err := m.Append(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(typ, b)
	}
	seed(i2np.TypeDatabaseStore, i2np.NewRouterInfoStore(ri, 7, ri.Hash()))
	seed(i2np.TypeDatabaseStore, &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, ReplyToken: 1, ReplyTunnel: 2, ReplyGateway: ri.Hash(), Data: d.ls2(f, t0, nil).Bytes()})
	seed(i2np.TypeDatabaseLookup, &i2np.DatabaseLookup{Key: d.hash(), From: ri.Hash(), ReplyTunnel: 3, Lookup: i2np.LookupLeaseSet, Encryption: i2np.ReplyECIES})
	seed(i2np.TypeDatabaseSearchReply, &i2np.DatabaseSearchReply{Key: d.hash(), Peers: []data.Hash{{1}}, From: ri.Hash()})
	f.Add(i2np.TypeDeliveryStatus, i2np.DeliveryStatus{MsgID: 5, Timestamp: t0}.Append(nil))
	f.Fuzz(func(t *testing.T, typ uint8, b []byte) {
		n := newFuzzNode(t)
		n.HandleMessage(ri.Hash(), typ, b)
		for _, m := range n.drain() {
			if _, err := i2np.ParsePayload(m.h.Type, m.payload); err != nil {
				t.Fatalf("queued a %s that does not parse: %v", i2np.TypeName(m.h.Type), err)
			}
		}
	})
}

// newFuzzNode is a floodfill without routers, cheap to make per input.
func newFuzzNode(t *testing.T) *ffNode {
	now := t0
	st := New(Config{NetID: 99, Now: func() time.Time { return now }})
	s := NewService(ServiceConfig{Store: st, Sender: noSender{}, Floodfill: true, StoreRate: -1, LookupRate: -1,
		Now: func() time.Time { return now }})
	return &ffNode{Service: s, now: &now}
}
