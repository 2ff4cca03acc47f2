//go:build interop

package interop

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2pdtest"
)

// Limits of TestSSU2Reachability.
const (
	reachNetID    = 93
	reachVeilHost = 200
	reachVeilPort = 20200
	// reachVerdict bounds the wait for a peer-test verdict: the first
	// test runs 30 s after start, an inconclusive one is repeated a
	// minute later.
	reachVerdict = 3 * time.Minute
	// reachIntroduced bounds the wait for introducers in router.info:
	// the router looks every 30 s, dials, and publishes on the next look.
	reachIntroduced = 3 * time.Minute
	reachInbound    = 3 * time.Minute // i2pd r3 reaching veil through them
)

// firewallRules make a namespace's host drop unsolicited inbound UDP and
// TCP: what a stateful firewall in front of a router does. Replies to
// what the namespace sent (conntrack: established, related) and
// loopback pass.
const firewallRules = `table inet veilfw {
	chain input {
		type filter hook input priority 0; policy accept;
		iif "lo" accept
		ct state established,related accept
		meta l4proto { tcp, udp } drop
	}
}
`

// TestSSU2Reachability checks issue 4's reachability "Done when" with the
// veil command (the whole router) and i2pd 2.45.1 in network namespaces:
//
//   - r1 (SSU2 only) is the Bob of veil's peer tests and an introducer;
//     r0 and r2 (NTCP2 and SSU2, which veil dials by NTCP2, the cheaper
//     address) are Charlies (i2pd refuses to be Charlie for a router it
//     has an SSU2 session with);
//   - veil A, reachable, must find itself ok (`veil status --json`:
//     router.reachability). It is also the Charlie that lets r0 and r2
//     finish their own peer tests, which in a network this small only a
//     newcomer can be; that matters for what follows. A is stopped.
//   - veil B runs in a namespace whose host drops unsolicited inbound UDP
//     and TCP (nftables, conntrack). B must report itself firewalled, get
//     relay tags from i2pd routers and publish them as introducers
//     (router.info: SSU2 address with ih/itag/iexp and no host, caps U).
//     Had r0 or r2 still been testing, they would have used B as Charlie,
//     and B's answers would have opened its firewall to them, as a real
//     one would, for the test B runs next (i2pd keeps testing until a
//     test succeeds);
//   - r3, an i2pd (SSU2 only) started only then, so with no prior session,
//     and told to build its client tunnels through B (explicitPeers),
//     reaches B through an introducer: its console lists an outgoing SSU2
//     session with B, B's status an inbound one, and B takes r3's tunnel
//     build requests (transit counters).
//
// The converse, veil reaching a firewalled i2pd through a veil introducer,
// is TestSSU2RelayI2pdCharlie (veil's SSU2 transport as Bob and Alice).
// Needs root, i2pd and nft (./test installs nftables); it skips
// otherwise (fails with VEIL_REQUIRE_I2PD=1).
func TestSSU2Reachability(t *testing.T) {
	inParallel(t)
	i2pdtest.Require(t)
	nft := requireTool(t, "nft", "nftables")
	veil(t)
	t0 := time.Now()
	n := i2pdtest.NewNetwork(t, i2pdtest.NetworkConfig{})

	// 1. i2pd r0, r1, r2 (floodfills) know each other; r3 is made now
	// and started later.
	ssu2Only := map[string]string{"ntcp2.enabled": "false", "ntcp2.published": "false"}
	cfgs := make([]i2pdtest.Config, 4)
	ris := make([][]byte, 4)
	hashes := make([]string, 4)
	for i := range cfgs {
		ns, addr := n.Add("r"+strconv.Itoa(i), 30+i)
		cfgs[i] = i2pdtest.Config{DataDir: t.TempDir(), NetID: reachNetID, Netns: ns, Host: addr, Floodfill: i != 3, LogLevel: "debug"}
		if i == 1 || i == 3 {
			cfgs[i].Options = ssu2Only
		}
		r := i2pdtest.Start(t, cfgs[i])
		if err := r.WaitRouterInfo(30 * time.Second); err != nil {
			t.Fatal(err)
		}
		r.Stop()
		ris[i] = readFile(t, r.RouterInfoPath())
		h, err := i2pdtest.RouterInfoHash(ris[i])
		if err != nil {
			t.Fatal(err)
		}
		hashes[i] = h
	}
	routers := make([]*i2pdtest.Router, 4)
	for i := range 3 {
		routers[i] = startSeeded(t, cfgs[i], others(ris[:3], i)...)
	}
	waitSSU2Sessions(t, routers[1], 2, 2*time.Minute)
	t.Logf("i2pd r0 %s, r1 %s (SSU2 only), r2 %s up and r1 connected to both after %v; status %s",
		hashes[0], hashes[1], hashes[2], since(t0), i2pdStatuses(routers[:3]))

	// 2. veil H (a helper) joins: r0 and r2 use it as Charlie or Bob and
	// finish their own peer tests, which they cannot among themselves.
	// veil A then finds itself reachable.
	nsH, addrH := n.Add("veilh", reachVeilHost-1)
	h, _ := startReachVeil(t, n, nsH, addrH, ris[:3])
	if !waitI2pdTested(t, []*i2pdtest.Router{routers[0], routers[2]}, 2*time.Minute) {
		t.Fatalf("r0 and r2 still test; r0's log:\n%s", grepLines(routers[0].Log(), 30, "PeerTest", "status"))
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	nsA, addrA := n.Add("veila", reachVeilHost)
	a, dirA := startReachVeil(t, n, nsA, addrA, ris[:3])
	tA := time.Now()
	waitReachability(t, a, dirA, "ok")
	t.Logf("veil A (reachable): ok %v after start", since(tA))
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}

	// 3. veil B behind the firewall.
	nsB, addrB := n.Add("veilb", reachVeilHost+1)
	if out, err := nftCommand(n, nsB, nft, firewallRules, "-f", "-").CombinedOutput(); err != nil {
		t.Fatalf("nft: %v: %s", err, out)
	}
	b, dirB := startReachVeil(t, n, nsB, addrB, ris[:3])
	_, hashB := checkVeilTransport(t, b, dirB, addrB, "SSU2", reachVeilPort, reachNetID)
	tB := time.Now()
	waitReachability(t, b, dirB, "firewalled")
	t.Logf("veil B (behind the firewall): firewalled %v after start", since(tB))
	introduced := waitIntroduced(t, b, dirB, hashes[:3])
	t.Logf("veil B publishes introducers %v %v after start", ssu2Introducers(introduced), since(tB))

	// 4. r3, started now, reaches veil B through an introducer.
	peer := cfgs[3]
	peer.Tunnels = clientTunnel("viaveil", peer.Host, 7001, i2pdtest.B32([32]byte{1}), hashB)
	tR3 := time.Now()
	routers[3] = startSeeded(t, peer, append(ris[:3:3], introduced.Bytes())...)
	// The session r3's console shows may be the one veil B dialed back
	// once the Relay Intro gave it r3's RouterInfo (or once it looked r3
	// up to pass a tunnel message on): of two sessions to one peer each
	// side keeps one. The introduction itself is proven below, by r3's
	// Hole Punch and veil B's accepted Relay Intro and inbound session.
	s := waitConsoleSession(t, routers[3], hashB, reachInbound)
	if s.Transport != "SSU2" {
		t.Errorf("r3's session with veil B: %+v, want SSU2", s)
	}
	t.Logf("r3 reached veil B %v after it started: console %s %s %v outgoing=%v sent %d received %d", since(tR3), s.Transport, s.Peer, s.Remote, s.Outgoing, s.Sent, s.Received)
	t.Logf("r3's log:\n%s", grepLines(routers[3].Log(), 20, "SSU2: Relay", "HolePunch", "ntroducer"))
	if !routers[3].LogContains("SSU2: HolePunch") {
		t.Error("r3 logged no Hole Punch: not introduced?")
	}
	// veil B's side: a Relay Intro for r3's address, then r3's session.
	// (veil may also dial r3 once it has its RouterInfo, from the intro;
	// the Manager then keeps one of the two sessions.)
	st := waitVeilSession(t, dirB, hashes[3], 30*time.Second)
	ev := grepLines(b.log(), 20, `alice=`+cfgs[3].Host+`:`, `peer="`+hashes[3]+`" transport=SSU2`)
	t.Logf("veil B's log on r3:\n%s", ev)
	if !regexp.MustCompile(`relay as Charlie.* code=0 alice=`+regexp.QuoteMeta(cfgs[3].Host)).MatchString(ev) ||
		!strings.Contains(ev, `peer="`+hashes[3]+`" transport=SSU2 direction=in`) {
		t.Error("veil B logged no accepted Relay Intro for r3, or no inbound SSU2 session from r3")
	}
	tr := veilTransit(t, dirB)
	if tr.Counters.Requests == 0 {
		t.Errorf("veil B took no tunnel build request from r3: %+v", tr.Counters)
	}
	t.Logf("veil B: session %s %s from %s; transit counters %+v", st.Transport, st.Direction, st.Address, tr.Counters)
	// Tolerated: "Unexpected message type": a packet for a connection
	// i2pd no longer knows, after a simultaneous dial (see
	// TestSSU2PrivateNetwork) or when veil's new session for a relay tag
	// replaced an old one that still sent its last packets. "RelayResponse
	// unknown nonce": a Bob got a second copy of a Relay Response it had
	// passed on (content of a packet veil thought lost goes again in a
	// new one, as the spec has it).
	checkSSU2Logs(t, routers, "Unexpected message type", "RelayResponse unknown nonce")
	t.Logf("total %v", since(t0))
}

// startReachVeil starts the veil router at addr in namespace ns, its
// netDb seeded with ris, and returns it with its data folder.
func startReachVeil(t *testing.T, n *i2pdtest.Network, ns, addr string, ris [][]byte) (*veilRun, string) {
	t.Helper()
	dir := t.TempDir()
	for _, ri := range ris {
		if _, err := i2pdtest.InstallRouterInfo(filepath.Join(dir, "netDb"), ri); err != nil {
			t.Fatal(err)
		}
	}
	v := startVeilNetns(t, n, ns, "--datadir="+dir, "--host="+addr, "--port="+strconv.Itoa(reachVeilPort),
		"--netid="+strconv.Itoa(reachNetID), "--ntcp2.published=true", "--ssu2.published=true", "--loglevel=debug", "--reseed.threshold=0")
	if _, err := v.waitLog(hashLine, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return v, dir
}

var i2pdStatus = regexp.MustCompile(`Network status:</b> ([A-Za-z]+)`)

// i2pdStatuses lists the routers' network status, as their consoles
// show it.
func i2pdStatuses(routers []*i2pdtest.Router) string {
	var out []string
	for _, r := range routers {
		st := "?"
		if page, err := r.ConsoleGet("/"); err == nil {
			if m := i2pdStatus.FindStringSubmatch(page); m != nil {
				st = m[1]
			}
		}
		out = append(out, r.Config().Host+" "+st)
	}
	return strings.Join(out, ", ")
}

// waitI2pdTested waits up to d for every router to be done with its
// own peer tests (i2pd repeats them while its status is Testing), and
// reports whether they are.
func waitI2pdTested(t *testing.T, routers []*i2pdtest.Router, d time.Duration) bool {
	t.Helper()
	got := ""
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		if got = i2pdStatuses(routers); !strings.Contains(got, "Testing") && !strings.Contains(got, "?") {
			t.Logf("i2pd network status: %s", got)
			return true
		}
	}
	t.Logf("i2pd network status after %v: %s", d, got)
	return false
}

// requireTool returns the path of the command name (Debian package
// pkg), or skips the test (fails it with VEIL_REQUIRE_I2PD=1).
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	for _, p := range []string{name, "/usr/sbin/" + name, "/sbin/" + name} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("VEIL_REQUIRE_I2PD") == "1" {
		t.Fatalf("%s (Debian package %s) is not installed; ./test installs nftables as root", name, pkg)
	}
	t.Skipf("%s (Debian package %s) is not installed", name, pkg)
	return ""
}

// nftCommand runs nft args in namespace ns with stdin.
func nftCommand(n *i2pdtest.Network, ns, nft, stdin string, args ...string) *exec.Cmd {
	cmd := n.Command(ns, nft, args...)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// waitSSU2Sessions waits for r's console to list at least k SSU2
// sessions; it only logs when they do not come.
func waitSSU2Sessions(t *testing.T, r *i2pdtest.Router, k int, d time.Duration) {
	t.Helper()
	var got []i2pdtest.ConsoleSession
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		got = got[:0]
		ss, _ := r.Transports()
		for _, s := range ss {
			if s.Transport == "SSU2" {
				got = append(got, s)
			}
		}
		if len(got) >= k {
			return
		}
	}
	t.Logf("r %s has %d SSU2 sessions after %v, want %d: %+v", r.Config().Host, len(got), d, k, got)
}

// waitReachability polls `veil status --json` until router.reachability
// is want.
func waitReachability(t *testing.T, v *veilRun, dir, want string) {
	t.Helper()
	got := ""
	for deadline := time.Now().Add(reachVerdict); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		if st, err := veilStatusOf(t, dir); err == nil {
			if got = st.Router.Reachability; got == want {
				t.Logf("veil's peer tests:\n%s", grepLines(v.log(), 10, `ssu2: peer test"`, "ssu2: reachability"))
				return
			}
		}
	}
	t.Fatalf("veil reachability %q after %v, want %q; its peer tests:\n%s", got, reachVerdict, want,
		grepLines(v.log(), 30, "ssu2: peer test", "Peer Test", "ssu2: reachability"))
}

// waitIntroduced waits for veil's router.info to publish its SSU2
// address through introducers among the routers of hashes, without host
// and port, and returns it.
func waitIntroduced(t *testing.T, v *veilRun, dir string, hashes []string) *data.RouterInfo {
	t.Helper()
	var ri *data.RouterInfo
	for deadline := time.Now().Add(reachIntroduced); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		b, err := os.ReadFile(filepath.Join(dir, "router.info"))
		if err != nil {
			continue
		}
		if ri, err = data.ParseRouterInfo(b); err != nil || ri.Verify() != nil {
			continue
		}
		ins := ssu2Introducers(ri)
		if _, direct := ssu2AddrPort(ri); len(ins) == 0 || direct {
			continue
		}
		for _, h := range ins {
			if !strings.Contains(strings.Join(hashes, " "), h) {
				t.Fatalf("veil publishes introducer %s, not one of the i2pd routers %v", h, hashes)
			}
		}
		if !strings.Contains(ri.Caps(), "U") {
			t.Errorf("firewalled veil publishes caps %q, want U", ri.Caps())
		}
		for _, a := range ri.Addresses {
			if a.Host() != "" {
				t.Errorf("firewalled veil publishes %s at %s", a.Transport, a.Host())
			}
		}
		return ri
	}
	t.Fatalf("veil published no introducers within %v; its log:\n%s", reachIntroduced,
		grepLines(v.log(), 40, "introducer", "RouterInfo", "Relay", "relay tag"))
	return nil
}

// waitConsoleSession waits for r's console to list a session with the
// router of hash.
func waitConsoleSession(t *testing.T, r *i2pdtest.Router, hash string, d time.Duration) i2pdtest.ConsoleSession {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		ss, _ := r.Transports()
		for _, s := range ss {
			if strings.HasPrefix(hash, s.Peer) {
				return s
			}
		}
	}
	t.Fatalf("%s lists no session with %s within %v; its log:\n%s", r.Config().Host, hash, d,
		grepLines(r.Log(), 60, "SSU2: Relay", "HolePunch", "ntroducer", "SSU2: Session", "Tunnel"))
	return i2pdtest.ConsoleSession{}
}

// waitVeilSession waits for `veil status --json` to list a session with
// the router of hash.
func waitVeilSession(t *testing.T, dir, hash string, d time.Duration) veilSession {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(time.Second) {
		if st, err := veilStatusOf(t, dir); err == nil {
			for _, s := range st.Transports {
				if s.Peer == hash {
					return s
				}
			}
		}
	}
	t.Fatalf("veil lists no session with %s within %v", hash, d)
	return veilSession{}
}
