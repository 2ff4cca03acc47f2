//go:build interop

package interop

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/ssu2"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// TestSSU2PeerTestI2pd runs peer tests with i2pd 2.45.1 (NTCP2 off) in
// network namespaces: veil's SSU2 transport is Alice, i2pd r1 Bob and
// i2pd r2 Charlie (r1 and r2 know each other and hold a session); veil,
// reachable, must hear Charlie's message 5 and conclude OK. Then veil's
// socket is put behind a stateful firewall (packets only from addresses
// it sent to): message 5 is lost, message 7 answers veil's message 6,
// and veil concludes firewalled.
func TestSSU2PeerTestI2pd(t *testing.T) {
	inParallel(t)
	n := ssu2Network(t)
	const netID = 96
	bobCfg, bob := newSSU2I2pd(t, n, "r1", 11, netID, true)
	charlieCfg, charlie := newSSU2I2pd(t, n, "r2", 12, netID, true)
	bobR, charlieR := startI2pdWith(t, bobCfg, charlie), startI2pdWith(t, charlieCfg, bob)
	// i2pd connects to the other router a minute or so after it starts;
	// until then Bob has no Charlie (code 2).
	if _, err := bobR.WaitLog("SSU2: PeerTest msg=1 sent to", 120*time.Second); err != nil {
		t.Logf("Bob and Charlie: %v", err)
	}
	bobAP, _ := ssu2AddrPort(bob)

	for _, tc := range []struct {
		name     string
		host     int
		firewall bool
		want     ssu2.Reachability
	}{{"reachable", 200, false, ssu2.ReachOK}, {"firewalled", 201, true, ssu2.ReachFirewalled}} {
		t.Run(tc.name, func(t *testing.T) {
			ns, addr := n.Add("veil"+strconv.Itoa(tc.host), tc.host)
			var fw *transporttest.FirewallConn
			var wrap func(net.PacketConn) net.PacketConn
			if tc.firewall {
				wrap = transporttest.Behind(&fw)
			}
			v := startSSU2Node(t, n, ns, addr, netID, "", wrap, nil)
			v.db.Put(bob)
			v.db.Put(charlie)
			v.dial(t, bob)
			var r ssu2.Reachability
			var err error
			for try := range 10 { // Bob picks a Charlie only once it has a session with one
				// i2pd may have picked us as Charlie for its own tests,
				// and our message 5 opened the firewall to Charlie:
				// close it again, as a NAT's mapping would expire.
				if fw != nil {
					fw.Forget(bobAP.String())
				}
				r, err = v.tr.TestReachability(t.Context(), false)
				t.Logf("peer test %d through i2pd Bob: %v, %v", try, r, err)
				if err == nil && r != ssu2.ReachUnknown {
					break
				}
				time.Sleep(3 * time.Second)
			}
			if err != nil || r != tc.want {
				t.Fatalf("got %v, %v; want %v\nBob's log:\n%s\nCharlie's log:\n%s", r, err, tc.want,
					grepLines(bobR.Log(), 80, "PeerTest"), grepLines(charlieR.Log(), 80, "PeerTest"))
			}
			t.Logf("Charlie's log:\n%s", grepLines(charlieR.Log(), 80, "PeerTest"))
		})
	}
}

// TestSSU2RelayI2pd: veil's SSU2 transport is a firewalled Charlie (its
// socket takes packets only from addresses it sent to) with i2pd 2.45.1
// as Bob and as Alice, NTCP2 off, in network namespaces.
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
//
// TestSSU2Reachability does the same with the veil command behind a
// kernel firewall.
func TestSSU2RelayI2pd(t *testing.T) {
	inParallel(t)
	n := ssu2Network(t)
	const netID = 95
	bobCfg, bobRI := newSSU2I2pd(t, n, "r1", 11, netID, false)
	bob := startI2pdWith(t, bobCfg)
	ns, addr := n.Add("veil", 200)
	var fw *transporttest.FirewallConn
	v := startSSU2Node(t, n, ns, addr, netID, "XfR", transporttest.Behind(&fw), func(c *ssu2.Config) { c.Firewalled = true })
	v.ri.Store(introducedRI(t, v, nil)) // unpublished: caps 4, no host
	v.dial(t, bobRI)
	ins := v.tr.Introducers(false)
	if len(ins) != 1 || ins[0].Router != bobRI.Hash() {
		t.Fatalf("introducers %+v; i2pd Bob's log:\n%s", ins, grepLines(bob.Log(), 80, "SSU2: Relay"))
	}
	t.Logf("i2pd Bob gave relay tag %d", ins[0].Tag)
	published := introducedRI(t, v, ins)
	v.ri.Store(published)

	aliceCfg, aliceRI := newSSU2I2pd(t, n, "r2", 12, netID, false)
	v.db.Put(aliceRI)
	alice := startI2pdWith(t, aliceCfg, bobRI, published)
	s := v.waitSessionWith(t, aliceRI.Hash(), 150*time.Second, alice)
	if s.Direction() != transport.Inbound {
		t.Fatalf("session with i2pd Alice is %v", s.Direction())
	}
	t.Logf("i2pd Alice reached veil through i2pd Bob: session from %v\nAlice's log:\n%s\nBob's log:\n%s", s.RemoteAddr(),
		grepLines(alice.Log(), 80, "SSU2: Relay", "SSU2: HolePunch"), grepLines(bob.Log(), 80, "SSU2: Relay"))
	if !bob.LogContains("SSU2: RelayRequest") || !alice.LogContains("SSU2: HolePunch") {
		t.Error("i2pd Bob logged no Relay Request, or i2pd Alice no Hole Punch")
	}
	v.rec.WaitMessage(t, 60*time.Second, storeOf(aliceRI.Hash()))
	t.Log("i2pd Alice's DatabaseStore of her RouterInfo arrived over the introduced session")
	expectConsoleSSU2(t, alice, v.id.RouterInfo().Hash(), netip.MustParseAddr(addr), false)
	checkSSU2Logs(t, []*i2pdtest.Router{bob, alice})
}

// TestSSU2RelayI2pdCharlie: i2pd 2.45.1 (r1) is a firewalled Charlie
// with veil's SSU2 transport as Bob and as Alice. i2pd believes it is
// firewalled the way a real one finds out: its peer test through veil
// Bob (B1) gets message 4 but never message 5, because veil Charlie (C)
// cannot reach it (C's socket drops what it sends to r1, as r1's
// firewall would). i2pd then asks the only introducer it knows, veil Bob
// (B2, caps C), for a relay tag and publishes it; veil Alice (A), who
// has never talked to r1, dials that RouterInfo: Relay Request to B2,
// Relay Intro to r1, r1's Hole Punch to A and Relay Response through B2,
// then A's Session Request with r1's token. The session carries a
// DatabaseLookup that r1 answers.
func TestSSU2RelayI2pdCharlie(t *testing.T) {
	inParallel(t)
	n := ssu2Network(t)
	const netID = 94
	cfg := ssu2OnlyI2pd(t, n, "r1", 11, netID, false)
	i2pdIP := netip.MustParseAddr(cfg.Host)
	node := func(name string, host int, caps string, wrap func(net.PacketConn) net.PacketConn, mod func(*ssu2.Config)) *ssu2Node {
		ns, addr := n.Add(name, host)
		v := startSSU2Node(t, n, ns, addr, netID, "XR", wrap, mod)
		v.ri.Store(v.id.Resign(t, func(a *data.RouterAddress) {
			if a.Options.Delete("caps"); caps != "" {
				a.Options.Set("caps", caps)
			}
		}))
		return v
	}
	b1 := node("b1", 201, "B", nil, nil)
	b2 := node("b2", 202, "C", nil, func(c *ssu2.Config) { c.Introduce = true })
	c := node("c", 203, "", func(pc net.PacketConn) net.PacketConn { return dropTo{PacketConn: pc, ip: i2pdIP} }, nil)
	a := node("a", 204, "", nil, nil)
	c.dial(t, b1.ri.Load()) // B1's Charlie
	a.db.Put(b2.ri.Load())
	r1 := startI2pdWith(t, cfg, b1.ri.Load(), b2.ri.Load())

	// r1 publishes its introducer once its introducer timer has run
	// twice after the peer test: about 45 s.
	var published *data.RouterInfo
	for deadline := time.Now().Add(150 * time.Second); published == nil; time.Sleep(2 * time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("i2pd published no introducer; its log:\n%s", grepLines(r1.Log(), 80, "PeerTest", "Peer test", "SSU2: Relay", "ntroducer", "status"))
		}
		ri := i2pdRouterInfo(t, r1)
		if _, direct := ssu2AddrPort(ri); len(ssu2Introducers(ri)) > 0 && !direct {
			published = ri
		}
	}
	t.Logf("i2pd, firewalled by its peer test through veil, publishes introducers %v", ssu2Introducers(published))
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	s, err := a.tr.Dial(ctx, published)
	if err != nil {
		t.Fatalf("dial through veil Bob: %v\ni2pd log:\n%s", err, grepLines(r1.Log(), 80, "SSU2: Relay", "HolePunch", "SSU2: Session"))
	}
	t.Logf("veil Alice reached i2pd Charlie through veil Bob in %v: session to %v\ni2pd's log:\n%s",
		time.Since(start).Round(time.Millisecond), s.RemoteAddr(), grepLines(r1.Log(), 80, "SSU2: Relay", "HolePunch"))
	us := a.id.RouterInfo().Hash()
	if err := s.Send(lookupSelf(us), transport.PriorityHigh); err != nil {
		t.Fatal(err)
	}
	a.rec.WaitMessage(t, 20*time.Second, storeOf(us))
	t.Log("i2pd answered veil Alice's DatabaseLookup over the introduced session")
	aAP, _ := ssu2AddrPort(a.ri.Load())
	expectConsoleSSU2(t, r1, us, aAP.Addr(), true)
	checkSSU2Logs(t, []*i2pdtest.Router{r1})
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
