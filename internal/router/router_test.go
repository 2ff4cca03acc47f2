package router

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

func newTestRouter(t *testing.T, dir string, mutate func(*Config)) *Router {
	t.Helper()
	cfg := Config{DataDir: dir, NetID: 99, NTCP2Enabled: true, NTCP2Published: true}
	if mutate != nil {
		mutate(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readRouterInfo(t *testing.T, dir string) *data.RouterInfo {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, RouterInfoFile))
	if err != nil {
		t.Fatal(err)
	}
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := ri.Verify(); err != nil {
		t.Fatal(err)
	}
	return ri
}

func TestStartCreatesIdentityOnce(t *testing.T) {
	dir := t.TempDir()
	r := newTestRouter(t, dir, nil)
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	ri := readRouterInfo(t, dir)
	if ri.Hash() != r.Hash() {
		t.Fatal("router.info hash differs from the router's")
	}
	if ri.NetID() != 99 || ri.Version() != RouterVersion || ri.Caps() != "LU" {
		t.Fatalf("netid %d version %q caps %q", ri.NetID(), ri.Version(), ri.Caps())
	}
	if len(ri.Addresses) != 1 || ri.Addresses[0].Transport != "NTCP2" || ri.Addresses[0].Options.Value("s") == "" {
		t.Fatalf("addresses %+v", ri.Addresses)
	}
	if _, err := os.Stat(filepath.Join(dir, NetDBDir, "r~")); err != nil {
		t.Fatal(err)
	}
	keys, _ := os.ReadFile(filepath.Join(dir, RouterKeysFile))

	r2 := newTestRouter(t, dir, nil)
	if err := r2.Start(); err != nil {
		t.Fatal(err)
	}
	if r2.Hash() != r.Hash() {
		t.Fatal("identity regenerated on restart")
	}
	keys2, _ := os.ReadFile(filepath.Join(dir, RouterKeysFile))
	if string(keys) != string(keys2) {
		t.Fatal("router.keys rewritten")
	}
}

func TestPublishedAddressKeepsPort(t *testing.T) {
	dir := t.TempDir()
	set := func(c *Config) { c.Host = "198.18.0.200"; c.Floodfill = true; c.Bandwidth = "X" }
	if err := newTestRouter(t, dir, set).Start(); err != nil {
		t.Fatal(err)
	}
	ri := readRouterInfo(t, dir)
	a := ri.Addresses[0]
	if a.Host() != "198.18.0.200" || a.Port() < 9111 || a.Port() > 30777 || len(a.Options.Value("i")) != 24 {
		t.Fatalf("address %+v", a.Options.Map())
	}
	if ri.Caps() != "OXfR" {
		t.Fatalf("caps %q", ri.Caps())
	}
	if err := newTestRouter(t, dir, set).Start(); err != nil {
		t.Fatal(err)
	}
	if p := readRouterInfo(t, dir).Addresses[0].Port(); p != a.Port() {
		t.Fatalf("port changed %d -> %d", a.Port(), p)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	r := newTestRouter(t, t.TempDir(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

func TestBandwidthCaps(t *testing.T) {
	for in, want := range map[string]string{"": "L", "K": "K", "o": "O", "P": "OP", "X": "OX", "10": "K", "50": "M", "300": "OP", "5000": "OX", "junk": "L"} {
		if got := bandwidthCaps(in); got != want {
			t.Errorf("bandwidthCaps(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPublishedAddressFamilies: one NTCP2 address per enabled family with
// a known host, same s, i and port; outbound-only caps name the families.
func TestPublishedAddressFamilies(t *testing.T) {
	cases := []struct {
		name  string
		set   func(*Config)
		hosts []string
		caps  string // of the unpublished address, when no host
	}{
		{"v4", func(c *Config) { c.Host = "198.18.0.7" }, []string{"198.18.0.7"}, ""},
		{"v4 and v6", func(c *Config) { c.Host = "198.18.0.7"; c.IPv6 = true; c.NTCP2AddressV6 = "2001:db8::7" }, []string{"198.18.0.7", "2001:db8::7"}, ""},
		{"v6 from address6", func(c *Config) { c.IPv6 = true; c.Address6 = "2001:db8::8"; c.NTCP2AddressV6 = "::" }, []string{"2001:db8::8"}, ""},
		{"v6 host, v6 off", func(c *Config) { c.Host = "2001:db8::9" }, nil, "4"},
		{"v6 only", func(c *Config) { c.Host = "2001:db8::9"; c.IPv6 = true; c.NoIPv4 = true }, []string{"2001:db8::9"}, ""},
		{"no host, both", func(c *Config) { c.IPv6 = true }, nil, "46"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := newTestRouter(t, dir, tc.set).Start(); err != nil {
				t.Fatal(err)
			}
			ri := readRouterInfo(t, dir)
			var hosts []string
			for _, a := range ri.Addresses {
				if a.Transport != "NTCP2" || a.Options.Value("s") != ri.Addresses[0].Options.Value("s") {
					t.Fatalf("address %v", a.Options.Map())
				}
				if h := a.Host(); h != "" {
					hosts = append(hosts, h)
					if a.Port() != ri.Addresses[0].Port() || a.Options.Value("i") == "" {
						t.Fatalf("address %v", a.Options.Map())
					}
				} else if a.Options.Value("caps") != tc.caps {
					t.Fatalf("outbound-only caps %q, want %q", a.Options.Value("caps"), tc.caps)
				}
			}
			if len(hosts) != len(tc.hosts) || (len(hosts) > 0 && (hosts[0] != tc.hosts[0] || hosts[len(hosts)-1] != tc.hosts[len(tc.hosts)-1])) {
				t.Fatalf("hosts %v, want %v", hosts, tc.hosts)
			}
		})
	}
}

func TestTransitShare(t *testing.T) {
	for _, c := range []struct {
		bw    string
		share int
		want  int
	}{{"", 100, 0}, {"X", 50, 0}, {"L", 100, 48 * 1024}, {"L", 50, 24 * 1024}, {"1000", 10, 102400}, {"P", 0, 2048 * 1024}} {
		if got := transitShare(&Config{Bandwidth: c.bw, Share: c.share}); got != c.want {
			t.Errorf("bandwidth %q share %d: %d bytes/s, want %d", c.bw, c.share, got, c.want)
		}
	}
}

func TestNoTransitCapsG(t *testing.T) {
	dir := t.TempDir()
	if err := newTestRouter(t, dir, func(c *Config) { c.Host = "198.18.0.9"; c.NoTransit = true }).Start(); err != nil {
		t.Fatal(err)
	}
	if caps := readRouterInfo(t, dir).Caps(); caps != "LRG" {
		t.Fatalf("caps %q, want LRG", caps)
	}
}
