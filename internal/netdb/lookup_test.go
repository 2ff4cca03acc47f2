package netdb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// testNet connects Services in memory: a send is the receiver's
// HandleMessage, as if the transports carried it.
type testNet struct {
	mu    sync.Mutex
	nodes map[data.Hash]*Service
	sent  map[uint8]int // messages sent, by type
	// gateways take what is sent to routers that are tunnel gateways.
	gateways map[data.Hash]func(h i2np.Header, payload []byte) error
}

type netSender struct {
	net  *testNet
	from data.Hash
}

func (s netSender) Send(ctx context.Context, to data.Hash, h i2np.Header, payload []byte) error {
	s.net.mu.Lock()
	n := s.net.nodes[to]
	s.net.sent[h.Type]++
	gw := s.net.gateways[to]
	s.net.mu.Unlock()
	if gw != nil {
		return gw(h, payload)
	}
	if n == nil {
		return fmt.Errorf("no router %s", to)
	}
	_, err := n.HandleMessage(s.from, h.Type, payload)
	return err
}

// node is one router of a testNet.
type node struct {
	*Service
	ri *data.RouterInfo
}

// add starts a Service (caps "Xf" for a floodfill) until ctx ends.
func (tn *testNet) add(t *testing.T, ctx context.Context, wg *sync.WaitGroup, caps string) *node {
	r := newRouter(t)
	ri := r.ri(t, time.Now(), caps, 99, nil)
	st := New(Config{NetID: 99, Self: r.hash()})
	s := NewService(ServiceConfig{
		Store: st, Sender: netSender{tn, r.hash()}, Self: func() *data.RouterInfo { return ri },
		Floodfill: IsFloodfill(ri),
		Lookup:    LookupConfig{ExploreInterval: -1},
		Publish:   PublishConfig{Interval: -1},
	})
	tn.mu.Lock()
	tn.nodes[r.hash()] = s
	tn.mu.Unlock()
	wg.Go(func() { s.Run(ctx) })
	return &node{s, ri}
}

// knows puts the others' RouterInfos in n's store.
func (n *node) knows(t *testing.T, others ...*node) {
	for _, o := range others {
		if o.ri.Hash() == n.self {
			continue
		}
		if _, err := n.store.Put(o.ri); err != nil {
			t.Fatal(err)
		}
	}
}

// runNet runs f on a fresh testNet inside a synctest bubble, so timeouts
// take no real time.
func runNet(t *testing.T, f func(t *testing.T, ctx context.Context, tn *testNet, wg *sync.WaitGroup)) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		tn := &testNet{nodes: map[data.Hash]*Service{}, sent: map[uint8]int{}}
		f(t, ctx, tn, &wg)
		cancel()
		wg.Wait()
	})
}

// TestIterativeLookup: the client knows one floodfill, which knows a
// second, which knows the third that holds the LeaseSet. The lookup
// follows the hints, fetching each unknown floodfill's RouterInfo.
func TestIterativeLookup(t *testing.T) {
	runNet(t, func(t *testing.T, ctx context.Context, tn *testNet, wg *sync.WaitGroup) {
		ff1, ff2, ff3 := tn.add(t, ctx, wg, "Xf"), tn.add(t, ctx, wg, "Xf"), tn.add(t, ctx, wg, "Xf")
		c := tn.add(t, ctx, wg, "XR")
		c.knows(t, ff1)
		ff1.knows(t, ff2, c)
		ff2.knows(t, ff3, c)
		d := newDest(t)
		ls := d.ls2(t, time.Now(), nil)
		ff3.HandleStore(ff2.ri.Hash(), &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, Data: ls.Bytes()})

		got, err := c.LookupLeaseSet(ctx, d.hash())
		if err != nil {
			t.Fatal(err)
		}
		if got.Key != d.hash() || got.Stored || c.store.LeaseSet(d.hash()) != got {
			t.Fatalf("got %+v", got)
		}
		if c.store.Get(ff3.ri.Hash()) == nil {
			t.Fatal("hinted floodfill not learnt")
		}
		st := c.Stats()
		if st.Queries != 5 || st.LookupsFound != 1 { // 3 floodfills asked, 2 RouterInfos fetched
			t.Fatalf("stats %+v", st)
		}
		// A fetched LeaseSet is not ours to serve: if c were a
		// floodfill, a lookup would get a DatabaseSearchReply.
		if got.Servable(time.Now()) {
			t.Fatal("fetched LeaseSet servable")
		}
		// A floodfill asked in parallel answers late: an answer, not an
		// unsolicited store. Much later it is unsolicited.
		late := &i2np.DatabaseStore{Key: d.hash(), Type: i2np.StoreLeaseSet2, Data: ls.Bytes()}
		c.HandleStore(ff1.ri.Hash(), late)
		time.Sleep(lateAnswers)
		c.HandleStore(ff1.ri.Hash(), late)
		if rej := c.Stats().Rejected; rej["unsolicited"] != 1 {
			t.Fatalf("rejections %v", rej)
		}

		// A key nobody has: every floodfill asked once, then not found,
		// well within the lookup's budget.
		start := time.Now()
		_, err = c.LookupLeaseSet(ctx, data.Hash{1, 2, 3})
		if !errors.Is(err, ErrNotFound) || time.Since(start) > c.cfg.Lookup.Timeout {
			t.Fatalf("missing key: %v after %v", err, time.Since(start))
		}
		// A RouterInfo lookup for a router only ff2 knows.
		if ri, err := c.LookupRouterInfo(ctx, ff2.ri.Hash()); err != nil || ri.Hash() != ff2.ri.Hash() {
			t.Fatalf("RouterInfo: %v", err)
		}
	})
}

func TestLookupNoFloodfill(t *testing.T) {
	runNet(t, func(t *testing.T, ctx context.Context, tn *testNet, wg *sync.WaitGroup) {
		c := tn.add(t, ctx, wg, "XR")
		if _, err := c.LookupLeaseSet(ctx, data.Hash{1}); !errors.Is(err, ErrNoFloodfill) {
			t.Fatal(err)
		}
	})
}

// TestLookupTimeout: floodfills that never answer cost QueryTimeout
// each, and the lookup gives up after MaxQueries of them.
func TestLookupTimeout(t *testing.T) {
	runNet(t, func(t *testing.T, ctx context.Context, tn *testNet, wg *sync.WaitGroup) {
		c := tn.add(t, ctx, wg, "XR")
		for range 12 {
			c.knows(t, &node{ri: newRouter(t).ri(t, time.Now(), "Xf", 99, nil)}) // not in tn: sends fail
		}
		start := time.Now()
		_, err := c.LookupLeaseSet(ctx, data.Hash{1})
		cfg := c.cfg.Lookup
		want := min(cfg.Timeout, time.Duration(cfg.MaxQueries/cfg.Parallel)*cfg.QueryTimeout)
		if !errors.Is(err, ErrNotFound) || time.Since(start) != want || c.Stats().Queries < 6 {
			t.Fatalf("%v after %v (want %v), %d queries", err, time.Since(start), want, c.Stats().Queries)
		}
	})
}

func TestExplore(t *testing.T) {
	runNet(t, func(t *testing.T, ctx context.Context, tn *testNet, wg *sync.WaitGroup) {
		var ffs, others []*node
		for range 6 {
			ffs = append(ffs, tn.add(t, ctx, wg, "Xf"))
			others = append(others, tn.add(t, ctx, wg, "XR"))
		}
		for _, f := range ffs {
			f.knows(t, ffs...)
			f.knows(t, others[:5]...)
		}
		c := others[5]
		c.knows(t, ffs[0])
		// Few floodfills known: exploring asks for floodfills.
		n, err := c.Explore(ctx)
		if err != nil || n != 3 {
			t.Fatalf("explore: %d %v", n, err)
		}
		synctest.Wait()
		if c.store.Len() != 1+3 || c.store.Floodfills() != 1+3 {
			t.Fatalf("%d routers, %d floodfills", c.store.Len(), c.store.Floodfills())
		}
		c.knows(t, ffs...)
		// Enough: exploring asks for other routers.
		if n, err := c.Explore(ctx); err != nil || n != 3 {
			t.Fatalf("explore: %d %v", n, err)
		}
		synctest.Wait()
		if c.store.Len() != 6+3 || c.store.Floodfills() != 6 {
			t.Fatalf("%d routers, %d floodfills", c.store.Len(), c.store.Floodfills())
		}
	})
}

// TestPublishRouterInfo: stored at the closest floodfill, acknowledged,
// flooded, and found at another floodfill.
func TestPublishRouterInfo(t *testing.T) {
	runNet(t, func(t *testing.T, ctx context.Context, tn *testNet, wg *sync.WaitGroup) {
		ffs := []*node{tn.add(t, ctx, wg, "Xf"), tn.add(t, ctx, wg, "Xf"), tn.add(t, ctx, wg, "Xf")}
		c := tn.add(t, ctx, wg, "XR")
		c.knows(t, ffs...)
		for _, f := range ffs {
			f.knows(t, ffs...)
		}
		start := time.Now()
		if err := c.PublishRouterInfo(ctx); err != nil {
			t.Fatal(err)
		}
		st := c.Stats()
		if st.Published != 1 || st.PublishAcked != 1 || st.Verified != 1 || time.Since(start) < c.cfg.Publish.VerifyDelay {
			t.Fatalf("stats %+v after %v", st, time.Since(start))
		}
		for i, f := range ffs {
			if f.store.Get(c.ri.Hash()) == nil {
				t.Errorf("floodfill %d lacks the RouterInfo", i)
			}
		}

		// A floodfill that takes the store but floods nowhere and is the
		// only one: verified at the same floodfill.
		lone := tn.add(t, ctx, wg, "Xf")
		c2 := tn.add(t, ctx, wg, "XR")
		c2.knows(t, lone)
		if err := c2.PublishRouterInfo(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPublishNotAcked(t *testing.T) {
	runNet(t, func(t *testing.T, ctx context.Context, tn *testNet, wg *sync.WaitGroup) {
		c := tn.add(t, ctx, wg, "XR")
		if err := c.PublishRouterInfo(ctx); !errors.Is(err, ErrNoFloodfill) {
			t.Fatal(err)
		}
		ff := tn.add(t, ctx, wg, "XR") // not a floodfill: no ack
		ff.ri = newRouter(t).ri(t, time.Now(), "Xf", 99, nil)
		c.knows(t, ff)
		if err := c.PublishRouterInfo(ctx); !errors.Is(err, ErrNotAcked) {
			t.Fatal(err)
		}
	})
}
