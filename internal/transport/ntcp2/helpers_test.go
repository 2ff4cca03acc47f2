package ntcp2

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

const testNetID = transporttest.NetID

// riOptions shape a test router's RouterInfo; newIdentity gives it an
// NTCP2 address.
type riOptions = transporttest.IdentityOptions

type identity = transporttest.Identity

func newIdentity(tb testing.TB, o riOptions) *identity {
	tb.Helper()
	o.Style = "NTCP2"
	return transporttest.NewIdentity(tb, o)
}

type recorder = transporttest.Recorder

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
	n := &node{rec: transporttest.NewRecorder()}
	if o.listen {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		n.ln = ln
		o.ri.Port = ln.Addr().(*net.TCPAddr).Port
		o.ri.Host = "127.0.0.1"
	}
	n.id = newIdentity(tb, o.ri)
	cfg := Config{
		NetID:         testNetID,
		StaticKeys:    n.id.Static,
		RouterInfo:    n.id.RouterInfo,
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
	transporttest.Run(tb, tr)
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
	sa, err := a.tr.Dial(context.Background(), b.id.RouterInfo())
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	sb = transporttest.WaitFor(tb, b.rec.Sessions, "b established")
	return a, b, sa, sb
}

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

func asTermination(err error, te **transport.TerminationError) bool { return errors.As(err, te) }
