//go:build interop

package interop

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// Limits of TestTunnelsI2pd.
const (
	tunnelsReadyWait  = 3 * time.Minute
	tunnelsSampleGap  = 15 * time.Second
	tunnelsSoakEnv    = "VEIL_TUNNELS_SOAK" // VEIL_TUNNELS_SOAK=25m gives issue 6's run
	tunnelsSoakDef    = 2 * time.Minute
	tunnelsSoakMax    = 2 * time.Hour
	tunnelsMinSuccess = 0.8
)

// TestTunnelsI2pd runs veil with four i2pd 2.45.1 routers (netns, NTCP2
// only) and checks issue 6's first "Done when": veil builds its
// exploratory tunnels (2 hops, 3 each way) through i2pd routers, at least
// 80% of its builds succeed after the first minute, its test messages
// come back through its tunnels, i2pd routers build tunnels through veil
// (veil carries transit tunnels; an i2pd console lists one through veil),
// and during the soak (VEIL_TUNNELS_SOAK, default 2 minutes; 25 minutes
// for the issue) veil always has established tunnels both ways and
// replaces them before they expire.
func TestTunnelsI2pd(t *testing.T) {
	inParallel(t)
	soak := envDuration(t, tunnelsSoakEnv, tunnelsSoakDef, tunnelsSoakMax, 6*time.Minute)
	t0 := time.Now()
	// One server tunnel, so veil hosts a destination and publishes its
	// LeaseSet2 through its tunnels to the i2pd floodfills.
	m := startMixed(t, mixedConfig{VeilTunnels: "[web]\ntype = server\nhost = 127.0.0.1\nport = 8080\nkeys = web.dat\n" +
		"inbound.length = 2\noutbound.length = 2\ninbound.quantity = 2\noutbound.quantity = 2\n"})
	routers, hashes, vdir, v, veilHash := m.I2pd, m.Hashes, m.VeilDir, m.Veil, m.VeilHash
	tStart := m.Started
	t.Logf("veil %s and %d i2pd up after %v", veilHash, len(routers), since(t0))

	// 1. Tunnels both ways, through i2pd routers only.
	i2pd := map[string]bool{}
	for _, h := range hashes {
		i2pd[h] = true
	}
	st := m.waitVeilTunnels(t, 3, 3, tunnelsReadyWait)
	t.Logf("3 inbound and 3 outbound tunnels after %v: %s", since(tStart), st.Tunnels.describe())
	for _, tt := range append(st.Tunnels.Inbound, st.Tunnels.Outbound...) {
		if tt.Hops != 2 || len(tt.Peers) != 2 {
			t.Errorf("tunnel %+v: want 2 hops", tt)
		}
		for _, p := range tt.Peers {
			if !i2pd[p] {
				t.Errorf("tunnel hop %s is no i2pd router", p)
			}
		}
	}

	// 2. Soak: tunnels always there, builds succeed, tests come back.
	if d := time.Until(tStart.Add(time.Minute)); d > 0 {
		time.Sleep(d) // the first minute does not count
	}
	base, err := veilStatusOf(t, vdir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tt := range append(base.Tunnels.Inbound, base.Tunnels.Outbound...) {
		seen[tt.key()] = true
	}
	replaced := 0
	end := time.Now().Add(soak)
	for time.Now().Before(end) {
		time.Sleep(min(tunnelsSampleGap, time.Until(end)+time.Second))
		cur, err := veilStatusOf(t, vdir)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Tunnels.established(true) == 0 || cur.Tunnels.established(false) == 0 {
			t.Errorf("at %v veil had no established tunnel one way: %s", since(tStart), cur.Tunnels.describe())
		}
		for _, tt := range append(cur.Tunnels.Inbound, cur.Tunnels.Outbound...) {
			if !seen[tt.key()] {
				seen[tt.key()] = true
				replaced++
			}
			if exp, err := time.Parse(time.RFC3339, tt.Expires); err == nil && time.Until(exp) < -5*time.Second {
				t.Errorf("tunnel %+v listed after its expiry", tt)
			}
		}
		st = cur
	}
	// Builds after the first minute: the first ones may dial i2pd routers
	// that are still starting (veil starts first, they need its RI).
	ok, bad := st.Tunnels.BuiltOK-base.Tunnels.BuiltOK, st.Tunnels.BuildsFailed-base.Tunnels.BuildsFailed
	tests := st.Tunnels.TestsOK
	succ := 1.0
	if ok+bad > 0 {
		succ = float64(ok) / float64(ok+bad)
	}
	t.Logf("after %v: %d builds since the first minute, %.0f%% succeeded (all time: %d ok, %d failed); tests %d ok, %d failed; %d new tunnels during the soak; %d transit",
		since(tStart), ok+bad, succ*100, st.Tunnels.BuiltOK, st.Tunnels.BuildsFailed, tests, st.Tunnels.TestsFailed, replaced, st.Tunnels.Transit)
	// The issue counts builds after the first minute. A short soak may
	// see none (tunnels last 10 minutes): then the 3+3 established above
	// and the tests are what this run shows, and VEIL_TUNNELS_SOAK=25m
	// gives the ratio.
	if ok+bad == 0 {
		t.Logf("no build after the first minute in a %v soak: the build ratio needs a longer one", soak)
	}
	if succ < tunnelsMinSuccess {
		t.Errorf("build success %.2f, want ≥ %.2f\n%s", succ, tunnelsMinSuccess, grepLines(v.log(), 40, "tunnel: build"))
	}
	if tests == 0 || st.Tunnels.TestsFailed > tests/5 {
		t.Errorf("tunnel tests: %d ok, %d failed", tests, st.Tunnels.TestsFailed)
	}
	if soak >= 10*time.Minute && replaced < 6 {
		t.Errorf("only %d tunnels replaced in %v", replaced, soak)
	}

	// Lookups (explorations) went through veil's tunnels, and i2pd's
	// floodfills answered them in garlic to veil's inbound tunnels.
	nd := st.NetDB.Counters
	t.Logf("netDb lookups through tunnels: %d sent, %d encrypted answers", nd.TunneledQueries, nd.EncryptedAnswers)
	if nd.TunneledQueries > 0 && nd.EncryptedAnswers == 0 {
		t.Errorf("no tunneled lookup was answered (%d sent)", nd.TunneledQueries)
	}

	// veil's destination's LeaseSet2 reached an i2pd floodfill (it is
	// stored at the two closest; i2pd floods it to the others).
	if len(st.Destinations) != 1 || st.Destinations[0].Stores == 0 {
		t.Errorf("veil's destination: %+v", st.Destinations)
	} else {
		b32 := strings.TrimSuffix(st.Destinations[0].Address, ".b32.i2p")
		found := false
		for _, r := range routers[:2] {
			if page, err := r.ConsoleGet("/?page=leasesets"); err == nil && strings.Contains(page, b32) {
				found = true
			}
		}
		if !found {
			t.Errorf("no i2pd floodfill lists veil's LeaseSet %s", b32)
		}
		t.Logf("veil destination %s: %d leases, %d stores, listed by an i2pd floodfill: %v", b32, st.Destinations[0].Leases, st.Destinations[0].Stores, found)
	}

	// 3. i2pd builds through veil: transit at veil, and a console lists it.
	if st.Tunnels.Transit == 0 && st.Tunnels.Counters.Accepted == 0 {
		t.Errorf("no i2pd router built a tunnel through veil")
	}
	abbr, listed := veilHash[:4], false
	for _, r := range routers {
		if page, err := r.ConsoleGet("/?page=tunnels"); err == nil && strings.Contains(page, abbr) {
			listed = true
		}
	}
	if !listed {
		t.Logf("no i2pd exploratory tunnel lists veil (%s…) right now (transit accepted so far: %d)", abbr, st.Tunnels.Counters.Accepted)
	}
	t.Logf("total %v", since(t0))
}

// established counts established tunnels one way.
func (vt veilTunnels) established(inbound bool) int {
	l := vt.Outbound
	if inbound {
		l = vt.Inbound
	}
	n := 0
	for _, t := range l {
		if t.State == "established" {
			n++
		}
	}
	return n
}

func (vt veilTunnels) describe() string {
	var b strings.Builder
	for _, l := range []struct {
		name string
		ts   []veilTunnel
	}{{"in", vt.Inbound}, {"out", vt.Outbound}} {
		for _, t := range l.ts {
			short := make([]string, len(t.Peers))
			for i, p := range t.Peers {
				short[i] = p[:4]
			}
			fmt.Fprintf(&b, "\n  %s %s [%s] %s", l.name, t.Pool, strings.Join(short, " "), t.State)
		}
	}
	return b.String()
}

// veilTunnel is one of veil's own tunnels in `veil status --json`.
type veilTunnel struct {
	Pool    string   `json:"pool"`
	Hops    int      `json:"hops"`
	Peers   []string `json:"peers"`
	State   string   `json:"state"`
	Expires string   `json:"expires"`
}

func (t veilTunnel) key() string { return t.Pool + strings.Join(t.Peers, ",") + t.Expires }

// envDuration reads a Go duration from env (default def, at most max)
// and checks that go test's deadline leaves room for it plus overhead.
func envDuration(t *testing.T, env string, def, max, overhead time.Duration) time.Duration {
	t.Helper()
	d := def
	if s := os.Getenv(env); s != "" {
		v, err := time.ParseDuration(s)
		if err != nil || v < 0 || v > max {
			t.Fatalf("%s=%q: want a Go duration in 0..%v", env, s, max)
		}
		d = v
	}
	if dl, ok := t.Deadline(); ok && time.Until(dl) < d+overhead {
		t.Fatalf("%s=%v needs about %v; go test's -timeout leaves %v", env, d, d+overhead, time.Until(dl).Round(time.Second))
	}
	return d
}
