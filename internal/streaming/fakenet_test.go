package streaming

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	mrand "math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// fakeNet carries packets between Managers in one process with a one-way
// latency, uniform jitter (which reorders), random loss and, optionally,
// a bottleneck link per direction with a bounded queue.
type fakeNet struct {
	latency, jitter time.Duration
	loss            float64
	rate            float64       // bytes per second per direction; 0: unlimited
	queue           time.Duration // the most a packet waits for the link; more is dropped

	mu     sync.Mutex
	rng    *mrand.Rand
	nodes  map[data.Hash]*Manager
	links  map[[2]data.Hash]time.Time // when each direction's link is free
	drop   func(from, to data.Hash, p *Packet) bool
	closed bool
	wg     sync.WaitGroup

	sent, lost atomic.Uint64
}

func newFakeNet(latency, jitter time.Duration, loss float64) *fakeNet {
	return &fakeNet{latency: latency, jitter: jitter, loss: loss, rng: mrand.New(mrand.NewPCG(1, 2)),
		nodes: make(map[data.Hash]*Manager), links: make(map[[2]data.Hash]time.Time)}
}

// endpoint is one Manager's view of the fake network.
type endpoint struct {
	n    *fakeNet
	self data.Hash
}

var errNetClosed = errors.New("fake network closed")

func (e endpoint) Send(_ context.Context, to data.Hash, srcPort, dstPort uint16, packet []byte) error {
	n := e.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errNetClosed
	}
	n.sent.Add(1)
	if n.drop != nil {
		if p, err := Parse(packet); err == nil && n.drop(e.self, to, p) {
			n.lost.Add(1)
			return nil
		}
	}
	if n.loss > 0 && n.rng.Float64() < n.loss {
		n.lost.Add(1)
		return nil
	}
	now := time.Now()
	delay := n.latency
	if n.jitter > 0 {
		delay += time.Duration(n.rng.Int64N(int64(n.jitter)))
	}
	if n.rate > 0 {
		key := [2]data.Hash{e.self, to}
		free := n.links[key]
		if free.Before(now) {
			free = now
		}
		if free.Sub(now) > n.queue {
			n.lost.Add(1)
			return nil
		}
		free = free.Add(time.Duration(float64(len(packet)) / n.rate * float64(time.Second)))
		n.links[key] = free
		delay += free.Sub(now)
	}
	cp := append([]byte(nil), packet...)
	in := Inbound{SrcPort: srcPort, DstPort: dstPort, Packet: cp, Sender: e.self}
	n.wg.Add(1)
	time.AfterFunc(delay, func() {
		defer n.wg.Done()
		n.mu.Lock()
		m := n.nodes[to]
		if n.closed {
			m = nil
		}
		n.mu.Unlock()
		if m != nil {
			m.HandlePacket(in)
		}
	})
	return nil
}

func (n *fakeNet) setDrop(f func(from, to data.Hash, p *Packet) bool) {
	n.mu.Lock()
	n.drop = f
	n.mu.Unlock()
}

// close stops delivery and waits for packets in flight.
func (n *fakeNet) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.wg.Wait()
}

// newKeys makes a destination's keys.
func newKeys(t testing.TB) *keyfile.PrivateKeys {
	t.Helper()
	k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncX25519, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// join adds a Manager with opts (nil: test defaults) to n.
func (n *fakeNet) join(t testing.TB, opts *Options) *Manager {
	t.Helper()
	keys := newKeys(t)
	if opts == nil {
		o := testOptions()
		opts = &o
	}
	m, err := New(Config{Keys: keys, Net: endpoint{n: n, self: keys.Identity.Hash()}, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	n.nodes[m.Addr().Hash] = m
	n.mu.Unlock()
	return m
}

// testOptions are the defaults with timeouts fit for tests.
func testOptions() Options {
	o := DefaultOptions()
	o.InitialRTO = time.Second
	return o
}

// checkGoroutines fails t if goroutines started since base outlive the
// test's cleanup; call it first so its cleanup runs last.
func checkGoroutines(t testing.TB) {
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// pair is two Managers on one fake network, closed at the end of the
// test, with a goroutine check.
func pair(t testing.TB, n *fakeNet, opts *Options) (a, b *Manager) {
	t.Helper()
	checkGoroutines(t)
	a, b = n.join(t, opts), n.join(t, opts)
	t.Cleanup(func() {
		a.Close()
		b.Close()
		n.close()
	})
	return a, b
}

// dropAll loses every packet.
func dropAll(_, _ data.Hash, _ *Packet) bool { return true }

// sinkPair is a pair on a 10 ms RTT network with options changed by
// set, whose second Manager reads and discards every connection.
func sinkPair(t testing.TB, set func(*Options)) (a, b *Manager, n *fakeNet) {
	t.Helper()
	n = newFakeNet(5*time.Millisecond, 0, 0)
	o := testOptions()
	set(&o)
	a, b = pair(t, n, &o)
	l, err := b.Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, l, func(c net.Conn) { io.Copy(io.Discard, c) })
	return a, b, n
}
