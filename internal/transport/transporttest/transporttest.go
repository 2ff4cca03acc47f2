// Package transporttest is test support shared by the transports' tests
// (NTCP2, SSU2): router identities with a transport address, a
// transport.Handler that records what it is told, waiting helpers, a
// goroutine leak check, and a lossy, reordering packet link. Import it
// from _test.go files only.
//
// Everything here is safe for concurrent use as the tests use it: a
// Recorder's channels and counters take events from session goroutines
// while the test reads them.
package transporttest

import (
	"context"
	cryptorand "crypto/rand"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/transport"
)

// NetID is the private network id of transport tests.
const NetID = 99

// LeakCheck fails the test if goroutines started during it are still
// running 5 s after its other cleanups. Call it first.
func LeakCheck(t testing.TB) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
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

// IdentityOptions shape the RouterInfo of an Identity. Zero values are
// defaults: network NetID, host 127.0.0.1, port 1, published now, caps
// LR.
type IdentityOptions struct {
	Style     string // "NTCP2" or "SSU2"
	NetID     int
	Host      string
	Port      int
	Published time.Time
	Caps      string
	MTU       int  // SSU2: publish mtu
	WrongS    bool // publish a static key that is not ours
	NoIntro   bool // leave out "i"
	NoAddr    bool // publish no address at all
}

// Identity is a router identity with static transport keys and a signed
// RouterInfo.
type Identity struct {
	Keys   *keyfile.PrivateKeys
	Static *keyfile.StaticKeys
	ri     atomic.Pointer[data.RouterInfo]
}

// NewIdentity makes keys for o.Style (its static keys carry NTCP2's
// 16-byte IV or SSU2's 32-byte intro key) and signs a RouterInfo.
func NewIdentity(tb testing.TB, o IdentityOptions) *Identity {
	tb.Helper()
	keys, err := keyfile.GenerateRouter(cryptorand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	static, err := keyfile.GenerateStaticKeys(cryptorand.Reader, extraLen(o.Style))
	if err != nil {
		tb.Fatal(err)
	}
	id := &Identity{Keys: keys, Static: static}
	id.Sign(tb, o)
	return id
}

func extraLen(style string) int {
	if style == "SSU2" {
		return keyfile.SSU2IntroLen
	}
	return keyfile.NTCP2IVLen
}

// Sign (re)builds and signs the RouterInfo.
func (id *Identity) Sign(tb testing.TB, o IdentityOptions) {
	tb.Helper()
	o = o.withDefaults()
	ri := &data.RouterInfo{Identity: id.Keys.Identity, Published: data.DateOf(o.Published)}
	if !o.NoAddr {
		s := id.Static.Public[:]
		if o.WrongS {
			other, _ := keyfile.GenerateStaticKeys(cryptorand.Reader, extraLen(o.Style))
			s = other.Public[:]
		}
		a := data.RouterAddress{Transport: o.Style, Cost: 3}
		if o.Style == "SSU2" {
			a.Cost = 8
			a.Options.Set("caps", "BC")
		}
		a.Options.Set("host", o.Host)
		a.Options.Set("port", strconv.Itoa(o.Port))
		a.Options.Set("s", data.EncodeBase64(s))
		if !o.NoIntro {
			a.Options.Set("i", data.EncodeBase64(id.Static.Extra))
		}
		a.Options.Set("v", "2")
		if o.MTU != 0 {
			a.Options.Set("mtu", strconv.Itoa(o.MTU))
		}
		ri.Addresses = append(ri.Addresses, a)
	}
	ri.Options.Set("caps", o.Caps)
	ri.Options.Set("netId", strconv.Itoa(o.NetID))
	ri.Options.Set("router.version", "0.9.66")
	signer, err := id.Keys.Signer()
	if err != nil {
		tb.Fatal(err)
	}
	if err := ri.Sign(signer); err != nil {
		tb.Fatal(err)
	}
	id.ri.Store(ri)
}

func (o IdentityOptions) withDefaults() IdentityOptions {
	if o.Style == "" {
		o.Style = "NTCP2"
	}
	if o.NetID == 0 {
		o.NetID = NetID
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = 1
	}
	if o.Published.IsZero() {
		o.Published = time.Now()
	}
	if o.Caps == "" {
		o.Caps = "LR"
	}
	return o
}

// RouterInfo is the current signed RouterInfo.
func (id *Identity) RouterInfo() *data.RouterInfo { return id.ri.Load() }

// Recorder is a transport.Handler that records events on buffered
// channels; a full channel drops the event (so a session goroutine never
// blocks on a test), and Count still counts every message.
type Recorder struct {
	Sessions    chan transport.Session  // accepted sessions
	Messages    chan *transport.Message // received I2NP messages
	RouterInfos chan *data.RouterInfo   // received RouterInfo blocks
	Ends        chan error              // Closed, with the session's error

	mu     sync.Mutex
	reject func(transport.Session) error
	count  int
	ids    map[uint32]int // message id -> deliveries
}

// SetReject makes fn decide Established (nil: accept every session).
func (r *Recorder) SetReject(fn func(transport.Session) error) {
	r.mu.Lock()
	r.reject = fn
	r.mu.Unlock()
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{
		Sessions:    make(chan transport.Session, 1024),
		Messages:    make(chan *transport.Message, 8192),
		RouterInfos: make(chan *data.RouterInfo, 64),
		Ends:        make(chan error, 1024),
		ids:         make(map[uint32]int),
	}
}

func (r *Recorder) Established(s transport.Session) error {
	r.mu.Lock()
	reject := r.reject
	r.mu.Unlock()
	if reject != nil {
		if err := reject(s); err != nil {
			return err
		}
	}
	select {
	case r.Sessions <- s:
	default: // a test that does not read them
	}
	return nil
}

func (r *Recorder) Received(s transport.Session, m *transport.Message) {
	r.mu.Lock()
	r.count++
	r.ids[m.ID]++
	r.mu.Unlock()
	select {
	case r.Messages <- m:
	default: // tests that send floods count instead
	}
}

func (r *Recorder) ReceivedRouterInfo(s transport.Session, ri *data.RouterInfo, flood bool) {
	select {
	case r.RouterInfos <- ri:
	default:
	}
}

func (r *Recorder) Closed(s transport.Session, err error) {
	select {
	case r.Ends <- err:
	default:
	}
}

// Count is the number of messages received.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

// Duplicates counts message ids delivered more than once.
func (r *Recorder) Duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.ids {
		if c > 1 {
			n++
		}
	}
	return n
}

// WaitMessage waits up to d for a message ok accepts, logging the
// others it takes.
func (r *Recorder) WaitMessage(tb testing.TB, d time.Duration, ok func(*transport.Message) bool) *transport.Message {
	tb.Helper()
	deadline := time.After(d)
	for {
		select {
		case m := <-r.Messages:
			tb.Logf("received I2NP type %d id %d, %d bytes", m.Type, m.ID, len(m.Payload))
			if ok(m) {
				return m
			}
		case <-deadline:
			tb.Fatalf("no matching I2NP message within %v", d)
			return nil
		}
	}
}

// WaitFor receives from ch within 10 s.
func WaitFor[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		tb.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// WaitDone waits up to 10 s for a session to end and returns its error.
func WaitDone(tb testing.TB, s transport.Session) error {
	tb.Helper()
	select {
	case <-s.Done():
		return s.Err()
	case <-time.After(10 * time.Second):
		tb.Fatalf("session %v did not end", s.Peer())
	}
	return nil
}

// Eventually polls cond for up to d.
func Eventually(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	tb.Fatalf("timed out waiting for %s", what)
}

// Termination returns the TerminationError in err, failing the test if
// there is none.
func Termination(tb testing.TB, err error) *transport.TerminationError {
	tb.Helper()
	var te *transport.TerminationError
	if !errors.As(err, &te) {
		tb.Fatalf("error %v carries no termination reason", err)
	}
	return te
}

// Run runs tr until the test ends; the cleanup cancels it and fails the
// test if Run errs or takes more than 10 s to return.
func Run(tb testing.TB, tr transport.Transport) {
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
}
