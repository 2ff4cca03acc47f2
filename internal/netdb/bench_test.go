package netdb

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// discard is a Sender that drops everything, as fast as it can.
type discard struct{}

func (discard) Send(context.Context, data.Hash, i2np.Header, []byte) error { return nil }

// benchFloodfill is a floodfill knowing nRouters routers (a tenth of them
// floodfills), its Service running with a discarding Sender, and no rate
// limits: what one veil floodfill sustains on this machine, message
// handling only (no transport, no I2NP framing).
func benchFloodfill(b *testing.B, nRouters int) (*Service, []*data.RouterInfo) {
	b.Helper()
	now := time.Now()
	r := newRouter(b)
	self := r.ri(b, now, "Xf", 99, nil)
	st := New(Config{NetID: 99, Self: r.hash()})
	var ris []*data.RouterInfo
	for i := range nRouters {
		caps := "XR"
		if i%10 == 0 {
			caps = "XfR"
		}
		ri := newRouter(b).ri(b, now.Add(-time.Minute), caps, 99, nil)
		if _, err := st.Put(ri); err != nil {
			b.Fatal(err)
		}
		ris = append(ris, ri)
	}
	s := NewService(ServiceConfig{Store: st, Sender: discard{}, Self: func() *data.RouterInfo { return self }, Floodfill: true,
		StoreRate: -1, LookupRate: -1, QueueLen: 1 << 16,
		Lookup: LookupConfig{ExploreInterval: -1}, Publish: PublishConfig{Interval: -1}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	b.Cleanup(func() { cancel(); wg.Wait() })
	return s, ris
}

// BenchmarkFloodfillStore: LeaseSet2 stores with a reply token (parse,
// verify, store, ack, flood to 3), each a new version. Run with
// -benchtime=2000x or less: the LeaseSets are made beforehand.
func BenchmarkFloodfillStore(b *testing.B) {
	s, ris := benchFloodfill(b, 1000)
	const dests = 64
	var msgs []*i2np.DatabaseStore
	now := time.Now()
	ds := make([]*dest, dests)
	for i := range ds {
		ds[i] = newDest(b)
	}
	for i := range b.N {
		d := ds[i%dests]
		ls := d.ls2(b, now.Add(time.Duration(i/dests-b.N/dests)*time.Second), nil)
		data, _ := ParseLeaseSet(data.StoreLeaseSet2, ls.Bytes())
		msgs = append(msgs, &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, ReplyToken: uint32(i + 1),
			ReplyGateway: ris[i%len(ris)].Hash(), Data: data.Bytes()})
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		s.HandleStore(ris[i%len(ris)].Hash(), msgs[i])
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "stores/s")
	if st := s.Stats(); st.Stored < uint64(b.N) || st.Flooded == 0 {
		b.Fatalf("stored %d of %d", st.Stored, b.N)
	}
}

// BenchmarkFloodfillLookup: lookups answered with a LeaseSet, a
// RouterInfo, or (a miss) a DatabaseSearchReply of the closest
// floodfills.
func BenchmarkFloodfillLookup(b *testing.B) {
	s, ris := benchFloodfill(b, 1000)
	d := newDest(b)
	ls := d.ls2(b, time.Now(), nil)
	s.HandleStore(ris[0].Hash(), &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, Data: ls.Bytes()})
	for _, c := range []struct {
		name string
		key  data.Hash
		typ  i2np.LookupType
	}{
		{"leaseset", d.hash(), i2np.LookupLeaseSet},
		{"routerinfo", ris[500].Hash(), i2np.LookupRouterInfo},
		{"miss", data.Hash{1, 2, 3}, i2np.LookupLeaseSet},
		{"exploration", data.Hash{4, 5, 6}, i2np.LookupExploration},
	} {
		b.Run(c.name, func(b *testing.B) {
			m := &i2np.DatabaseLookup{Key: c.key, Lookup: c.typ}
			b.ReportAllocs()
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				m.From = ris[i%len(ris)].Hash()
				s.HandleLookup(m.From, m)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lookups/s")
		})
	}
}
