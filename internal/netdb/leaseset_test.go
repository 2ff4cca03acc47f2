package netdb

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// dest is a test destination that signs LeaseSets of every kind.
type dest struct {
	keys   *keyfile.PrivateKeys
	signer crypto.Signer
}

func newDest(t testing.TB) *dest {
	t.Helper()
	k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncX25519, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.Signer()
	if err != nil {
		t.Fatal(err)
	}
	return &dest{keys: k, signer: s}
}

func (d *dest) hash() data.Hash { return d.keys.Identity.Hash() }

// ls2 signs a LeaseSet2 published at pub that expires 10 minutes later;
// mutate changes it before signing.
func (d *dest) ls2(t testing.TB, pub time.Time, mutate func(*data.LeaseSet2)) *data.LeaseSet2 {
	t.Helper()
	ls := &data.LeaseSet2{
		LeaseSet2Header: data.LeaseSet2Header{Destination: d.keys.Identity, Published: data.SecondsOf(pub), Expires: 600},
		Keys:            []data.EncryptionKey{{Type: crypto.EncX25519, Key: bytes.Repeat([]byte{4}, 32)}},
		Leases:          []data.Lease2{{Gateway: data.Hash{1}, TunnelID: 7, End: data.SecondsOf(pub.Add(10 * time.Minute))}},
	}
	if mutate != nil {
		mutate(ls)
	}
	if err := ls.Sign(d.signer); err != nil {
		t.Fatal(err)
	}
	return ls
}

// ls1 signs an original LeaseSet whose one lease ends at end.
func (d *dest) ls1(t testing.TB, end time.Time) *data.LeaseSet {
	t.Helper()
	ls := &data.LeaseSet{
		Destination:   d.keys.Identity,
		EncryptionKey: make([]byte, 256),
		Leases:        []data.Lease{{Gateway: data.Hash{2}, TunnelID: 9, End: data.DateOf(end)}},
	}
	if err := ls.Sign(d.signer); err != nil {
		t.Fatal(err)
	}
	return ls
}

// meta signs a MetaLeaseSet published at pub.
func (d *dest) meta(t testing.TB, pub time.Time) *data.MetaLeaseSet {
	t.Helper()
	ls := &data.MetaLeaseSet{
		LeaseSet2Header: data.LeaseSet2Header{Destination: d.keys.Identity, Published: data.SecondsOf(pub), Expires: 3600},
		Leases:          []data.MetaLease{{Hash: data.Hash{3}, Flags: 3, End: data.SecondsOf(pub.Add(time.Hour))}},
	}
	if err := ls.Sign(d.signer); err != nil {
		t.Fatal(err)
	}
	return ls
}

// els encrypts a LeaseSet2 published at pub.
func (d *dest) els(t testing.TB, pub time.Time) *data.EncryptedLeaseSet {
	t.Helper()
	inner := d.ls2(t, pub, func(ls *data.LeaseSet2) { ls.Flags |= data.FlagBlindedWhenPublished })
	e, err := data.EncryptLeaseSet(d.signer, inner, data.EncryptOptions{Published: data.SecondsOf(pub), Expires: 600})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func parsed(t testing.TB, typ data.StoreType, e Entry) *LeaseSet {
	t.Helper()
	l, err := ParseLeaseSet(typ, e.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	l.Stored = true
	return l
}

func TestPutLeaseSetKinds(t *testing.T) {
	now := t0
	s := New(Config{NetID: 99, Now: func() time.Time { return now }})
	d := newDest(t)
	cases := []struct {
		name string
		typ  data.StoreType
		e    Entry
	}{
		{"LeaseSet", data.StoreLeaseSet, d.ls1(t, now.Add(10*time.Minute))},
		{"LeaseSet2", data.StoreLeaseSet2, d.ls2(t, now, nil)},
		{"MetaLeaseSet", data.StoreMetaLeaseSet, d.meta(t, now.Add(time.Second))},
		{"EncryptedLeaseSet", data.StoreEncryptedLeaseSet, d.els(t, now)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := parsed(t, c.typ, c.e)
			if ok, err := s.PutLeaseSet(c.e.Hash(), l); !ok || err != nil {
				t.Fatalf("put: %v %v", ok, err)
			}
			got := s.LeaseSet(c.e.Hash())
			if got != l || !bytes.Equal(got.Bytes(), c.e.Bytes()) || !got.Servable(now) || got.Servable(got.Expires) {
				t.Fatalf("got %+v", got)
			}
		})
	}
	if s.LeaseSets() != 2 { // LS1, LS2 and Meta share the Destination's key
		t.Fatalf("%d LeaseSets", s.LeaseSets())
	}
}

func TestPutLeaseSetOrder(t *testing.T) {
	now := t0
	s := New(Config{NetID: 99, Now: func() time.Time { return now }})
	d := newDest(t)
	key := d.hash()
	put := func(e Entry, stored bool) (bool, error) {
		l := parsed(t, data.StoreLeaseSet2, e)
		l.Stored = stored
		return s.PutLeaseSet(key, l)
	}
	if ok, err := put(d.ls2(t, now.Add(-time.Minute), nil), false); !ok || err != nil {
		t.Fatalf("first: %v %v", ok, err)
	}
	if s.LeaseSet(key).Servable(now) {
		t.Fatal("a fetched LeaseSet is servable")
	}
	// The same one stored to us becomes ours to serve.
	same := s.LeaseSet(key).Entry
	if ok, err := put(same, true); ok || err != nil || !s.LeaseSet(key).Servable(now) {
		t.Fatalf("same, stored: %v %v", ok, err)
	}
	if ok, err := put(d.ls2(t, now.Add(-2*time.Minute), nil), true); ok || err != nil {
		t.Fatalf("older: %v %v", ok, err)
	}
	newer := d.ls2(t, now, nil)
	if ok, err := put(newer, true); !ok || err != nil {
		t.Fatalf("newer: %v %v", ok, err)
	}
	if !bytes.Equal(s.LeaseSet(key).Bytes(), newer.Bytes()) {
		t.Fatal("newer not kept")
	}
	st := s.Stats()
	if st.Stored != 2 || st.Unchanged != 2 || st.LeaseSets != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPutLeaseSetRejects(t *testing.T) {
	now := t0
	s := New(Config{NetID: 99, MaxLeaseSets: 1, Now: func() time.Time { return now }})
	d, other := newDest(t), newDest(t)
	tampered := bytes.Clone(d.ls2(t, now, nil).Bytes())
	tampered[len(tampered)-1] ^= 1
	offline := func(exp time.Time) *data.LeaseSet2 {
		ts, err := crypto.GenerateSigner(crypto.SigEdDSASHA512, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		o, err := data.NewOfflineSignature(d.signer, data.SecondsOf(exp), crypto.SigEdDSASHA512, ts.Public())
		if err != nil {
			t.Fatal(err)
		}
		ls := &data.LeaseSet2{
			LeaseSet2Header: data.LeaseSet2Header{Destination: d.keys.Identity, Published: data.SecondsOf(now), Expires: 600, Offline: &o},
			Keys:            []data.EncryptionKey{{Type: crypto.EncX25519, Key: make([]byte, 32)}},
			Leases:          []data.Lease2{{Gateway: data.Hash{1}, TunnelID: 1, End: data.SecondsOf(now.Add(time.Minute))}},
		}
		if err := ls.Sign(ts); err != nil {
			t.Fatal(err)
		}
		return ls
	}
	cases := []struct {
		name string
		key  data.Hash
		typ  data.StoreType
		b    []byte
		want Reason
	}{
		{"signature", d.hash(), data.StoreLeaseSet2, tampered, ReasonSignature},
		{"key", other.hash(), data.StoreLeaseSet2, d.ls2(t, now, nil).Bytes(), ReasonKey},
		{"expired", d.hash(), data.StoreLeaseSet2, d.ls2(t, now.Add(-11*time.Minute), nil).Bytes(), ReasonExpired},
		{"future", d.hash(), data.StoreLeaseSet2, d.ls2(t, now.Add(3*time.Minute), nil).Bytes(), ReasonFuture},
		{"long-lived", d.hash(), data.StoreLeaseSet2, d.ls2(t, now, func(ls *data.LeaseSet2) { ls.Expires = 3600 }).Bytes(), ReasonInvalid},
		{"offline key expired", d.hash(), data.StoreLeaseSet2, offline(now.Add(-time.Second)).Bytes(), ReasonExpired},
		{"LeaseSet expired", d.hash(), data.StoreLeaseSet, d.ls1(t, now.Add(-time.Second)).Bytes(), ReasonExpired},
		{"LeaseSet far ahead", d.hash(), data.StoreLeaseSet, d.ls1(t, now.Add(time.Hour)).Bytes(), ReasonFuture},
		{"wrong type", d.hash(), data.StoreMetaLeaseSet, d.ls2(t, now, nil).Bytes(), ReasonInvalid},
		{"garbage", d.hash(), data.StoreLeaseSet2, []byte("not a LeaseSet"), ReasonInvalid},
		{"too large", d.hash(), data.StoreLeaseSet2, make([]byte, MaxLeaseSetLen+1), ReasonTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := ParseLeaseSet(c.typ, c.b)
			if err == nil {
				_, err = s.PutLeaseSet(c.key, l)
			}
			if err == nil || ReasonOf(err) != c.want {
				t.Fatalf("got %v (%v), want %v", err, ReasonOf(err), c.want)
			}
		})
	}
	if ok, err := s.PutLeaseSet(d.hash(), parsed(t, data.StoreLeaseSet2, offline(now.Add(time.Hour)))); !ok || err != nil {
		t.Fatalf("valid offline-signed: %v %v", ok, err)
	}
	if _, err := s.PutLeaseSet(other.hash(), parsed(t, data.StoreLeaseSet2, other.ls2(t, now, nil))); !errors.Is(err, ErrFull) {
		t.Fatalf("over the cap: %v", err)
	}
	if rej := s.Stats().Rejected; rej["full"] != 1 || rej["signature"] != 1 || rej["expired"] != 3 || rej["too_large"] != 0 {
		// Only PutLeaseSet counts: the parse failures above never reached it.
		t.Fatalf("rejections %v", rej)
	}
}

func TestUnpublishedNotServable(t *testing.T) {
	now := t0
	s := New(Config{NetID: 99, Now: func() time.Time { return now }})
	d := newDest(t)
	l := parsed(t, data.StoreLeaseSet2, d.ls2(t, now, func(ls *data.LeaseSet2) { ls.Flags = data.FlagUnpublished }))
	if ok, err := s.PutLeaseSet(d.hash(), l); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if !l.Unpublished || l.Servable(now) {
		t.Fatalf("unpublished %v servable %v", l.Unpublished, l.Servable(now))
	}
}

func TestExpire(t *testing.T) {
	now := t0
	dir := t.TempDir()
	s := New(Config{Dir: dir, NetID: 99, Now: func() time.Time { return now }})
	d := newDest(t)
	if _, err := s.PutLeaseSet(d.hash(), parsed(t, data.StoreLeaseSet2, d.ls2(t, now, nil))); err != nil {
		t.Fatal(err)
	}
	old := newRouter(t)
	if _, err := s.Put(old.ri(t, now.Add(-26*time.Hour), "X", 99, nil)); err != nil {
		t.Fatal(err)
	}
	// Few routers: none expires, however old.
	if st := s.Expire(now.Add(2 * time.Hour)); st.Routers != 0 || st.LeaseSets != 1 {
		t.Fatalf("%+v", st)
	}
	if s.LeaseSets() != 0 || s.Len() != 1 {
		t.Fatalf("leasesets %d routers %d", s.LeaseSets(), s.Len())
	}
	for range MinRoutersKept {
		if _, err := s.Put(newRouter(t).ri(t, now, "X", 99, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Expire(now.Add(2 * time.Hour)); st.Routers != 1 {
		t.Fatalf("%+v", st)
	}
	if s.Get(old.hash()) != nil || fileExists(Path(dir, old.hash())) || s.Stats().Expired != 2 {
		t.Fatalf("old router kept: expired %d", s.Stats().Expired)
	}
}

func FuzzParseLeaseSet(f *testing.F) {
	now := t0
	d := newDest(f)
	for _, e := range []struct {
		t data.StoreType
		e Entry
	}{
		{data.StoreLeaseSet, d.ls1(f, now)}, {data.StoreLeaseSet2, d.ls2(f, now, nil)},
		{data.StoreMetaLeaseSet, d.meta(f, now)}, {data.StoreEncryptedLeaseSet, d.els(f, now)},
	} {
		f.Add(uint8(e.t), e.e.Bytes())
	}
	s := New(Config{NetID: 99, Now: func() time.Time { return now }})
	f.Fuzz(func(t *testing.T, typ uint8, b []byte) {
		l, err := ParseLeaseSet(data.StoreType(typ), b)
		if err != nil {
			return
		}
		if !bytes.Equal(l.Bytes(), b) || l.Key != l.Entry.Hash() {
			t.Fatal("parsed entry is not its input")
		}
		_ = s.CheckLeaseSet(l.Key, l)
	})
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
