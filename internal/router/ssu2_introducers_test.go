package router

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/transport/ssu2"
)

// TestFirewalledRouterInfo: firewalled, our IPv4 addresses lose host and
// port, SSU2's lists the introducers with caps 4, and caps say U without
// f; reachable again, the addresses come back, newer.
func TestFirewalledRouterInfo(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, NetID: 99, Host: "198.18.0.5", Port: 12345, NTCP2Enabled: true, NTCP2Published: true,
		Floodfill: true, SSU2: SSU2Config{Enabled: true, Published: true}}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	base := r.RouterInfo()
	if base.Caps() != "LfR" {
		t.Fatalf("caps %q", base.Caps())
	}
	ins := []ssu2.Introducer{{Router: data.Hash{7}, Tag: 42, Expires: time.Unix(2000000000, 0)}}
	fw := firewalledRouterInfo(&r.cfg, base, ins, true)
	if err := r.setRouterInfo(fw); err != nil {
		t.Fatal(err)
	}
	got := r.RouterInfo()
	if err := got.Verify(); err != nil || got.Caps() != "LU" {
		t.Fatalf("firewalled RouterInfo: %v, caps %q", err, got.Caps())
	}
	for _, a := range got.Addresses {
		if a.Host() != "" || a.Port() != 0 {
			t.Errorf("%s address still published: %v", a.Transport, a.Options.Map())
		}
		if a.Transport == "SSU2" {
			o := a.Options
			if o.Value("caps") != "4" || o.Value("itag0") != "42" || o.Value("iexp0") != "2000000000" || o.Value("ih0") != data.EncodeBase64(ins[0].Router[:]) || o.Value("s") == "" || o.Value("i") == "" {
				t.Errorf("SSU2 address %v", o.Map())
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, RouterInfoFile))
	if err != nil || !strings.Contains(string(b), "itag0") {
		t.Fatalf("router.info not saved with introducers: %v", err)
	}
	back := firewalledRouterInfo(&r.cfg, base, nil, false)
	if err := r.setRouterInfo(back); err != nil {
		t.Fatal(err)
	}
	again := r.RouterInfo()
	if again.Caps() != "LfR" || len(again.Addresses) != len(base.Addresses) || again.Addresses[0].Host() != "198.18.0.5" || again.Published <= fw.Published {
		t.Fatalf("reachable again: caps %q, %+v", again.Caps(), again.Addresses)
	}
}
