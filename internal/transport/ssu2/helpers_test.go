package ssu2

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

const testNetID = transporttest.NetID

// riOptions shape a test router's RouterInfo; newIdentity gives it an
// SSU2 address.
type riOptions = transporttest.IdentityOptions

type identity = transporttest.Identity

func newIdentity(tb testing.TB, o riOptions) *identity {
	tb.Helper()
	o.Style = "SSU2"
	return transporttest.NewIdentity(tb, o)
}

// node is a Transport with its identity and recorder on a loopback UDP
// socket, running until the test ends.
type node struct {
	id  *identity
	rec *transporttest.Recorder
	tr  *Transport
	pc  net.PacketConn
}

type nodeOptions struct {
	ri    riOptions
	wrap  func(net.PacketConn) net.PacketConn // e.g. a lossy link
	mod   func(*Config)
	netdb *transporttest.NetDb // shared RouterInfos; with it the node signs and looks up (peer tests)
}

func newNode(tb testing.TB, o nodeOptions) *node {
	tb.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	n := &node{rec: transporttest.NewRecorder(), pc: pc}
	o.ri.Port = pc.LocalAddr().(*net.UDPAddr).Port
	n.id = newIdentity(tb, o.ri)
	conn := pc
	if o.wrap != nil {
		conn = o.wrap(pc)
	}
	cfg := Config{
		NetID:         testNetID,
		StaticKeys:    n.id.Static,
		RouterInfo:    n.id.RouterInfo,
		Handler:       n.rec,
		HandshakeRate: -1,
		ListenAddrs:   []string{pc.LocalAddr().String()},
		ListenPacket: func(context.Context, string, string) (net.PacketConn, error) {
			return conn, nil
		},
	}
	if o.netdb != nil {
		signer, err := n.id.Keys.Signer()
		if err != nil {
			tb.Fatal(err)
		}
		cfg.Signer, cfg.LookupRouterInfo = signer, o.netdb.Get
		o.netdb.Put(n.id.RouterInfo())
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

// pair starts two nodes and dials a -> b; it returns both ends.
func pair(tb testing.TB, ao, bo nodeOptions) (a, b *node, sa, sb transport.Session) {
	tb.Helper()
	a, b = newNode(tb, ao), newNode(tb, bo)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sa, err := a.tr.Dial(ctx, b.id.RouterInfo())
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	transporttest.WaitFor(tb, a.rec.Sessions, "a established")
	sb = transporttest.WaitFor(tb, b.rec.Sessions, "b established")
	return a, b, sa, sb
}

// lossy wraps a node's socket in a LossyConn and keeps it in *l.
func lossy(l **transporttest.LossyConn, loss, reorder float64, seed uint64, dropFirst int) nodeOptions {
	return nodeOptions{wrap: func(pc net.PacketConn) net.PacketConn {
		*l = transporttest.NewLossy(pc, loss, reorder, seed, dropFirst)
		return *l
	}}
}
