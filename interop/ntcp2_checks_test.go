//go:build interop

package interop

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
)

// privateNet is the network of TestNTCP2PrivateNetwork and
// TestSSU2PrivateNetwork: veil and i2pd routers r0 (client), r1, r2
// (floodfills), speaking one transport, style.
type privateNet struct {
	t        *testing.T
	style    string // "NTCP2" or "SSU2"
	netID    int
	veilHost int // veil's address is 198.18.0.<veilHost>
	veilPort int
	veil     *veilRun
	veilDir  string
	veilHash string
	veilIP   netip.Addr
	i2pd     []*i2pdtest.Router
	hashes   []string // i2pd routers' hashes, computed by the test
	ris      [][]byte // their RouterInfos from the first start
}

// privateNetSpec shapes a privateNet: its transport, network id and
// addresses, what i2pd is told besides i2pdtest's defaults, and veil's
// arguments besides datadir, host, port, netid and logging.
type privateNetSpec struct {
	style                        string
	netID                        int
	veilHost, veilPort, i2pdPort int
	i2pdOptions                  map[string]string
	veilArgs                     []string
}

// startPrivateNet builds the network of the transport tests in network
// namespaces on 198.18.0.0/24 (i2pd 2.45.1 drops peers on loopback and
// RFC 1918 addresses):
//
//  1. each i2pd starts once on an empty netDb, for its identity and
//     RouterInfo (checked to publish sp.style only);
//  2. the floodfills r1, r2 start, each seeded with the other i2pd
//     routers;
//  3. veil starts at 198.18.0.<veilHost>, its netDb seeded with the
//     floodfills only;
//  4. r0 starts knowing veil and the floodfills from its reseed zip.
//
// Why r0 is not in veil's netDb: veil dials every router it knows, so
// with all three seeded no i2pd would need to dial veil; knowing r1 and
// r2 only, veil dials those and r0 dials in. It returns the network and
// when r0 was up.
func startPrivateNet(t *testing.T, sp privateNetSpec) (*privateNet, time.Time) {
	t.Helper()
	t0 := time.Now()
	n := i2pdtest.NewNetwork(t, i2pdtest.NetworkConfig{})
	cfgs := make([]i2pdtest.Config, 3)
	ris := make([][]byte, 3)
	hashes := make([]string, 3)
	for i := range cfgs {
		ns, addr := n.Add(fmt.Sprintf("r%d", i), 11+i)
		cfgs[i] = i2pdtest.Config{DataDir: t.TempDir(), NetID: sp.netID, Netns: ns, Host: addr, Port: sp.i2pdPort,
			Floodfill: i > 0, Options: sp.i2pdOptions}
		r := i2pdtest.Start(t, cfgs[i])
		if err := r.WaitRouterInfo(30 * time.Second); err != nil {
			t.Fatal(err)
		}
		r.Stop()
		ris[i], hashes[i] = checkI2pdTransport(t, r, sp.style, sp.netID)
	}
	t.Logf("i2pd identities after %v: r0 %s (client), r1 %s, r2 %s (floodfills)", since(t0), hashes[0], hashes[1], hashes[2])

	routers := make([]*i2pdtest.Router, 3)
	for _, i := range []int{1, 2} {
		routers[i] = startSeeded(t, cfgs[i], others(ris, i)...)
	}

	nsV, addrV := n.Add("veil", sp.veilHost)
	vdir := t.TempDir()
	for _, i := range []int{1, 2} {
		if _, err := i2pdtest.InstallRouterInfo(filepath.Join(vdir, "netDb"), ris[i]); err != nil {
			t.Fatal(err)
		}
	}
	args := append([]string{"--datadir=" + vdir, "--host=" + addrV, "--port=" + strconv.Itoa(sp.veilPort),
		"--netid=" + strconv.Itoa(sp.netID), "--loglevel=debug",
		"--reseed.threshold=0"}, // the test seeds veil's netDb; never reseed
		sp.veilArgs...)
	v := startVeilNetns(t, n, nsV, args...)
	if _, err := v.waitLog(regexp.MustCompile(`msg="router running"`), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	veilRI, veilHash := checkVeilTransport(t, v, vdir, addrV, sp.style, sp.veilPort, sp.netID)
	t.Logf("veil %s up at %s:%d (%s) after %v", veilHash, addrV, sp.veilPort, sp.style, since(t0))

	routers[0] = startSeeded(t, cfgs[0], ris[1], ris[2], veilRI)
	if _, err := routers[0].WaitLog("NetDb: RouterInfo added: "+veilHash, 30*time.Second); err != nil {
		t.Fatalf("r0 did not accept veil's RouterInfo from its reseed zip: %v", err)
	}
	t.Logf("r0 up, veil's RouterInfo verified by i2pd, after %v", since(t0))
	return &privateNet{t: t, style: sp.style, netID: sp.netID, veilHost: sp.veilHost, veilPort: sp.veilPort,
		veil: v, veilDir: vdir, veilHash: veilHash, veilIP: netip.MustParseAddr(addrV),
		i2pd: routers, hashes: hashes, ris: ris}, time.Now()
}

// netSnapshot is one look at both sides.
type netSnapshot struct {
	at     time.Time
	veil   []veilSession             // veil's session with i2pd i (zero: none)
	i2pd   []i2pdtest.ConsoleSession // i2pd i's session with veil (zero: none)
	events int                       // veil's session-change log lines so far
}

// snapshot asks veil (`veil status --json`) and every i2pd console. It
// returns what is not (yet) as the test wants it; err is a failure to
// ask at all.
func (tn *privateNet) snapshot() (s *netSnapshot, missing []string, err error) {
	st, err := veilStatusOf(tn.t, tn.veilDir)
	if err != nil {
		return nil, nil, err
	}
	byPeer, err := st.sessionsByPeer()
	if err != nil {
		return nil, nil, err
	}
	if st.Router.Hash != tn.veilHash || st.Router.NetID != tn.netID {
		return nil, nil, fmt.Errorf("veil status: router %s netid %d, want %s netid %d", st.Router.Hash, st.Router.NetID, tn.veilHash, tn.netID)
	}
	s = &netSnapshot{at: time.Now(), veil: make([]veilSession, len(tn.i2pd)),
		i2pd:   make([]i2pdtest.ConsoleSession, len(tn.i2pd)),
		events: len(tn.veil.sessionEvents())}
	dirs := map[string]int{}
	for i, r := range tn.i2pd {
		name := fmt.Sprintf("r%d", i)
		cfg := r.Config()
		i2pdEP := netip.AddrPortFrom(netip.MustParseAddr(cfg.Host), uint16(cfg.Port))
		vs, ok := byPeer[tn.hashes[i]]
		if !ok {
			missing = append(missing, "veil status lists no session with "+name)
		} else {
			s.veil[i] = vs
			dirs[vs.Direction]++
			if vs.Transport != tn.style || (vs.Direction != "in" && vs.Direction != "out") {
				return nil, nil, fmt.Errorf("veil status: session with %s: transport %q direction %q", name, vs.Transport, vs.Direction)
			}
		}
		list, err := r.Transports()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		var withVeil []i2pdtest.ConsoleSession
		for _, c := range list {
			if c.Matches(tn.veilHash, tn.veilIP) {
				withVeil = append(withVeil, c)
			}
		}
		switch {
		case len(withVeil) == 0:
			missing = append(missing, name+"'s transports page does not list veil")
			continue
		case len(withVeil) > 1:
			missing = append(missing, fmt.Sprintf("%s lists %d sessions with veil: %+v", name, len(withVeil), withVeil))
			continue
		}
		c := withVeil[0]
		s.i2pd[i] = c
		if c.Transport != tn.style {
			return nil, nil, fmt.Errorf("%s lists veil under %s", name, c.Transport)
		}
		if !ok {
			continue
		}
		// Both ends must describe the same connection: the dialler
		// names the listener's address, the listener sees the dialler's
		// namespace address with some source port (SSU2: the port it
		// listens on, its only socket).
		veilEP := netip.AddrPortFrom(tn.veilIP, uint16(tn.veilPort))
		switch {
		case vs.Direction == "out" && (c.Outgoing || vs.Address != i2pdEP.String()):
			missing = append(missing, fmt.Sprintf("%s: veil dialled %s but i2pd shows outgoing=%v", name, vs.Address, c.Outgoing))
		case vs.Direction == "in" && (!c.Outgoing || c.Remote != veilEP || !strings.HasPrefix(vs.Address, cfg.Host+":")):
			missing = append(missing, fmt.Sprintf("%s: veil accepted from %s but i2pd shows outgoing=%v to %v", name, vs.Address, c.Outgoing, c.Remote))
		}
	}
	if dirs["in"] == 0 || dirs["out"] == 0 {
		missing = append(missing, fmt.Sprintf("veil's sessions by direction: %v, want both in and out", dirs))
	}
	return s, missing, nil
}

// netDbMissing returns which RouterInfo files are not (yet) where they
// should be: each i2pd's in veil's netDb folder, veil's in each i2pd's.
// A file is checked by parsing it and hashing its identity.
func (tn *privateNet) netDbMissing() []string {
	var missing []string
	check := func(what, path, hash string) {
		b, err := os.ReadFile(path)
		if err != nil {
			missing = append(missing, what+": "+err.Error())
			return
		}
		if got, err := i2pdtest.RouterInfoHash(b); err != nil || got != hash {
			tn.t.Fatalf("%s: %s holds a RouterInfo of %s (%v), want %s", what, path, got, err, hash)
		}
		if _, err := i2pdtest.ParseRouterInfo(b); err != nil {
			tn.t.Fatalf("%s: %s: %v", what, path, err)
		}
	}
	for i, h := range tn.hashes {
		check(fmt.Sprintf("r%d's RouterInfo in veil's netDb", i), i2pdtest.NetDbFile(filepath.Join(tn.veilDir, "netDb"), h), h)
	}
	for i, r := range tn.i2pd {
		check(fmt.Sprintf("veil's RouterInfo in r%d's netDb", i), i2pdtest.NetDbFile(r.NetDbPath(), tn.veilHash), tn.veilHash)
	}
	return missing
}

// waitConnected polls every second until the sessions and the netDb
// folders are as wanted, or fails the test at deadline.
func (tn *privateNet) waitConnected(deadline time.Time) *netSnapshot {
	t := tn.t
	t.Helper()
	start := time.Now()
	var sessionsAt, netDbAt time.Duration
	for {
		s, missing, err := tn.snapshot()
		if err != nil {
			t.Fatalf("%v\n%s", err, tn.diagnose())
		}
		if len(missing) == 0 && sessionsAt == 0 {
			sessionsAt = since(start)
			t.Logf("sessions both ways after %v:\n%s", sessionsAt, tn.describe(s))
		}
		dbMissing := tn.netDbMissing()
		if len(dbMissing) == 0 && netDbAt == 0 {
			netDbAt = since(start)
			t.Logf("RouterInfos in every netDb folder after %v", netDbAt)
		}
		if len(missing)+len(dbMissing) == 0 {
			tn.logRouterInfoCopies()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v still:\n  %s\n%s", since(start), strings.Join(append(missing, dbMissing...), "\n  "), tn.diagnose())
		}
		time.Sleep(time.Second)
	}
}

// logRouterInfoCopies says whether veil's copies of the i2pd RouterInfos
// are the ones each i2pd currently publishes (veil's were seeded from the
// first start, except r0's, which only the transport brought).
func (tn *privateNet) logRouterInfoCopies() {
	for i, h := range tn.hashes {
		have, _ := os.ReadFile(i2pdtest.NetDbFile(filepath.Join(tn.veilDir, "netDb"), h))
		cur, _ := os.ReadFile(tn.i2pd[i].RouterInfoPath())
		tn.t.Logf("veil's netDb copy of r%d: %d bytes, same as i2pd's router.info now: %v, same as the first start's: %v",
			i, len(have), string(have) == string(cur), string(have) == string(tn.ris[i]))
	}
}

// soak samples both sides every ntcp2SampleEvery for d and records each
// change between two samples: the session set (peer, direction,
// address) on either side, a byte count that goes down (a new session),
// or a session change in veil's log. It runs the whole duration, so a
// failure shows every change and whether sessions came back, then fails
// the test if there was any.
func (tn *privateNet) soak(base *netSnapshot, d time.Duration) {
	t := tn.t
	t.Helper()
	start := time.Now()
	prev, samples, incomplete := base, 0, 0
	var changes []string
	// lastIn[i]: when veil last saw bytes arrive from r<i>, by samples.
	lastIn := make([]time.Time, len(tn.i2pd))
	for i := range lastIn {
		lastIn[i] = base.at
	}
	for time.Since(start) < d {
		time.Sleep(min(ntcp2SampleEvery, d-time.Since(start)))
		cur, missing, err := tn.snapshot()
		if err != nil {
			t.Fatalf("soak, %v in: %v\nchanges so far:\n  %s\n%s", since(start), err, strings.Join(changes, "\n  "), tn.diagnose())
		}
		samples++
		if len(missing) > 0 {
			incomplete++
		}
		for i := range cur.veil {
			if cur.veil[i].BytesIn > prev.veil[i].BytesIn {
				lastIn[i] = cur.at
			}
		}
		for _, c := range churn(prev, cur, tn.veil) {
			changes = append(changes, fmt.Sprintf("%v in (sample %d): %s", since(start), samples, c))
		}
		prev = cur
	}
	var quiet strings.Builder
	for i, at := range lastIn {
		fmt.Fprintf(&quiet, "  r%d: veil last received bytes %v before the soak's end\n", i, prev.at.Sub(at).Round(time.Second))
	}
	if len(changes) > 0 {
		t.Errorf("soak: %v, %d samples (%d incomplete): %d changes:\n  %s\nat the start:\n%s\nat the end:\n%s\n%s%s",
			since(start), samples, incomplete, len(changes), strings.Join(changes, "\n  "),
			tn.describe(base), tn.describe(prev), quiet.String(), tn.diagnose())
		return
	}
	t.Logf("soak: %v, %d samples, no churn; each session's bytes at the soak's end (+ during it):\n%s\n%s",
		since(start), samples, tn.describeDelta(base, prev), quiet.String())
}

// churn lists what changed from one sample to the next.
func churn(prev, cur *netSnapshot, v *veilRun) []string {
	var out []string
	for i := range cur.veil {
		p, c := prev.veil[i], cur.veil[i]
		if c.key() != p.key() {
			out = append(out, fmt.Sprintf("r%d: veil's session was %q, now %q", i, p.key(), c.key()))
		} else if c.BytesIn < p.BytesIn || c.BytesOut < p.BytesOut {
			out = append(out, fmt.Sprintf("r%d: veil's byte counts fell: %d/%d -> %d/%d (a new session?)", i, p.BytesIn, p.BytesOut, c.BytesIn, c.BytesOut))
		}
		pi, ci := prev.i2pd[i], cur.i2pd[i]
		if ci.Remote != pi.Remote || ci.Outgoing != pi.Outgoing {
			out = append(out, fmt.Sprintf("r%d: i2pd's session with veil was %s, now %s", i, consoleKey(pi), consoleKey(ci)))
		} else if ci.Sent < pi.Sent || ci.Received < pi.Received {
			out = append(out, fmt.Sprintf("r%d: i2pd's byte counts fell: %d/%d -> %d/%d", i, pi.Sent, pi.Received, ci.Sent, ci.Received))
		}
	}
	if cur.events != prev.events {
		ev := v.sessionEvents()
		out = append(out, fmt.Sprintf("veil logged %d session changes:\n    %s", cur.events-prev.events,
			strings.Join(ev[min(prev.events, len(ev)):min(cur.events, len(ev))], "\n    ")))
	}
	return out
}

// consoleKey prints i2pd's view of a session ("none" if not listed).
func consoleKey(c i2pdtest.ConsoleSession) string {
	if !c.Remote.IsValid() {
		return "none"
	}
	return fmt.Sprintf("outgoing=%v %v", c.Outgoing, c.Remote)
}

// describe prints a snapshot, one line per i2pd router.
func (tn *privateNet) describe(s *netSnapshot) string {
	var b strings.Builder
	for i := range tn.i2pd {
		v, c := s.veil[i], s.i2pd[i]
		fmt.Fprintf(&b, "  r%d %.8s…: veil %-3s %-21s in %d out %d | i2pd outgoing=%-5v %v sent %d received %d\n",
			i, tn.hashes[i], v.Direction, v.Address, v.BytesIn, v.BytesOut, c.Outgoing, c.Remote, c.Sent, c.Received)
	}
	return b.String()
}

// describeDelta prints each session's traffic over the soak.
func (tn *privateNet) describeDelta(a, z *netSnapshot) string {
	var b strings.Builder
	var in, out uint64
	for i := range tn.i2pd {
		va, vz, ca, cz := a.veil[i], z.veil[i], a.i2pd[i], z.i2pd[i]
		in, out = in+vz.BytesIn, out+vz.BytesOut
		fmt.Fprintf(&b, "  r%d: veil %s %s: bytes in %d (+%d) out %d (+%d); i2pd (%s) sent %d (+%d) received %d (+%d)\n",
			i, vz.Direction, vz.Address, vz.BytesIn, vz.BytesIn-va.BytesIn, vz.BytesOut, vz.BytesOut-va.BytesOut,
			map[bool]string{true: "outgoing", false: "incoming"}[cz.Outgoing], cz.Sent, cz.Sent-ca.Sent, cz.Received, cz.Received-ca.Received)
	}
	fmt.Fprintf(&b, "  veil total over %d sessions: %d bytes in, %d bytes out", len(tn.i2pd), in, out)
	return b.String()
}

// stopVeil sends veil SIGTERM, fails the test unless it exits 0 after
// logging its clean shutdown, and returns its log.
func (tn *privateNet) stopVeil() string {
	t := tn.t
	t.Helper()
	if err := tn.veil.stop(); err != nil {
		t.Fatalf("veil: %v", err)
	}
	log := tn.veil.log()
	for _, want := range []string{`msg="router stopping"`, `msg="router stopped"`} {
		if !strings.Contains(log, want) {
			t.Errorf("veil's log lacks %s after SIGTERM; tail:\n%s", want, tail(log, 30))
		}
	}
	return log
}

// waitDropped waits until no i2pd lists a session with veil (veil has
// stopped), failing the test after timeout.
func (tn *privateNet) waitDropped(timeout time.Duration) {
	t := tn.t
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var still []string
		for i, r := range tn.i2pd {
			list, err := r.Transports()
			if err != nil {
				t.Fatalf("r%d: %v", i, err)
			}
			for _, c := range list {
				if c.Matches(tn.veilHash, tn.veilIP) {
					still = append(still, fmt.Sprintf("r%d: %+v", i, c))
				}
			}
		}
		if len(still) == 0 {
			t.Logf("every i2pd dropped its session with veil")
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%v after veil stopped, i2pd still lists:\n  %s", timeout, strings.Join(still, "\n  "))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// diagnose collects the log lines that explain a failure.
func (tn *privateNet) diagnose() string {
	var b strings.Builder
	log := tn.veil.log()
	fmt.Fprintf(&b, "veil's session changes:\n%s\n", strings.Join(tn.veil.sessionEvents(), "\n"))
	fmt.Fprintf(&b, "veil's log (%s, connect, RouterInfo; last 40):\n%s\n", tn.style,
		grepLines(log, 40, strings.ToLower(tn.style), "router: connect", "RouterInfo", "level=WARN", "level=ERROR"))
	for i, r := range tn.i2pd {
		list, err := r.Transports()
		fmt.Fprintf(&b, "r%d (%s) sessions: %+v %v\n", i, r.Config().Host, list, err)
		fmt.Fprintf(&b, "r%d's log (%s, veil; last 25):\n%s\n", i, tn.style, grepLines(r.Log(), 25, tn.style, tn.veilHash[:8], "198.18.0."+strconv.Itoa(tn.veilHost)))
	}
	return b.String()
}
