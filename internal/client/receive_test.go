package client

import (
	"context"
	"crypto/rand"
	"slices"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/garlic"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/tunnel"
)

func newTestDest(t *testing.T, n fakeNet, types ...crypto.EncType) *Destination {
	t.Helper()
	d, err := New(n, Config{EncTypes: types})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// dataClove wraps an I2CP payload in a Data clove delivered as i2pd
// addresses them: to the destination by hash.
func dataClove(t *testing.T, to data.Hash, p Payload) garlic.Clove {
	t.Helper()
	body, err := AppendPayload(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	dm, err := (i2np.Data{Payload: body}).Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := localClove(i2np.TypeData, dm, time.Now())
	c.Delivery = garlic.Delivery{Type: garlic.DeliverDestination, To: to}
	return c
}

// TestReceiveElGamal: garlic to the destination's ElGamal key, cloves
// addressed to it by hash (as i2pd's ElGamal sessions send them), each
// datagram kind decoded; a clove for another destination is dropped.
func TestReceiveElGamal(t *testing.T) {
	n := fakeNet{tun: tunnel.NewTunnels(tunnel.TunnelsConfig{}), store: netdb.New(netdb.Config{NetID: 99})}
	d := newTestDest(t, n)
	sender := newTestDest(t, n)
	got := map[uint8]Received{}
	d.SetHandler(func(r Received) { got[r.Protocol] = r })

	dg1, _ := sender.AppendDatagram1(nil, []byte("one"))
	dg2, _ := sender.AppendDatagram2(nil, d.Hash(), []byte("two"), dgOptions())
	dg3, _ := sender.AppendDatagram3(nil, []byte("three"), data.Mapping{})
	cloves := []garlic.Block{
		dataClove(t, d.Hash(), Payload{Protocol: ProtoDatagram, SrcPort: 1, DstPort: 2, Data: dg1}),
		dataClove(t, d.Hash(), Payload{Protocol: ProtoDatagram2, SrcPort: 3, DstPort: 4, Data: dg2}),
		dataClove(t, d.Hash(), Payload{Protocol: ProtoDatagram3, Data: dg3}),
		dataClove(t, d.Hash(), Payload{Protocol: ProtoRaw, Data: []byte("raw"), Compress: true}),
		dataClove(t, data.Hash{1}, Payload{Protocol: 99, Data: []byte("not for us")}),
	}
	var static [32]byte
	rand.Read(static[:])
	e, err := garlic.New(garlic.Config{Static: static})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := e.Encrypt(time.Now(), garlic.Remote{Type: crypto.EncElGamal, Key: d.elgPub}, cloves...)
	if err != nil || sent.Kind != garlic.KindElGamalNewSession {
		t.Fatal(sent.Kind, err)
	}
	g, _ := (i2np.Garlic{Body: sent.Body}).Append(nil)
	if err := d.HandleGarlic(g); err != nil {
		t.Fatal(err)
	}
	if r := got[ProtoDatagram]; string(r.Data) != "one" || r.Sender != sender.Hash() || !r.Verified || r.SrcPort != 1 || r.DstPort != 2 {
		t.Fatalf("datagram1: %+v", r)
	}
	if r := got[ProtoDatagram2]; string(r.Data) != "two" || r.Sender != sender.Hash() || !r.Verified || r.Options.Value("k") != "v" || r.DstPort != 4 {
		t.Fatalf("datagram2: %+v", r)
	}
	if r := got[ProtoDatagram3]; string(r.Data) != "three" || r.Sender != sender.Hash() || r.Verified {
		t.Fatalf("datagram3: %+v", r)
	}
	if r := got[ProtoRaw]; string(r.Data) != "raw" || r.Sender != (data.Hash{}) || r.Verified {
		t.Fatalf("raw: %+v", r)
	}
	if _, ok := got[99]; ok || len(got) != 4 {
		t.Fatalf("got %d messages", len(got))
	}
	st := d.Stats()
	if st.ReceivedBy[ProtoRaw] != 1 || st.Garlic.Received[garlic.KindElGamalNewSession] != 1 {
		t.Fatalf("stats %+v", st)
	}
	// A Datagram2 that was signed for another destination is dropped.
	other, _ := sender.AppendDatagram2(nil, data.Hash{5}, []byte("replayed"), data.Mapping{})
	sent, _ = e.Encrypt(time.Now(), garlic.Remote{Type: crypto.EncElGamal, Key: d.elgPub},
		dataClove(t, d.Hash(), Payload{Protocol: ProtoDatagram2, Data: other}))
	g, _ = (i2np.Garlic{Body: sent.Body}).Append(nil)
	if err := d.HandleGarlic(g); err == nil || got[ProtoDatagram2].Data == nil || string(got[ProtoDatagram2].Data) != "two" {
		t.Fatalf("replayed datagram2: %v", err)
	}
}

// TestRemoteKey: the key a destination encrypts to is the first of the
// remote's LeaseSet2 it can use — the ElGamal key of an i2pd destination
// with i2cp.leaseSetEncType = 0 — or a LeaseSet's ElGamal key.
func TestRemoteKey(t *testing.T) {
	n := fakeNet{tun: tunnel.NewTunnels(tunnel.TunnelsConfig{}), store: netdb.New(netdb.Config{NetID: 99})}
	d := newTestDest(t, n)
	now := time.Now()
	leases := []tunnel.InboundLease{{Gateway: data.Hash{1}, TunnelID: 11, Expires: now.Add(9 * time.Minute)}}
	put := func(key data.Hash, typ data.StoreType, b []byte) {
		l, err := netdb.ParseLeaseSet(typ, b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.store.PutLeaseSet(key, l); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		types []crypto.EncType
		want  crypto.EncType
	}{
		{[]crypto.EncType{crypto.EncElGamal}, crypto.EncElGamal},
		{[]crypto.EncType{crypto.EncElGamal, crypto.EncX25519}, crypto.EncElGamal},
		{[]crypto.EncType{crypto.EncX25519, crypto.EncElGamal}, crypto.EncX25519},
		{nil, crypto.EncMLKEM768X25519},
	} {
		r := newTestDest(t, n, c.types...)
		ls, err := r.buildLeaseSet(leases, now)
		if err != nil {
			t.Fatal(err)
		}
		put(r.Hash(), data.StoreLeaseSet2, ls.Bytes())
		got, err := d.remote(context.Background(), r.Hash())
		if err != nil || got.key.Type != c.want || len(got.leases) != 1 {
			t.Fatalf("%v: %+v %v", c.types, got.key.Type, err)
		}
	}
	// A LeaseSet (type 1), as older routers publish.
	r := newTestDest(t, n, crypto.EncElGamal)
	ls1 := &data.LeaseSet{Destination: r.keys.Identity, EncryptionKey: r.elgPub,
		Leases: []data.Lease{{Gateway: data.Hash{2}, TunnelID: 22, End: data.DateOf(now.Add(5 * time.Minute))}}}
	signer, _ := r.keys.Signer()
	if err := ls1.Sign(signer); err != nil {
		t.Fatal(err)
	}
	put(r.Hash(), data.StoreLeaseSet, ls1.Bytes())
	got, err := d.remote(context.Background(), r.Hash())
	if err != nil || got.key.Type != crypto.EncElGamal || len(got.leases) != 1 || got.leases[0].TunnelID != 22 {
		t.Fatalf("LeaseSet: %+v %v", got, err)
	}
	if _, err := New(n, Config{EncTypes: []crypto.EncType{crypto.EncX25519, crypto.EncX25519}}); err == nil {
		t.Fatal("type listed twice")
	}
	if _, err := New(n, Config{EncTypes: []crypto.EncType{1}}); err == nil {
		t.Fatal("type 1 accepted")
	}
}

// TestBundle: our LeaseSet goes with the first messages to a remote after
// it changes, and then once a minute.
func TestBundle(t *testing.T) {
	n := fakeNet{tun: tunnel.NewTunnels(tunnel.TunnelsConfig{}), store: netdb.New(netdb.Config{NetID: 99})}
	d := newTestDest(t, n)
	a, b := &data.LeaseSet2{}, &data.LeaseSet2{}
	now := time.Now()
	var pattern []bool
	for i, ls := range []*data.LeaseSet2{a, a, a, a, a, b, b} {
		pattern = append(pattern, d.bundleLocked(data.Hash{1}, ls, now.Add(time.Duration(i)*time.Second)))
	}
	if want := []bool{true, true, true, false, false, true, true}; !slices.Equal(pattern, want) {
		t.Fatalf("bundled %v, want %v", pattern, want)
	}
	if !d.bundleLocked(data.Hash{1}, b, now.Add(2*time.Minute)) || !d.bundleLocked(data.Hash{2}, b, now) {
		t.Fatal("not bundled after a minute, or to a new remote")
	}
}

func TestParseEncTypes(t *testing.T) {
	got, err := ParseEncTypes(" 6, 4,0")
	if err != nil || !slices.Equal(got, []crypto.EncType{6, 4, 0}) {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "4,4", "1", "x", "4,", "-1"} {
		if _, err := ParseEncTypes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestReplyToNewPeer: a bound New Session that bundles the sender's
// LeaseSet tells whose key it is, so the ratchet's reply can go to a peer
// that wrote first (i2pd otherwise repeats its New Session every message).
func TestReplyToNewPeer(t *testing.T) {
	n := fakeNet{tun: tunnel.NewTunnels(tunnel.TunnelsConfig{}), store: netdb.New(netdb.Config{NetID: 99})}
	d, s := newTestDest(t, n), newTestDest(t, n, crypto.EncX25519)
	now := time.Now()
	ls, err := s.buildLeaseSet([]tunnel.InboundLease{{Gateway: data.Hash{1}, TunnelID: 1, Expires: now.Add(5 * time.Minute)}}, now)
	if err != nil {
		t.Fatal(err)
	}
	store, _ := (&i2np.DatabaseStore{Key: s.Hash(), Type: i2np.StoreLeaseSet2, Data: ls.Bytes()}).Append(nil)
	sent, err := s.engine.Encrypt(now, garlic.Remote{Type: crypto.EncX25519, Key: d.encPub[:]},
		dataClove(t, d.Hash(), Payload{Protocol: ProtoRaw, Data: []byte("hi")}), localClove(i2np.TypeDatabaseStore, store, now))
	if err != nil || sent.Kind != garlic.KindNewSession {
		t.Fatal(sent.Kind, err)
	}
	g, _ := (i2np.Garlic{Body: sent.Body}).Append(nil)
	if err := d.HandleGarlic(g); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	to, ok := d.byKey[s.encPub]
	d.mu.Unlock()
	if !ok || to != s.Hash() {
		t.Fatalf("sender's key not mapped to its destination: %v %v", to, ok)
	}
}
