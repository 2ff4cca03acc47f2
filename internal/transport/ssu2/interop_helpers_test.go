//go:build interop && linux

package ssu2

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// interopNetwork skips the test without i2pd and root, checks for
// leaked goroutines, and makes the namespaces' network.
func interopNetwork(t *testing.T) *i2pdtest.Network {
	t.Helper()
	i2pdtest.Require(t)
	transporttest.LeakCheck(t)
	return i2pdtest.NewNetwork(t, i2pdtest.NetworkConfig{})
}

// netnsNode is a veil Transport in a namespace of an i2pdtest.Network,
// its socket optionally wrapped (a firewall, a lossy link).
type netnsNode struct {
	id  *identity
	ri  atomic.Pointer[data.RouterInfo] // what we send in Session Confirmed
	rec *transporttest.Recorder
	tr  *Transport
	db  *fakeNetDb
}

// behindFirewall wraps a socket in fw.
func behindFirewall(fw **firewallConn) func(net.PacketConn) net.PacketConn {
	return func(pc net.PacketConn) net.PacketConn {
		*fw = &firewallConn{PacketConn: pc, open: map[string]bool{}}
		return *fw
	}
}

// startNetnsNode runs a veil Transport at addr:port in namespace ns,
// logging at debug level to the test log, until the test ends.
func startNetnsNode(t *testing.T, n *i2pdtest.Network, ns, addr string, port, netID int, caps string, wrap func(net.PacketConn) net.PacketConn, mod func(*Config)) *netnsNode {
	t.Helper()
	v := &netnsNode{id: newIdentity(t, riOptions{NetID: netID, Host: addr, Port: port, Caps: caps}), rec: transporttest.NewRecorder(), db: newFakeNetDb()}
	v.ri.Store(v.id.RouterInfo())
	pc, err := n.ListenPacket(ns, "udp4", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	conn := pc
	if wrap != nil {
		conn = wrap(pc)
	}
	signer, err := v.id.Keys.Signer()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{NetID: netID, StaticKeys: v.id.Static, RouterInfo: v.ri.Load, Handler: v.rec,
		Signer: signer, LookupRouterInfo: v.db.get, ListenAddrs: []string{pc.LocalAddr().String()},
		ListenPacket: func(context.Context, string, string) (net.PacketConn, error) { return conn, nil },
		Logger:       slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mod != nil {
		mod(&cfg)
	}
	if v.tr, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	transporttest.Run(t, v.tr)
	return v
}

// newI2pd runs an i2pd with NTCP2 off in a new namespace once, to make
// its keys and RouterInfo, and stops it; startI2pd starts it again.
func newI2pd(t *testing.T, n *i2pdtest.Network, name string, host, netID int, floodfill bool) (i2pdtest.Config, *data.RouterInfo) {
	t.Helper()
	ns, addr := n.Add(name, host)
	cfg := i2pdtest.Config{DataDir: t.TempDir(), NetID: netID, Netns: ns, Host: addr, Floodfill: floodfill, LogLevel: "debug",
		Options: map[string]string{"ntcp2.enabled": "false", "ntcp2.published": "false"}}
	r := i2pdtest.Start(t, cfg)
	if err := r.WaitRouterInfo(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	return cfg, readI2pdRouterInfo(t, r)
}

// startI2pd starts the i2pd of cfg with peers' RouterInfos in its netDb.
func startI2pd(t *testing.T, cfg i2pdtest.Config, peers ...*data.RouterInfo) *i2pdtest.Router {
	t.Helper()
	for _, p := range peers {
		if _, err := i2pdtest.InstallRouterInfo(filepath.Join(cfg.DataDir, "netDb"), p.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	return i2pdtest.Start(t, cfg)
}
