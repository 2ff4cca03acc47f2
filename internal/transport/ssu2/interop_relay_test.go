//go:build interop && linux

package ssu2

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/transport"
)

// TestInteropRelay: veil is a firewalled Charlie (its socket takes
// packets only from addresses it sent to) with i2pd 2.45.1 as Bob and
// as Alice, NTCP2 off, in network namespaces.
//
//  1. veil dials i2pd Bob (r1) asking for a relay tag in its Session
//     Request and gets one in Session Created.
//  2. veil's RouterInfo, a floodfill reached only through r1 (ih0, itag0,
//     iexp0, caps 4, no host), is installed in i2pd Alice's (r2) netDb;
//     r2 starts and, to publish its RouterInfo to that floodfill, sends a
//     Relay Request to r1, which sends veil r2's RouterInfo and a Relay
//     Intro; veil sends r2 a Hole Punch and r1 a Relay Response.
//  3. r2's Session Request with veil's token passes veil's firewall: the
//     session is up, r2's DatabaseStore arrives over it, and r2's
//     console lists it.
func TestInteropRelay(t *testing.T) {
	n := interopNetwork(t)
	const netID = 95
	bobCfg, bobRI := newI2pd(t, n, "r1", 11, netID, false)
	bob := startI2pd(t, bobCfg)
	ns, addr := n.Add("veil", 200)
	var fw *firewallConn
	v := startNetnsNode(t, n, ns, addr, 12345, netID, "XfR", behindFirewall(&fw), func(c *Config) { c.Firewalled = true })
	v.ri.Store(introducedRI(t, v.id, nil)) // unpublished: caps 4, no host
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := v.tr.Dial(ctx, bobRI); err != nil {
		t.Fatal(err)
	}
	ins := v.tr.Introducers(false)
	if len(ins) != 1 || ins[0].Router != bobRI.Hash() {
		t.Fatalf("introducers %+v; i2pd Bob's log:\n%s", ins, grepLines(bob.Log(), "SSU2: Relay"))
	}
	t.Logf("i2pd Bob gave relay tag %d", ins[0].Tag)
	published := introducedRI(t, v.id, ins)
	v.ri.Store(published)

	aliceCfg, aliceRI := newI2pd(t, n, "r2", 12, netID, false)
	v.db.put(aliceRI)
	alice := startI2pd(t, aliceCfg, bobRI, published)
	s := waitSessionWith(t, v, aliceRI.Hash(), 150*time.Second, alice)
	if s.Direction() != transport.Inbound {
		t.Fatalf("session with i2pd Alice is %v", s.Direction())
	}
	t.Logf("i2pd Alice reached veil through i2pd Bob: session from %v\nAlice's log:\n%s\nBob's log:\n%s", s.RemoteAddr(),
		grepLines(alice.Log(), "SSU2: Relay", "SSU2: HolePunch"), grepLines(bob.Log(), "SSU2: Relay"))
	if !bob.LogContains("SSU2: RelayRequest") || !alice.LogContains("SSU2: HolePunch") {
		t.Error("i2pd Bob logged no Relay Request, or i2pd Alice no Hole Punch")
	}
	ah := aliceRI.Hash()
	waitMessage(t, v.rec, 60*time.Second, func(m *transport.Message) bool {
		return m.Type == 1 && len(m.Payload) > 32 && [32]byte(m.Payload[:32]) == [32]byte(ah)
	})
	t.Log("i2pd Alice's DatabaseStore of her RouterInfo arrived over the introduced session")
	expectSSU2Session(t, alice, v.id.RouterInfo().Hash(), netip.MustParseAddr(addr), false)
	checkRelayLogs(t, bob, alice)
}

// TestInteropRelayI2pdCharlie: i2pd 2.45.1 (r1) is a firewalled Charlie
// with veil as Bob and as Alice. i2pd believes it is firewalled the
// way a real one finds out: its peer test through veil Bob (B1) gets
// message 4 but never message 5, because veil Charlie (C) cannot reach
// it (C's socket drops what it sends to r1, as r1's firewall would).
// i2pd then asks the only introducer it knows, veil Bob (B2, caps C),
// for a relay tag and publishes it; veil Alice (A), who has never
// talked to r1, dials that RouterInfo: Relay Request to B2, Relay Intro
// to r1, r1's Hole Punch to A and Relay Response through B2, then A's
// Session Request with r1's token. The session carries a DatabaseLookup
// that r1 answers.
func TestInteropRelayI2pdCharlie(t *testing.T) {
	n := interopNetwork(t)
	const netID = 94
	cfg, _ := newI2pd(t, n, "r1", 11, netID, false)
	i2pdIP := netip.MustParseAddr(cfg.Host)
	node := func(name string, host int, caps string, wrap func(net.PacketConn) net.PacketConn, mod func(*Config)) *netnsNode {
		ns, addr := n.Add(name, host)
		v := startNetnsNode(t, n, ns, addr, 12345, netID, "XR", wrap, mod)
		v.ri.Store(resignRI(t, v.id, func(a *data.RouterAddress) {
			if a.Options.Delete("caps"); caps != "" {
				a.Options.Set("caps", caps)
			}
		}))
		return v
	}
	b1 := node("b1", 201, "B", nil, nil)
	b2 := node("b2", 202, "C", nil, func(c *Config) { c.Introduce = true })
	c := node("c", 203, "", func(pc net.PacketConn) net.PacketConn { return dropTo{PacketConn: pc, ip: i2pdIP} }, nil)
	a := node("a", 204, "", nil, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if _, err := c.tr.Dial(ctx, b1.ri.Load()); err != nil { // B1's Charlie
		t.Fatal(err)
	}
	a.db.put(b2.ri.Load())
	r1 := startI2pd(t, cfg, b1.ri.Load(), b2.ri.Load())

	// r1 publishes its introducer once its introducer timer has run
	// twice after the peer test: about 45 s.
	var published *data.RouterInfo
	for deadline := time.Now().Add(150 * time.Second); published == nil; time.Sleep(2 * time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("i2pd published no introducer; its log:\n%s", grepLines(r1.Log(), "PeerTest", "Peer test", "SSU2: Relay", "ntroducer", "status"))
		}
		ri := readI2pdRouterInfo(t, r1)
		if addrs := introducedAddrs(ri, true, false); len(addrs) > 0 && len(dialAddrs(ri, true, false)) == 0 {
			published = ri
		}
	}
	t.Logf("i2pd, firewalled by its peer test through veil, publishes introducers %+v", introducedAddrs(published, true, false)[0].intro)
	start := time.Now()
	s, err := a.tr.Dial(ctx, published)
	if err != nil {
		t.Fatalf("dial through veil Bob: %v\ni2pd log:\n%s", err, grepLines(r1.Log(), "SSU2: Relay", "HolePunch", "SSU2: Session"))
	}
	t.Logf("veil Alice reached i2pd Charlie through veil Bob in %v: session to %v\ni2pd's log:\n%s",
		time.Since(start).Round(time.Millisecond), s.RemoteAddr(), grepLines(r1.Log(), "SSU2: Relay", "HolePunch"))
	us := a.id.RouterInfo().Hash()
	if err := s.Send(lookupSelf(us), transport.PriorityHigh); err != nil {
		t.Fatal(err)
	}
	waitMessage(t, a.rec, 20*time.Second, func(m *transport.Message) bool {
		return m.Type == 1 && len(m.Payload) > 32 && [32]byte(m.Payload[:32]) == [32]byte(us)
	})
	t.Log("i2pd answered veil Alice's DatabaseLookup over the introduced session")
	expectSSU2Session(t, r1, us, netip.MustParseAddr(a.ri.Load().Addresses[0].Host()), true)
	checkRelayLogs(t, r1)
}

// dropTo is a PacketConn that silently drops what it sends to ip.
type dropTo struct {
	net.PacketConn
	ip netip.Addr
}

func (d dropTo) WriteTo(b []byte, to net.Addr) (int, error) {
	if ua, ok := to.(*net.UDPAddr); ok && ua.AddrPort().Addr().Unmap() == d.ip {
		return len(b), nil
	}
	return d.PacketConn.WriteTo(b, to)
}

// waitSessionWith waits for v's session with peer; r's log is shown if
// none comes.
func waitSessionWith(t *testing.T, v *netnsNode, peer data.Hash, d time.Duration, r *i2pdtest.Router) transport.Session {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case s := <-v.rec.Sessions:
			if s.Peer() == peer {
				return s
			}
		case <-deadline:
			t.Fatalf("no session with %s within %v; its log:\n%s", peer, d, grepLines(r.Log(), "SSU2: Relay", "SSU2: HolePunch", "SSU2: Session", "ntroduc"))
			return nil
		}
	}
}

// checkRelayLogs fails on what i2pd logs when a relay message of ours
// does not check out.
func checkRelayLogs(t *testing.T, routers ...*i2pdtest.Router) {
	t.Helper()
	for _, r := range routers {
		for _, l := range strings.Split(r.Log(), "\n") {
			for _, bad := range []string{"signature verification failed", "AEAD verification failed", "nonce mismatch", "can't extract endpoint", "RelayResponse unknown nonce"} {
				if strings.Contains(l, bad) && strings.Contains(l, "SSU2") {
					t.Errorf("i2pd: %s", l)
				}
			}
		}
	}
}
