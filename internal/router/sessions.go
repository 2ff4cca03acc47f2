package router

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/streaming"
	"github.com/veil-i2p/veil/internal/tunnel"
)

// Sessions: local destinations opened while the router runs, for SAM,
// I2CP, BOB and the public Go API. Each has its own tunnel pool, LeaseSet
// (kept published by its own goroutine) and streaming Manager, and shows
// in status among the tunnels.conf destinations. What the pool's inbound
// tunnels deliver reaches it through r.handlers, a copy-on-write map read
// by the local-delivery goroutine without a lock.
//
// Lifetimes: OpenSession waits until Run has started the subsystems; Run's
// shutdown closes the sessions still open (before the tunnels stop, so
// their streams can still send RESETs), and OpenSession fails from then
// on. Session.Close undoes everything OpenSession did.

// SessionConfig describes a destination opened while the router runs (SAM, I2CP, BOB, the Go API).
type SessionConfig struct {
	Name      string               // shown in status; "" = its b32
	Keys      *keyfile.PrivateKeys // nil: transient (new keys)
	Pool      PoolShape            // zero: client defaults
	EncTypes  []crypto.EncType     // nil: client.DefaultEncTypes
	LeaseSet  client.LeaseSetOptions
	Streaming *streaming.Options // nil: defaults
}

// Session is a running local destination with streaming attached. Its
// methods are safe for concurrent use.
type Session struct {
	r       *Router
	name    string
	d       *client.Destination
	streams *streaming.Manager
	quit    chan struct{} // closed by Close: the maintain goroutine ends
	done    chan struct{} // closed when it has
	once    sync.Once
}

// ErrRouterStopped is returned by OpenSession once Run has returned (or
// is shutting down).
var ErrRouterStopped = errors.New("router: not running")

// NameResolver resolves a host name ending in .i2p that is not a b32 or
// b33 address (an addressbook's job) to a destination hash. It must honour
// ctx; its errors should wrap i2ptunnel.ErrUnknownName for names it does
// not know.
type NameResolver func(ctx context.Context, name string) (data.Hash, error)

// sessionTable is the router's open sessions and their lifetime signals.
type sessionTable struct {
	ready chan struct{} // closed when Run has started the subsystems
	done  chan struct{} // closed when Run stops

	mu       sync.Mutex // guards the fields below
	stopped  bool
	open     []*Session
	resolver NameResolver
}

func newSessionTable() sessionTable {
	return sessionTable{ready: make(chan struct{}), done: make(chan struct{})}
}

// sessionsReady lets OpenSession proceed (Run, once the subsystems run).
func (r *Router) sessionsReady() { close(r.sessions.ready) }

// stopSessions refuses new sessions and closes the open ones. Run calls
// it when it stops, twice on the normal path: it is idempotent.
func (r *Router) stopSessions() {
	t := &r.sessions
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return
	}
	t.stopped = true
	close(t.done)
	open := slices.Clone(t.open)
	t.mu.Unlock()
	for _, s := range open {
		s.Close()
	}
}

// OpenSession starts a local destination with streaming attached. It waits
// (bounded by ctx) until Run has started the subsystems, and fails with
// ErrRouterStopped once Run has returned.
func (r *Router) OpenSession(ctx context.Context, cfg SessionConfig) (*Session, error) {
	select {
	case <-r.sessions.ready:
	case <-r.sessions.done:
		return nil, ErrRouterStopped
	case <-ctx.Done():
		return nil, fmt.Errorf("router: open session: waiting for the router to start: %w", ctx.Err())
	}
	d, err := r.newClient(cfg.Name, cfg.Keys, cfg.Pool, cfg.EncTypes, cfg.LeaseSet)
	if err != nil {
		return nil, fmt.Errorf("router: open session %s: %w", cfg.Name, err)
	}
	tun := routerNet{r}.Tunnels()
	name := cfg.Name
	if name == "" {
		name = d.B32()
	}
	m, err := streaming.Attach(d, cfg.Streaming, r.log)
	if err != nil {
		tun.RemovePool(d.Pool())
		return nil, fmt.Errorf("router: open session %s: %w", name, err)
	}
	s := &Session{r: r, name: name, d: d, streams: m, quit: make(chan struct{}), done: make(chan struct{})}
	t := &r.sessions
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		m.Close()
		tun.RemovePool(d.Pool())
		return nil, ErrRouterStopped
	}
	t.open = append(t.open, s)
	r.handlers.set(d.Pool(), r.destinationHandler(name, d))
	t.mu.Unlock()
	go s.maintain()
	r.log.Info("router: session opened", "name", name, "address", d.B32())
	return s, nil
}

// maintain keeps the LeaseSet published until Close.
func (s *Session) maintain() {
	defer close(s.done)
	t := time.NewTicker(destinationEvery)
	defer t.Stop()
	for {
		s.d.Maintain()
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
	}
}

// Name is the session's name in status.
func (s *Session) Name() string { return s.name }

// Destination is the session's local destination: its address, keys,
// datagrams (SendDatagram, HandleProtocol).
func (s *Session) Destination() *client.Destination { return s.d }

// Streams is the session's streaming Manager (Listen, Dial).
func (s *Session) Streams() *streaming.Manager { return s.streams }

// Resolve is Router.Resolve, except that a b33 address is resolved
// through this session's destination (with its client key, if any), which
// keeps the blinded key so that it can send to the result now and later.
func (s *Session) Resolve(ctx context.Context, name string) (data.Hash, error) {
	return s.r.resolve(ctx, name, s.d)
}

// Close stops the session: its streams are reset, its tunnel pool removed
// (no more builds, its tunnels dropped), its deliveries detached, and it
// leaves status. The LeaseSet already published expires by itself. Close
// is idempotent and returns once every goroutine of the session has ended.
func (s *Session) Close() error {
	s.once.Do(func() {
		close(s.quit)
		<-s.done
		s.streams.Close() // while the tunnels still carry its RESETs
		s.d.Close()
		pool := s.d.Pool()
		s.r.handlers.remove(pool)
		if tun := (routerNet{s.r}).Tunnels(); tun != nil {
			tun.RemovePool(pool)
		}
		t := &s.r.sessions
		t.mu.Lock()
		t.open = slices.DeleteFunc(t.open, func(x *Session) bool { return x == s })
		t.mu.Unlock()
		s.r.log.Info("router: session closed", "name", s.name, "address", s.d.B32())
	})
	return nil
}

// openSessions is a snapshot of the open sessions, for status.
func (r *Router) openSessions() []*Session {
	r.sessions.mu.Lock()
	defer r.sessions.mu.Unlock()
	return slices.Clone(r.sessions.open)
}

// SetNameResolver sets how Resolve turns names ending in .i2p (other than
// b32 and b33 addresses) into destinations: the addressbook's hook. Nil
// (the default) makes such names an error wrapping
// i2ptunnel.ErrUnknownName. It may be called at any time.
func (r *Router) SetNameResolver(f NameResolver) {
	r.sessions.mu.Lock()
	r.sessions.resolver = f
	r.sessions.mu.Unlock()
}

// Resolve turns a destination name into its hash: "….b32.i2p", a b33
// address (its EncryptedLeaseSet looked up and decrypted, without a client
// key; Session.Resolve to send to it), a full Base64 destination, or a
// name ending in .i2p through the resolver set with SetNameResolver. A
// ":port" suffix is ignored.
func (r *Router) Resolve(ctx context.Context, name string) (data.Hash, error) {
	return r.resolve(ctx, name, nil)
}

// resolve is Resolve, b33 addresses through d when it is not nil.
func (r *Router) resolve(ctx context.Context, name string, d *client.Destination) (data.Hash, error) {
	return i2ptunnel.ResolveDestination(ctx, name, func(ctx context.Context, host string) (data.Hash, error) {
		if data.IsB33(host) {
			if d != nil {
				return d.ResolveB33(ctx, host, client.B33Key{})
			}
			if r.NetDB() == nil {
				return data.Hash{}, ErrRouterStopped
			}
			in, err := client.LookupB33(ctx, routerNet{r}, host, client.B33Key{}, r.cfg.now())
			if err != nil {
				return data.Hash{}, err
			}
			return in.Hash(), nil
		}
		r.sessions.mu.Lock()
		f := r.sessions.resolver
		r.sessions.mu.Unlock()
		if f == nil {
			return data.Hash{}, fmt.Errorf("%w: %q (no name resolver: use a b32 address)", i2ptunnel.ErrUnknownName, host)
		}
		return f(ctx, host)
	})
}

// poolHandlers maps a local destination's tunnel pool to the function
// that takes what its inbound tunnels deliver. Readers (the local-delivery
// goroutine) load the map without locking; writers copy it under mu.
type poolHandlers struct {
	mu sync.Mutex
	m  atomic.Pointer[map[*tunnel.Pool]func(i2np.Header, []byte)]
}

func (ph *poolHandlers) get(p *tunnel.Pool) func(i2np.Header, []byte) {
	if m := ph.m.Load(); m != nil {
		return (*m)[p]
	}
	return nil
}

func (ph *poolHandlers) set(p *tunnel.Pool, h func(i2np.Header, []byte)) {
	ph.update(func(m map[*tunnel.Pool]func(i2np.Header, []byte)) { m[p] = h })
}

func (ph *poolHandlers) remove(p *tunnel.Pool) {
	ph.update(func(m map[*tunnel.Pool]func(i2np.Header, []byte)) { delete(m, p) })
}

func (ph *poolHandlers) update(f func(map[*tunnel.Pool]func(i2np.Header, []byte))) {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	m := make(map[*tunnel.Pool]func(i2np.Header, []byte))
	if old := ph.m.Load(); old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	f(m)
	ph.m.Store(&m)
}
