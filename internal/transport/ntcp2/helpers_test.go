package ntcp2

import (
	"context"
	cryptorand "crypto/rand"
	"errors"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/transport"
)

const testNetID = 99

// goroutineLeakCheck fails the test if goroutines started during it are
// still running when it ends (after its other cleanups). Call it first.
func goroutineLeakCheck(t testing.TB) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("%d goroutines leaked (%d before, %d after):\n%s", n-before, before, n, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// identity is a router identity with an NTCP2 address.
type identity struct {
	keys   *keyfile.PrivateKeys
	static *keyfile.StaticKeys
	ri     atomic.Pointer[data.RouterInfo]
}

// riOptions tweak the RouterInfo a test router publishes.
type riOptions struct {
	netID     int
	host      string
	port      int
	published time.Time
	wrongS    bool // publish a static key that is not ours
	noAddr    bool // no NTCP2 address at all
}

func newIdentity(tb testing.TB, o riOptions) *identity {
	tb.Helper()
	keys, err := keyfile.GenerateRouter(cryptorand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	static, err := keyfile.GenerateStaticKeys(cryptorand.Reader, keyfile.NTCP2IVLen)
	if err != nil {
		tb.Fatal(err)
	}
	id := &identity{keys: keys, static: static}
	id.sign(tb, o)
	return id
}

// sign (re)builds and signs the RouterInfo.
func (id *identity) sign(tb testing.TB, o riOptions) {
	tb.Helper()
	if o.netID == 0 {
		o.netID = testNetID
	}
	if o.host == "" {
		o.host = "127.0.0.1"
	}
	if o.port == 0 {
		o.port = 1
	}
	if o.published.IsZero() {
		o.published = time.Now()
	}
	ri := &data.RouterInfo{Identity: id.keys.Identity, Published: data.DateOf(o.published)}
	if !o.noAddr {
		s := id.static.Public[:]
		if o.wrongS {
			other, _ := keyfile.GenerateStaticKeys(cryptorand.Reader, keyfile.NTCP2IVLen)
			s = other.Public[:]
		}
		a := data.RouterAddress{Transport: "NTCP2", Cost: 3}
		a.Options.Set("host", o.host)
		a.Options.Set("port", strconv.Itoa(o.port))
		a.Options.Set("s", data.EncodeBase64(s))
		a.Options.Set("i", data.EncodeBase64(id.static.Extra))
		a.Options.Set("v", "2")
		ri.Addresses = append(ri.Addresses, a)
	}
	ri.Options.Set("caps", "LR")
	ri.Options.Set("netId", strconv.Itoa(o.netID))
	ri.Options.Set("router.version", "0.9.66")
	signer, err := id.keys.Signer()
	if err != nil {
		tb.Fatal(err)
	}
	if err := ri.Sign(signer); err != nil {
		tb.Fatal(err)
	}
	id.ri.Store(ri)
}

func (id *identity) routerInfo() *data.RouterInfo { return id.ri.Load() }

// recorder is a transport.Handler that records events on channels.
type recorder struct {
	reject      func(transport.Session) error
	established chan transport.Session
	received    chan *transport.Message
	ris         chan *data.RouterInfo
	closed      chan error
	mu          sync.Mutex
	count       int
}

func newRecorder() *recorder {
	return &recorder{
		established: make(chan transport.Session, 16),
		received:    make(chan *transport.Message, 4096),
		ris:         make(chan *data.RouterInfo, 16),
		closed:      make(chan error, 16),
	}
}

func (r *recorder) Established(s transport.Session) error {
	if r.reject != nil {
		if err := r.reject(s); err != nil {
			return err
		}
	}
	r.established <- s
	return nil
}

func (r *recorder) Received(s transport.Session, m *transport.Message) {
	r.mu.Lock()
	r.count++
	r.mu.Unlock()
	select {
	case r.received <- m:
	default: // tests that send floods count instead
	}
}

func (r *recorder) ReceivedRouterInfo(s transport.Session, ri *data.RouterInfo, flood bool) {
	r.ris <- ri
}

func (r *recorder) Closed(s transport.Session, err error) { r.closed <- err }

func (r *recorder) receivedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

// node is a Transport with its identity and recorder, running until the
// test ends.
type node struct {
	id  *identity
	rec *recorder
	tr  *Transport
	ln  net.Listener // when listening on loopback
}

type nodeOptions struct {
	ri     riOptions
	listen bool // loopback TCP listener
	mod    func(*Config)
}

func newNode(tb testing.TB, o nodeOptions) *node {
	tb.Helper()
	n := &node{rec: newRecorder()}
	if o.listen {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		n.ln = ln
		o.ri.port = ln.Addr().(*net.TCPAddr).Port
		o.ri.host = "127.0.0.1"
	}
	n.id = newIdentity(tb, o.ri)
	cfg := Config{
		NetID:         testNetID,
		StaticKeys:    n.id.static,
		RouterInfo:    n.id.routerInfo,
		Handler:       n.rec,
		ProbeDelay:    50 * time.Millisecond,
		ProbeRead:     64,
		HandshakeRate: -1,
	}
	if n.ln != nil {
		cfg.ListenAddrs = []string{n.ln.Addr().String()}
		cfg.Listen = func(ctx context.Context, network, addr string) (net.Listener, error) { return n.ln, nil }
	}
	if o.mod != nil {
		o.mod(&cfg)
	}
	tr, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	n.tr = tr
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- tr.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-ran:
			if err != nil {
				tb.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			tb.Errorf("Run did not return")
		}
	})
	return n
}

// pipeTo makes a's DialContext connect to b over net.Pipe, with b serving
// the other end as if it had accepted it.
func pipeTo(a, b *node) {
	a.tr.cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c1, c2 := net.Pipe()
		b.tr.wg.Go(func() { b.tr.serveConn(c2) })
		return c1, nil
	}
}

// pipePair starts two nodes and dials a -> b over net.Pipe; it returns
// both ends of the session.
func pipePair(tb testing.TB, ao, bo nodeOptions) (a, b *node, sa, sb transport.Session) {
	tb.Helper()
	a, b = newNode(tb, ao), newNode(tb, bo)
	pipeTo(a, b)
	sa, err := a.tr.Dial(context.Background(), b.id.routerInfo())
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	sb = waitFor(tb, b.rec.established, "b established")
	return a, b, sa, sb
}

// waitFor receives from ch within 5 s.
func waitFor[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		tb.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// waitDone waits for a session to end and returns its error.
func waitDone(tb testing.TB, s transport.Session) error {
	tb.Helper()
	select {
	case <-s.Done():
		return s.Err()
	case <-time.After(5 * time.Second):
		tb.Fatalf("session %v did not end", s.Peer())
	}
	return nil
}

// eventually polls cond for up to 5 s.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	tb.Fatalf("timed out waiting for %s", what)
}

// reasonOf returns the TerminationError in err.
func reasonOf(tb testing.TB, err error) *transport.TerminationError {
	tb.Helper()
	var te *transport.TerminationError
	if !errors.As(err, &te) {
		tb.Fatalf("error %v carries no termination reason", err)
	}
	return te
}

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

func asTermination(err error, te **transport.TerminationError) bool { return errors.As(err, te) }
