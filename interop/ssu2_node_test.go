//go:build interop

package interop

import (
	"context"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/ssu2"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// Scaffolding of the SSU2 tests that run veil's SSU2 transport (the
// package, not the veil command) against i2pd 2.45.1 in network
// namespaces: the wire, peer tests and relays, where the test has to
// set what the router would decide (our RouterInfo, firewalled or not).

// ssu2Network skips the test without i2pd and root and makes the
// namespaces' network. The tests run beside others (inParallel), so
// there is no goroutine leak check here: the unit tests have it.
func ssu2Network(t *testing.T) *i2pdtest.Network {
	t.Helper()
	i2pdtest.Require(t)
	return i2pdtest.NewNetwork(t, i2pdtest.NetworkConfig{})
}

// ssu2Node is a veil SSU2 Transport in a namespace of an
// i2pdtest.Network, its socket optionally wrapped (a firewall).
type ssu2Node struct {
	id  *transporttest.Identity
	ri  atomic.Pointer[data.RouterInfo] // what we send in Session Confirmed
	rec *transporttest.Recorder
	tr  *ssu2.Transport
	db  *transporttest.NetDb // what LookupRouterInfo finds
	ns  string               // its namespace
}

// startSSU2Node runs a veil SSU2 Transport at addr:12345 in namespace
// ns, signing (peer tests, relays) and logging at debug level to the
// test log, until the test ends.
func startSSU2Node(t *testing.T, n *i2pdtest.Network, ns, addr string, netID int, caps string, wrap func(net.PacketConn) net.PacketConn, mod func(*ssu2.Config)) *ssu2Node {
	t.Helper()
	const port = 12345
	v := &ssu2Node{rec: transporttest.NewRecorder(), db: transporttest.NewNetDb(), ns: ns,
		id: transporttest.NewIdentity(t, transporttest.IdentityOptions{Style: "SSU2", NetID: netID, Host: addr, Port: port, Caps: caps})}
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
	cfg := ssu2.Config{NetID: netID, StaticKeys: v.id.Static, RouterInfo: v.ri.Load, Handler: v.rec,
		Signer: signer, LookupRouterInfo: v.db.Get, ListenAddrs: []string{pc.LocalAddr().String()},
		ListenPacket: func(context.Context, string, string) (net.PacketConn, error) { return conn, nil },
		Logger:       transporttest.Logger(t)}
	if mod != nil {
		mod(&cfg)
	}
	if v.tr, err = ssu2.New(cfg); err != nil {
		t.Fatal(err)
	}
	transporttest.Run(t, v.tr)
	return v
}

// dial dials ri within 30 s.
func (v *ssu2Node) dial(t *testing.T, ri *data.RouterInfo) transport.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := v.tr.Dial(ctx, ri)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ssu2OnlyI2pd is the configuration of an i2pd with NTCP2 off in a new
// namespace name at host.
func ssu2OnlyI2pd(t *testing.T, n *i2pdtest.Network, name string, host, netID int, floodfill bool) i2pdtest.Config {
	ns, addr := n.Add(name, host)
	return i2pdtest.Config{DataDir: t.TempDir(), NetID: netID, Netns: ns, Host: addr, Floodfill: floodfill, LogLevel: "debug",
		Options: map[string]string{"ntcp2.enabled": "false", "ntcp2.published": "false"}}
}

// newSSU2I2pd runs an i2pd with NTCP2 off in a new namespace once, to
// make its keys and RouterInfo, and stops it; startI2pdWith starts it
// again.
func newSSU2I2pd(t *testing.T, n *i2pdtest.Network, name string, host, netID int, floodfill bool) (i2pdtest.Config, *data.RouterInfo) {
	t.Helper()
	cfg := ssu2OnlyI2pd(t, n, name, host, netID, floodfill)
	r := i2pdtest.Start(t, cfg)
	if err := r.WaitRouterInfo(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	return cfg, i2pdRouterInfo(t, r)
}

// startI2pdWith starts the i2pd of cfg with peers' RouterInfos in its
// netDb.
func startI2pdWith(t *testing.T, cfg i2pdtest.Config, peers ...*data.RouterInfo) *i2pdtest.Router {
	t.Helper()
	for _, p := range peers {
		if _, err := i2pdtest.InstallRouterInfo(filepath.Join(cfg.DataDir, "netDb"), p.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	return i2pdtest.Start(t, cfg)
}

// i2pdRouterInfo is i2pd's router.info, parsed and verified by veil's
// data package.
func i2pdRouterInfo(t *testing.T, r *i2pdtest.Router) *data.RouterInfo {
	t.Helper()
	ri, err := data.ParseRouterInfo(readFile(t, r.RouterInfoPath()))
	if err != nil {
		t.Fatal(err)
	}
	if err := ri.Verify(); err != nil {
		t.Fatal(err)
	}
	return ri
}

// ssu2AddrPort is the host and port of ri's first published IPv4 SSU2
// address.
func ssu2AddrPort(ri *data.RouterInfo) (netip.AddrPort, bool) {
	for _, a := range ri.Addresses {
		if ip, err := netip.ParseAddr(a.Host()); a.Transport == "SSU2" && err == nil && ip.Is4() && a.Port() != 0 {
			return netip.AddrPortFrom(ip, uint16(a.Port())), true
		}
	}
	return netip.AddrPort{}, false
}

// ssu2Introducers lists the ih options of ri's SSU2 addresses.
func ssu2Introducers(ri *data.RouterInfo) []string {
	var out []string
	for _, a := range ri.Addresses {
		for i := range ssu2.MaxIntroducers {
			if h, ok := a.Options.Get("ih" + strconv.Itoa(i)); ok && a.Transport == "SSU2" {
				out = append(out, h)
			}
		}
	}
	return out
}

// introducedRI is v's RouterInfo with its SSU2 address replaced by one
// reached through ins: no host or port, caps 4.
func introducedRI(t *testing.T, v *ssu2Node, ins []ssu2.Introducer) *data.RouterInfo {
	t.Helper()
	return v.id.Resign(t, func(a *data.RouterAddress) {
		*a = data.RouterAddress{Transport: a.Transport, Cost: a.Cost, Options: transporttest.KeepOptions(a, "s", "i", "v")}
		a.Options.Set("caps", "4")
		ssu2.SetIntroducers(a, ins)
	})
}

// storeOf accepts a DatabaseStore whose key is h.
func storeOf(h data.Hash) func(*transport.Message) bool {
	return func(m *transport.Message) bool {
		return m.Type == i2np.TypeDatabaseStore && len(m.Payload) > 32 && [32]byte(m.Payload[:32]) == [32]byte(h)
	}
}

// lookupSelf is a DatabaseLookup for our own RouterInfo, answered
// directly (flags 0x08: a RouterInfo lookup, reply to us); i2pd answers
// with a DatabaseStore of the RouterInfo it holds for us.
func lookupSelf(us data.Hash) *transport.Message {
	p := append(append(append([]byte(nil), us[:]...), us[:]...), 0x08, 0, 0)
	return &transport.Message{Type: i2np.TypeDatabaseLookup, ID: uint32(time.Now().UnixNano()), Expiration: time.Now().Add(time.Minute), Payload: p}
}

// expectConsoleSSU2 waits for i2pd's console to list an SSU2 session
// with us at ip in the given direction (incoming from i2pd's view).
func expectConsoleSSU2(t *testing.T, r *i2pdtest.Router, us data.Hash, ip netip.Addr, i2pdIncoming bool) {
	t.Helper()
	var last []i2pdtest.ConsoleSession
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		ss, err := r.Transports()
		if err != nil {
			continue
		}
		last = ss
		for _, s := range ss {
			if s.Transport == "SSU2" && s.Matches(us.String(), ip) && s.Outgoing == !i2pdIncoming {
				t.Logf("i2pd console: %s %s %v outgoing=%v sent %d received %d", s.Transport, s.Peer, s.Remote, s.Outgoing, s.Sent, s.Received)
				return
			}
		}
	}
	t.Errorf("i2pd's console lists no SSU2 session with us (incoming=%v): %+v", i2pdIncoming, last)
}

// waitLogCount waits until i2pd's log holds sub at least n times.
func waitLogCount(t *testing.T, r *i2pdtest.Router, sub string, n int, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if strings.Count(r.Log(), sub) >= n {
			return
		}
	}
	t.Fatalf("i2pd did not log %q %d times within %v", sub, n, d)
}

// checkSSU2Logs fails on what i2pd logs when an SSU2 packet or block of
// ours does not check out, but for lines holding one of tolerate.
func checkSSU2Logs(t *testing.T, routers []*i2pdtest.Router, tolerate ...string) {
	t.Helper()
	bad := []string{"AEAD verification failed", "SSU2: Unexpected", "too short", "Unknown block type", "malformed",
		"signature verification failed", "nonce mismatch", "can't extract endpoint", "RelayResponse unknown nonce"}
	for _, r := range routers {
		for _, l := range strings.Split(r.Log(), "\n") {
			if !strings.Contains(l, "SSU2") || slices.ContainsFunc(tolerate, func(s string) bool { return strings.Contains(l, s) }) {
				continue
			}
			if slices.ContainsFunc(bad, func(s string) bool { return strings.Contains(l, s) }) {
				t.Errorf("i2pd %s: %s", r.Config().Host, l)
			}
		}
	}
}

// waitSessionWith waits for v's session with peer; r's log is shown if
// none comes.
func (v *ssu2Node) waitSessionWith(t *testing.T, peer data.Hash, d time.Duration, r *i2pdtest.Router) transport.Session {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case s := <-v.rec.Sessions:
			if s.Peer() == peer {
				return s
			}
		case <-deadline:
			t.Fatalf("no session with %s within %v; its log:\n%s", peer, d, grepLines(r.Log(), 80, "SSU2: Relay", "SSU2: HolePunch", "SSU2: Session", "ntroduc"))
			return nil
		}
	}
}
