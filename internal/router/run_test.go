package router

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// freePort returns a port on 127.0.0.1 that was free for TCP and UDP a
// moment ago. It is drawn below the kernel's ephemeral range (32768 and
// up): a port from there could be taken by another test's outgoing
// connection before the router binds it (CI saw "address already in use").
func freePort(t *testing.T) int {
	t.Helper()
	for range 200 {
		p := strconv.Itoa(20000 + rand.IntN(12000))
		l, err := net.Listen("tcp", "127.0.0.1:"+p)
		if err != nil {
			continue
		}
		u, err := net.ListenPacket("udp", "127.0.0.1:"+p)
		l.Close()
		if err != nil {
			continue
		}
		u.Close()
		n, _ := strconv.Atoi(p)
		return n
	}
	t.Fatal("no free port in 20000–31999")
	return 0
}

// loopbackConfig is a published router on 127.0.0.1 in private network
// 99, allowed to talk to reserved (loopback) addresses.
func loopbackConfig(t *testing.T, dir string) Config {
	return Config{
		DataDir: dir, NetID: 99, Host: "127.0.0.1", Port: freePort(t), Address4: "127.0.0.1",
		NTCP2Enabled: true, NTCP2Published: true, AllowReserved: true,
		Logger: testLogger(t),
	}
}

func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// running runs r until the test ends and checks Run's result then.
func running(t *testing.T, r *Router) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Run did not return")
		}
	})
}

// queryStatus asks the router on dir for its status over the socket.
func queryStatus(t *testing.T, dir string) (Status, error) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", filepath.Join(dir, ControlFile))
		},
	}, Timeout: 5 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://veil/status")
	if err != nil {
		return Status{}, err
	}
	defer resp.Body.Close()
	var st Status
	if resp.StatusCode != http.StatusOK {
		return st, errors.New(resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

func waitStatus(t *testing.T, dir, what string, cond func(Status) bool) Status {
	t.Helper()
	return waitStatusFor(t, dir, what, 20*time.Second, cond)
}

// waitStatusFor polls the status of the router on dir until cond holds,
// for at most d.
func waitStatusFor(t *testing.T, dir, what string, d time.Duration, cond func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		st, err := queryStatus(t, dir)
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: last status %+v, err %v", what, st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func goroutineLeakCheck(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("%d goroutines leaked:\n%s", runtime.NumGoroutine()-before, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestStatusOverControlSocket(t *testing.T) {
	goroutineLeakCheck(t)
	dir := t.TempDir()
	r, err := New(loopbackConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	running(t, r)
	st := waitStatus(t, dir, "the control socket", func(Status) bool { return true })
	if st.Router.Hash == "" || st.Router.Hash != r.Hash().String() || st.Router.NetID != 99 ||
		st.Router.Version != RouterVersion || st.Router.Caps != "LR" || st.Router.Reachability != ReachUnknown {
		t.Fatalf("router %+v", st.Router)
	}
	if len(st.Transports) != 0 || st.NetDB.Routers+st.NetDB.Floodfills+st.NetDB.LeaseSets != 0 || st.NetDB.Counters == nil ||
		st.Tunnels.BuildSuccess != nil {
		t.Fatalf("status %+v", st)
	}
	fi, err := os.Lstat(filepath.Join(dir, ControlFile))
	if err != nil || fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v %v", fi.Mode(), err)
	}

	// The raw JSON has every documented field, and lists are [] not null.
	resp := rawStatus(t, dir)
	for _, want := range []string{`"router":`, `"hash":`, `"netid": 99`, `"version":`, `"caps":`, `"uptime":`,
		`"reachability":`, `"transports": []`, `"netdb":`, `"routers": 0`, `"floodfills": 0`, `"leasesets": 0`,
		`"tunnels":`, `"inbound": []`, `"outbound": []`, `"transit": 0`, `"build_success": null`, `"destinations": []`} {
		if !strings.Contains(resp, want) {
			t.Errorf("status lacks %s:\n%s", want, resp)
		}
	}

	// A second router on the same data folder refuses to start.
	r2, err := New(loopbackConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r2.Run(ctx); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second router: %v", err)
	}
}

func rawStatus(t *testing.T, dir string) string {
	c, err := net.Dial("unix", filepath.Join(dir, ControlFile))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /status HTTP/1.0\r\nHost: veil\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func TestStaleControlSocketReplaced(t *testing.T) {
	goroutineLeakCheck(t)
	dir := t.TempDir()
	// A socket left by a router that died: bound, never served.
	l, err := net.Listen("unix", filepath.Join(dir, ControlFile))
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	r, err := New(loopbackConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	runUntilUp(t, r, dir)
	if _, err := os.Lstat(filepath.Join(dir, ControlFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("socket left behind: %v", err)
	}
}

// seed copies the router.info of the router in from into to's netDb.
func seed(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(from, RouterInfoFile))
	if err != nil {
		t.Fatal(err)
	}
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	p := NetDBPath(to, ri.Hash())
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// startPair creates two loopback routers (b a floodfill) and returns
// their folders, started so their router.info exists.
func startPair(t *testing.T) (dirA, dirB string, ra, rb *Router) {
	dirA, dirB = t.TempDir(), t.TempDir()
	var err error
	if ra, err = New(loopbackConfig(t, dirA)); err != nil {
		t.Fatal(err)
	}
	cb := loopbackConfig(t, dirB)
	cb.Floodfill = true
	if rb, err = New(cb); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Router{ra, rb} {
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
	}
	return dirA, dirB, ra, rb
}

func TestTwoRoutersConnect(t *testing.T) {
	goroutineLeakCheck(t)
	dirA, dirB, ra, rb := startPair(t)
	seed(t, dirB, dirA) // a knows b; b learns a from the handshake
	running(t, rb)
	waitStatus(t, dirB, "b running", func(Status) bool { return true })
	running(t, ra)

	want := func(peer *Router) func(Status) bool {
		return func(st Status) bool {
			return len(st.Transports) == 1 && st.Transports[0].Peer == peer.Hash().String()
		}
	}
	sa := waitStatus(t, dirA, "a's session to b", want(rb))
	sb := waitStatus(t, dirB, "b's session to a", want(ra))
	if sa.Transports[0].Direction != "out" || sb.Transports[0].Direction != "in" || sa.Transports[0].Transport != "NTCP2" {
		t.Fatalf("sessions %+v / %+v", sa.Transports, sb.Transports)
	}
	if sa.Transports[0].Address != "127.0.0.1:"+strconv.Itoa(rb.cfg.Port) {
		t.Fatalf("a reached b at %s", sa.Transports[0].Address)
	}
	// b stored a's RouterInfo from message 3, in i2pd's layout.
	waitStatus(t, dirB, "a in b's netDb", func(st Status) bool { return st.NetDB.Routers == 1 })
	if _, err := os.Stat(NetDBPath(dirB, ra.Hash())); err != nil {
		t.Fatal(err)
	}
	sa = waitStatus(t, dirA, "b counted as floodfill", func(st Status) bool { return st.NetDB.Floodfills == 1 })
	// a sent b, a floodfill, its RouterInfo as a DatabaseStore, and
	// traffic shows both ways.
	waitStatus(t, dirB, "bytes both ways", func(st Status) bool {
		return len(st.Transports) == 1 && st.Transports[0].BytesIn > 0 && st.Transports[0].BytesOut > 0
	})
	if c := rb.mgr.Counters(); c.Unhandled != 0 {
		t.Fatalf("b counters %+v", c)
	}
}

func TestTwoRoutersDialEachOther(t *testing.T) {
	goroutineLeakCheck(t)
	dirA, dirB, ra, rb := startPair(t)
	running(t, ra)
	running(t, rb)
	waitStatus(t, dirA, "a running", func(Status) bool { return true })
	waitStatus(t, dirB, "b running", func(Status) bool { return true })
	// Neither knew the other at start; now both learn of the other and
	// dial at the same moment, over real NTCP2 on loopback.
	if _, err := ra.netdb.Put(rb.RouterInfo()); err != nil {
		t.Fatal(err)
	}
	if _, err := rb.netdb.Put(ra.RouterInfo()); err != nil {
		t.Fatal(err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range [][2]*Router{{ra, rb}, {rb, ra}} {
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// Either may fail: its own dial lost the race.
			p[0].mgr.Connect(ctx, p[1].RouterInfo())
		})
	}
	close(start)
	wg.Wait()

	one := func(st Status) bool { return len(st.Transports) == 1 }
	waitStatus(t, dirA, "a's session", one)
	waitStatus(t, dirB, "b's session", one)
	time.Sleep(300 * time.Millisecond) // a losing session finishes closing
	sa := waitStatus(t, dirA, "a's session", one)
	sb := waitStatus(t, dirB, "b's session", one)
	if sa.Transports[0].Direction == sb.Transports[0].Direction {
		t.Fatalf("both sides kept an %s session", sa.Transports[0].Direction)
	}
	races := ra.mgr.Counters().Races + rb.mgr.Counters().Races
	if races == 0 {
		t.Log("no simultaneous connect in this run: one dial finished before the other began")
		return
	}
	// The connection kept is the one the smaller hash initiated.
	lo, loStatus := ra, sa
	if hb, ha := rb.Hash(), ra.Hash(); bytes.Compare(hb[:], ha[:]) < 0 {
		lo, loStatus = rb, sb
	}
	if loStatus.Transports[0].Direction != "out" {
		t.Fatalf("after %d races the smaller hash (%s) kept an inbound session", races, lo.Hash())
	}
	t.Logf("race resolved: %d duplicate sessions closed", races)
}

func TestControlSocketTooLongOrOff(t *testing.T) {
	goroutineLeakCheck(t)
	for name, sock := range map[string]string{"too long": "/tmp/" + strings.Repeat("x", maxSocketPath) + ".sock", "off": "-"} {
		t.Run(name, func(t *testing.T) {
			cfg := loopbackConfig(t, t.TempDir())
			cfg.ControlSocket = sock
			r, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			if err := r.Run(ctx); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if _, err := os.Lstat(filepath.Join(cfg.DataDir, ControlFile)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("socket created: %v", err)
			}
		})
	}
}

// TestTwoRoutersIPv6 connects two IPv6-only routers over ::1: each
// publishes only its IPv6 NTCP2 address, and the session runs on it.
func TestTwoRoutersIPv6(t *testing.T) {
	if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback:", err)
	} else {
		l.Close()
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	v6 := func(dir string) Config {
		c := loopbackConfig(t, dir)
		c.Host, c.Address4, c.Address6, c.NoIPv4, c.IPv6 = "::1", "", "::1", true, true
		return c
	}
	ra, err := New(v6(dirA))
	if err != nil {
		t.Fatal(err)
	}
	cb := v6(dirB)
	cb.Floodfill = true
	rb, err := New(cb)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Router{ra, rb} {
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
	}
	if a := rb.RouterInfo().Addresses; len(a) != 1 || a[0].Host() != "::1" {
		t.Fatalf("b publishes %+v", a)
	}
	seed(t, dirB, dirA)
	running(t, rb)
	waitStatus(t, dirB, "b running", func(Status) bool { return true })
	running(t, ra)
	sa := waitStatus(t, dirA, "a's session to b", func(st Status) bool { return len(st.Transports) == 1 })
	if want := "[::1]:" + strconv.Itoa(rb.cfg.Port); sa.Transports[0].Address != want {
		t.Fatalf("a reached b at %s, want %s", sa.Transports[0].Address, want)
	}
}

// runUntilUp runs r until its control socket answers, then stops it and
// checks Run's result.
func runUntilUp(t *testing.T, r *Router, dir string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitStatus(t, dir, "the control socket", func(Status) bool { return true })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
