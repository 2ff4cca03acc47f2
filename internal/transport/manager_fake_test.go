package transport

// An in-memory transport for the Manager's tests (style pattern 9):
// fakeNet joins fakeTransports by router hash; a dial makes a pair of
// fakeSessions, reports both to their Managers, and starts one delivery
// goroutine per session that plays the writeLoop.

import (
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

type fakeNet struct {
	mu    sync.Mutex
	nodes map[data.Hash]*fakeTransport
}

func newFakeNet() *fakeNet { return &fakeNet{nodes: make(map[data.Hash]*fakeTransport)} }

type fakeTransport struct {
	net      *fakeNet
	ri       *data.RouterInfo
	h        Handler
	addr     netip.AddrPort
	queueLen int
	dials    atomic.Int32
	dialErr  atomic.Pointer[error] // if set, Dial fails with it
	gate     chan struct{}         // if set, Dial waits for it to close
}

func (n *fakeNet) add(t *fakeTransport) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.nodes[t.ri.Hash()] = t
}

func (t *fakeTransport) Name() string                     { return "FAKE" }
func (t *fakeTransport) Run(ctx context.Context) error    { <-ctx.Done(); return nil }
func (t *fakeTransport) CanDial(ri *data.RouterInfo) bool { return len(ri.Addresses) > 0 }
func (t *fakeTransport) failDials(err error)              { t.dialErr.Store(&err) }
func (t *fakeTransport) Dial(ctx context.Context, ri *data.RouterInfo) (Session, error) {
	t.dials.Add(1)
	if t.gate != nil {
		select {
		case <-t.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if p := t.dialErr.Load(); p != nil {
		return nil, *p
	}
	t.net.mu.Lock()
	remote := t.net.nodes[ri.Hash()]
	t.net.mu.Unlock()
	if remote == nil {
		return nil, errors.New("fake: connection refused")
	}
	return connectPair(t, remote)
}

// connectPair makes a session from a to b and reports it to both sides,
// the initiator first, as NTCP2 does (Alice is done after message 3).
func connectPair(a, b *fakeTransport) (Session, error) {
	out := newFakeSession(a, b.ri, Outbound, b.addr)
	in := newFakeSession(b, a.ri, Inbound, a.addr)
	out.remote, in.remote = in, out
	if err := a.h.Established(out); err != nil {
		out.terminate(err)
		in.terminate(&TerminationError{Remote: true, Reason: reasonOf(err)})
		return nil, err
	}
	out.start()
	if err := b.h.Established(in); err != nil {
		in.terminate(err)
		out.terminate(&TerminationError{Remote: true, Reason: reasonOf(err)})
		return nil, err
	}
	in.start()
	return out, nil
}

func reasonOf(err error) uint8 {
	var te *TerminationError
	if errors.As(err, &te) {
		return te.Reason
	}
	return ReasonUnspecified
}

type queued struct {
	m *Message
	p Priority
}

type fakeSession struct {
	t      *fakeTransport
	peerRI *data.RouterInfo
	dir    Direction
	addr   netip.AddrPort
	remote *fakeSession

	queue  chan queued
	pause  chan struct{} // when non-nil, delivery waits for it to close
	done   chan struct{}
	once   sync.Once
	err    error
	reason atomic.Int32 // reason we closed with, -1 if none

	in, out, msgsIn, msgsOut, dropped atomic.Uint64
	established                       time.Time
}

func newFakeSession(t *fakeTransport, peer *data.RouterInfo, dir Direction, addr netip.AddrPort) *fakeSession {
	s := &fakeSession{t: t, peerRI: peer, dir: dir, addr: addr, queue: make(chan queued, t.queueLen),
		done: make(chan struct{}), established: time.Now()}
	s.reason.Store(-1)
	return s
}

func (s *fakeSession) Peer() data.Hash                  { return s.peerRI.Hash() }
func (s *fakeSession) PeerRouterInfo() *data.RouterInfo { return s.peerRI }
func (s *fakeSession) Transport() string                { return "FAKE" }
func (s *fakeSession) Direction() Direction             { return s.dir }
func (s *fakeSession) RemoteAddr() netip.AddrPort       { return s.addr }
func (s *fakeSession) Done() <-chan struct{}            { return s.done }
func (s *fakeSession) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}
func (s *fakeSession) Stats() Stats {
	return Stats{Established: s.established, BytesIn: s.in.Load(), BytesOut: s.out.Load(),
		MsgsIn: s.msgsIn.Load(), MsgsOut: s.msgsOut.Load(), Dropped: s.dropped.Load()}
}

func (s *fakeSession) Send(m *Message, p Priority) error {
	select {
	case <-s.done:
		return ErrClosed
	default:
	}
	select {
	case s.queue <- queued{m, p}:
		return nil
	default:
		s.dropped.Add(1)
		return ErrQueueFull
	}
}

func (s *fakeSession) SendRouterInfo(ri *data.RouterInfo, flood bool) error {
	select {
	case <-s.done:
		return ErrClosed
	default:
	}
	s.out.Add(uint64(len(ri.Bytes())))
	s.remote.in.Add(uint64(len(ri.Bytes())))
	s.remote.t.h.ReceivedRouterInfo(s.remote, ri, flood)
	return nil
}

func (s *fakeSession) Close(reason uint8) error {
	s.reason.CompareAndSwap(-1, int32(reason))
	s.terminate(&TerminationError{Reason: reason})
	if s.remote != nil {
		s.remote.terminate(&TerminationError{Remote: true, Reason: reason})
	}
	return nil
}

// terminate ends s; if it was started, its loop reports Closed.
func (s *fakeSession) terminate(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.done)
	})
}

func (s *fakeSession) start() {
	go s.writeLoop()
}

// writeLoop delivers queued messages to the remote Manager until s ends,
// then reports Closed to ours.
func (s *fakeSession) writeLoop() {
	defer func() { s.t.h.Closed(s, s.err) }()
	for {
		select {
		case <-s.done:
			return
		case q := <-s.queue:
			if s.pause != nil {
				select {
				case <-s.pause:
				case <-s.done:
					return
				}
			}
			n := uint64(len(q.m.Payload) + 9)
			s.out.Add(n)
			s.msgsOut.Add(1)
			r := s.remote
			select {
			case <-r.done:
				return
			default:
			}
			r.in.Add(n)
			r.msgsIn.Add(1)
			r.t.h.Received(r, q.m)
		}
	}
}

// fakeStore is a RouterInfoStore in a map.
type fakeStore struct {
	mu  sync.Mutex
	m   map[data.Hash]*data.RouterInfo
	err error // Put fails with it
}

func newFakeStore() *fakeStore { return &fakeStore{m: make(map[data.Hash]*data.RouterInfo)} }

func (s *fakeStore) Get(h data.Hash) *data.RouterInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[h]
}

func (s *fakeStore) Put(ri *data.RouterInfo) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return false, s.err
	}
	_, had := s.m[ri.Hash()]
	s.m[ri.Hash()] = ri
	return !had, nil
}

// node is one router of a test: its Manager, fake transport and store.
type node struct {
	ri    *data.RouterInfo
	m     *Manager
	tr    *fakeTransport
	store *fakeStore
	now   *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testRouterInfo signs a RouterInfo with one address at host.
func testRouterInfo(t testing.TB, host string) *data.RouterInfo {
	t.Helper()
	keys, err := keyfile.GenerateRouter(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ri := &data.RouterInfo{Identity: keys.Identity, Published: data.DateOf(time.Now())}
	a := data.RouterAddress{Transport: "FAKE"}
	a.Options.Set("host", host)
	a.Options.Set("port", "1")
	ri.Addresses = append(ri.Addresses, a)
	ri.Options.Set("netId", "99")
	s, _ := keys.Signer()
	if err := ri.Sign(s); err != nil {
		t.Fatal(err)
	}
	return ri
}

// newNode makes a router on net at host; cfg's Self, RouterInfos, Now
// are filled in.
func newNode(t testing.TB, net *fakeNet, host string, cfg ManagerConfig) *node {
	t.Helper()
	n := &node{ri: testRouterInfo(t, host), store: newFakeStore(), now: &clock{t: time.Unix(1_800_000_000, 0)}}
	cfg.Self = n.ri.Hash()
	cfg.RouterInfos = n.store
	cfg.Now = n.now.Now
	n.m = NewManager(cfg)
	n.tr = &fakeTransport{net: net, ri: n.ri, h: n.m, addr: netip.MustParseAddrPort(host + ":1"), queueLen: 16}
	n.m.Register(n.tr)
	net.add(n.tr)
	return n
}

// knows puts the other nodes' RouterInfos in n's store.
func (n *node) knows(others ...*node) {
	for _, o := range others {
		n.store.Put(o.ri)
	}
}

// goroutineLeakCheck fails the test if goroutines started during it are
// still running shortly after it ends.
func goroutineLeakCheck(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Fatalf("%d goroutines leaked:\n%s", runtime.NumGoroutine()-before, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
