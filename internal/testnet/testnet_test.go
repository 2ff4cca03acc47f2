package testnet

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestNetwork: the demo network comes up (every stage reported in
// order), the eepsite answers through router 0's proxy, and Close stops
// everything: the temporary folder, the proxy's port, the control
// sockets and the goroutines are gone.
func TestNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("six routers")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := Start(ctx, Config{ProxyAddr: "127.0.0.1:0", SOCKSAddr: "127.0.0.1:0", Routers: 5, LogLevel: "info"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if !strings.HasPrefix(n.Dir(), tmp) || n.Kept() {
		t.Fatalf("folder %s (kept %v), want a temporary one in %s", n.Dir(), n.Kept(), tmp)
	}
	var seen []Stage
	start := time.Now()
	err = n.Wait(ctx, func(p Progress) {
		if p.Complete {
			seen = append(seen, p.Stage)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("up in %v", time.Since(start).Round(time.Millisecond))
	for i, s := range seen {
		if s != Stage(i) {
			t.Fatalf("stages completed %v, want each in order", seen)
		}
	}
	if len(seen) != int(StageFetched)+1 {
		t.Fatalf("stages completed %v", seen)
	}
	body, err := n.Fetch(ctx, "/again")
	if err != nil || !strings.Contains(body, n.Eepsite()) || !strings.Contains(body, "MYOB/6.66") {
		t.Fatalf("second fetch: %v\n%s", err, body)
	}
	if n.SiteHits() < 2 {
		t.Errorf("site hits %d", n.SiteHits())
	}
	s := n.Summary()
	if s.Routers != 5 || s.KnownMin < 4 || s.Tunnels == 0 || s.Transit == 0 || s.LeaseSets == 0 {
		t.Errorf("summary %+v", s)
	}
	if body, err := n.FetchVia(ctx, n.ProxyAddr(), "/"); err != nil || !strings.Contains(body, n.Eepsite()) {
		t.Fatalf("fetch: %v", err)
	}
	if h, err := n.Routers()[0].Resolve(ctx, SiteName); err != nil || h.B32() != n.Eepsite() {
		t.Errorf("router 0 resolves %s to %v, %v; want %s", SiteName, h, err, n.Eepsite())
	}
	proxy, socks, dir := n.ProxyAddr(), n.SOCKSAddr(), n.Dir()
	sock := filepath.Join(n.RouterDir(0), "veil.sock")
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("control socket: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("folder %s left behind: %v", dir, err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("left in TMPDIR: %v", ents)
	}
	for _, a := range []string{proxy, socks} {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("proxy %s still listening", a)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, g, buf[:runtime.Stack(buf, true)])
	}
}

// TestKeptFolderReused: a given folder survives Close, and a second
// network on it has the same routers and eepsite.
func TestKeptFolderReused(t *testing.T) {
	if testing.Short() {
		t.Skip("routers")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var site string
	var hash [2]string
	for i := range 2 {
		n, err := Start(ctx, Config{Dir: dir, Routers: 2, Hops: 1, ProxyAddr: "-", SOCKSAddr: "-"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 && (n.Eepsite() != site || n.Routers()[0].Hash().String() != hash[0]) {
			t.Errorf("second start: eepsite %s router %s, want %s %s", n.Eepsite(), n.Routers()[0].Hash(), site, hash[0])
		}
		site, hash[i] = n.Eepsite(), n.Routers()[0].Hash().String()
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		if !n.Kept() {
			t.Fatal("a given folder must be kept")
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "routers", "r1", "router.keys")); err != nil {
		t.Fatal(err)
	}
}

func TestConfigRefused(t *testing.T) {
	for _, c := range []Config{
		{NetID: 2}, {Routers: 1}, {Routers: MaxRouters + 1}, {Floodfills: 7}, {Routers: 3, Hops: 3},
		{LogLevel: "loud"}, {ProxyAddr: "nonsense"},
	} {
		if n, err := Start(context.Background(), c); err == nil {
			n.Close()
			t.Errorf("%+v: no error", c)
		} else if !strings.Contains(err.Error(), "testnet: ") {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
