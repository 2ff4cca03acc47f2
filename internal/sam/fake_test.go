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
)

// fakeNet is an in-memory I2P: each session a real streaming.Manager,
// packets and datagrams handed between sessions by hash.
type fakeNet struct {
	mu     sync.Mutex
	dests  map[data.Hash]*fakeSession
	opened []SessionConfig
	// options are LeaseSet options by destination hash.
	options map[data.Hash][]Pair
}

func newFakeNet() *fakeNet {
	return &fakeNet{dests: make(map[data.Hash]*fakeSession), options: make(map[data.Hash][]Pair)}
}

func (n *fakeNet) OpenSession(ctx context.Context, cfg SessionConfig) (Session, error) {
	fs := &fakeSession{net: n, keys: cfg.Keys, handlers: make(map[uint8]func(Datagram)),
		in: make(chan streaming.Inbound, 1024), done: make(chan struct{})}
	m, err := streaming.New(streaming.Config{Keys: cfg.Keys, Net: fakeStreamNet{fs}})
	if err != nil {
		return nil, err
	}
	fs.m = m
	fs.wg.Add(1)
	go fs.loop()
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
	net  *fakeNet
	keys *keyfile.PrivateKeys
	m    *streaming.Manager
	in   chan streaming.Inbound
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	mu       sync.Mutex
	handlers map[uint8]func(Datagram)
}

func (fs *fakeSession) loop() {
	defer fs.wg.Done()
	for {
		select {
		case p := <-fs.in:
			fs.m.HandlePacket(p)
		case <-fs.done:
			return
		}
	}
}

// fakeStreamNet is the streaming.Network of a session's Manager.
type fakeStreamNet struct{ fs *fakeSession }

func (n fakeStreamNet) Send(ctx context.Context, to data.Hash, src, dst uint16, packet []byte) error {
	fs := n.fs
	peer := fs.net.get(to)
	if peer == nil {
		return ErrNoLeaseSet
	}
	select {
	case peer.in <- streaming.Inbound{SrcPort: src, DstPort: dst, Packet: append([]byte(nil), packet...)}:
	default:
	}
	return nil
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
		fs.m.Close()
		close(fs.done)
		fs.wg.Wait()
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
