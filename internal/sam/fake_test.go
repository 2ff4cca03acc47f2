package sam

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/streaming"
	"github.com/veil-i2p/veil/internal/streaming/streamtest"
)

// fakeNet is an in-memory I2P: each session a real streaming.Manager on
// a streamtest.Network, datagrams handed between sessions by hash.
type fakeNet struct {
	streams *streamtest.Network

	mu     sync.Mutex
	dests  map[data.Hash]*fakeSession
	opened []SessionConfig
	// options are LeaseSet options by destination hash.
	options map[data.Hash][]Pair
	// aliases are names only the sessions resolve (as b33 addresses).
	aliases map[string]data.Hash
}

func newFakeNet() *fakeNet {
	return &fakeNet{streams: streamtest.New(), dests: make(map[data.Hash]*fakeSession), options: make(map[data.Hash][]Pair),
		aliases: make(map[string]data.Hash)}
}

func (n *fakeNet) OpenSession(ctx context.Context, cfg SessionConfig) (Session, error) {
	m, detach, err := n.streams.Attach(cfg.Keys, nil)
	if err != nil {
		return nil, err
	}
	fs := &fakeSession{net: n, keys: cfg.Keys, m: m, detach: detach, handlers: make(map[uint8]func(Datagram))}
	n.mu.Lock()
	n.dests[cfg.Keys.Identity.Hash()] = fs
	n.opened = append(n.opened, cfg)
	n.mu.Unlock()
	return fs, nil
}

func (n *fakeNet) Lookup(ctx context.Context, name string, withOpts bool) (Found, error) {
	if !strings.HasSuffix(name, ".b32.i2p") {
		return Found{}, ErrNotFound
	}
	h, err := data.ParseB32(name)
	if err != nil {
		return Found{}, ErrNotFound
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	fs := n.dests[h]
	if fs == nil {
		return Found{}, ErrNoLeaseSet
	}
	return Found{Destination: fs.keys.Identity, Options: n.options[h]}, nil
}

func (n *fakeNet) get(h data.Hash) *fakeSession {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dests[h]
}

func (n *fakeNet) live() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.dests)
}

type fakeSession struct {
	net    *fakeNet
	keys   *keyfile.PrivateKeys
	m      *streaming.Manager
	detach func()
	once   sync.Once

	mu       sync.Mutex
	handlers map[uint8]func(Datagram)
}

func (fs *fakeSession) Dial(ctx context.Context, to data.Hash, src, dst uint16) (net.Conn, error) {
	if fs.net.get(to) == nil {
		return nil, ErrNoLeaseSet
	}
	return fs.m.DialPorts(ctx, to, src, dst)
}

func (fs *fakeSession) Listen(port uint16) (net.Listener, error) { return fs.m.Listen(port) }

func (fs *fakeSession) Send(ctx context.Context, to data.Hash, d Datagram) error {
	peer := fs.net.get(to)
	if peer == nil {
		return ErrNoLeaseSet
	}
	d.Payload = append([]byte(nil), d.Payload...)
	d.FromHash = fs.keys.Identity.Hash()
	if d.Proto == protoDatagram || d.Proto == protoDatagram2 {
		d.From = fs.keys.Identity
	}
	peer.mu.Lock()
	h := peer.handlers[d.Proto]
	peer.mu.Unlock()
	if h != nil {
		h(d)
	}
	return nil
}

// Resolve knows the network's aliases, which Lookup does not.
func (fs *fakeSession) Resolve(ctx context.Context, name string) (data.Hash, error) {
	fs.net.mu.Lock()
	defer fs.net.mu.Unlock()
	if h, ok := fs.net.aliases[name]; ok {
		return h, nil
	}
	return data.Hash{}, ErrNotFound
}

func (fs *fakeSession) Handle(proto uint8, h func(Datagram)) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if h == nil {
		delete(fs.handlers, proto)
	} else {
		fs.handlers[proto] = h
	}
}

func (fs *fakeSession) Close() error {
	fs.once.Do(func() {
		fs.net.mu.Lock()
		if fs.net.dests[fs.keys.Identity.Hash()] == fs {
			delete(fs.net.dests, fs.keys.Identity.Hash())
		}
		fs.net.mu.Unlock()
		fs.detach()
	})
	return nil
}

// startServer runs a bridge on fakeNet at random loopback ports.
func startServer(t testing.TB, n *fakeNet) *Server {
	t.Helper()
	return startServerConfig(t, Config{Router: n})
}

func startServerConfig(t testing.TB, cfg Config) *Server {
	t.Helper()
	cfg.Address, cfg.UDPAddress = "127.0.0.1:0", "127.0.0.1:0"
	s, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	serveInBackground(t, s)
	return s
}

// serveInBackground runs s until the test ends.
func serveInBackground(t testing.TB, s *Server) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func mustKeys(t testing.TB) *keyfile.PrivateKeys {
	t.Helper()
	pk, err := generateKeys(7, 4)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}
