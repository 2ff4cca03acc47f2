package i2ptunnel

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
)

// fakeStreams stands in for a destination's streaming library: Dial to
// a registered hash hands one end of a loopback TCP connection (so that
// half-close works) to that destination's listener, its RemoteAddr saying
// the dialer's destination.
type fakeStreams struct {
	self data.KeysAndCert
	net  *fakeNet
}

type fakeNet struct {
	mu        sync.Mutex
	listeners map[data.Hash]*fakeListener
}

func newFakeNet() *fakeNet { return &fakeNet{listeners: make(map[data.Hash]*fakeListener)} }

// destination returns a new destination's streams on n.
func (n *fakeNet) destination(t testing.TB) *fakeStreams {
	t.Helper()
	k, _ := testIdentity(t)
	return &fakeStreams{self: k, net: n}
}

// testIdentity is a new Ed25519 destination and its signer.
func testIdentity(t testing.TB) (data.KeysAndCert, crypto.Signer) {
	t.Helper()
	sig, err := crypto.GenerateSigner(crypto.SigEdDSASHA512, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := data.NewKeysAndCert(crypto.EncElGamal, make([]byte, 256), crypto.SigEdDSASHA512, sig.Public(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k, sig
}

func (s *fakeStreams) Dial(ctx context.Context, to data.Hash, port uint16) (net.Conn, error) {
	s.net.mu.Lock()
	l := s.net.listeners[to]
	s.net.mu.Unlock()
	if l == nil {
		return nil, fmt.Errorf("fake: no destination %s", to.B32())
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer tl.Close()
	c, err := net.Dial("tcp", tl.Addr().String())
	if err != nil {
		return nil, err
	}
	a, err := tl.Accept()
	if err != nil {
		c.Close()
		return nil, err
	}
	select {
	case l.conns <- &fakeConn{TCPConn: a.(*net.TCPConn), from: s.self}:
		return c, nil
	case <-l.done:
	case <-ctx.Done():
	}
	c.Close()
	a.Close()
	return nil, fmt.Errorf("fake: refused")
}

func (s *fakeStreams) Listen(port uint16) (net.Listener, error) {
	l := &fakeListener{conns: make(chan net.Conn), done: make(chan struct{}), addr: s.self.Hash()}
	s.net.mu.Lock()
	s.net.listeners[s.self.Hash()] = l
	s.net.mu.Unlock()
	return l, nil
}

type fakeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	addr  data.Hash
}

func (l *fakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *fakeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *fakeListener) Addr() net.Addr { return fakeAddr{} }

// fakeConn is an accepted stream: it names the dialer.
type fakeConn struct {
	*net.TCPConn
	from data.KeysAndCert
}

func (c *fakeConn) RemoteAddr() net.Addr                { return fakeAddr{dest: c.from} }
func (c *fakeConn) RemoteDestination() data.Destination { return c.from }

type fakeAddr struct{ dest data.KeysAndCert }

func (fakeAddr) Network() string                 { return "i2p" }
func (a fakeAddr) String() string                { return a.dest.Hash().B32() }
func (a fakeAddr) Destination() data.KeysAndCert { return a.dest }
