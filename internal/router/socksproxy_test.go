package router

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"net/http"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// TestVeilSOCKSProxy: curl --socks5-hostname and --socks4a through a
// veil SOCKS proxy reach an HTTP server behind a veil server tunnel on
// another router by its addressbook name (and by b32); a clearnet host
// is refused.
func TestVeilSOCKSProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("four routers")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl")
	}
	web, keys := testWebSite(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello from " + r.Host + "\n"))
	})
	shape := PoolShape{InboundLength: 2, OutboundLength: 2, InboundQuantity: 2, OutboundQuantity: 2}
	_, dirs := startVeilNet(t, 4, func(i int, cfg *Config) {
		switch i {
		case 3:
			if _, _, err := keyfile.LoadOrCreate(filepath.Join(cfg.DataDir, "web.dat"), func() (*keyfile.PrivateKeys, error) { return keys, nil }); err != nil {
				t.Fatal(err)
			}
			cfg.Destinations = []DestinationConfig{{Name: "web", KeysFile: "web.dat", Pool: shape,
				TCPServer: &i2ptunnel.ServerConfig{Name: "web", Host: "127.0.0.1", Port: web}}}
		case 2:
			book := filepath.Join(cfg.DataDir, AddressBookDir)
			os.MkdirAll(book, 0o700)
			os.WriteFile(filepath.Join(book, "privatehosts.txt"), []byte("web.i2p="+data.EncodeBase64(keys.Identity.Bytes())+"\n"), 0o600)
			cfg.AddressBook = &AddressBookConfig{}
			cfg.Destinations = []DestinationConfig{{Name: "socks", Pool: shape,
				SOCKSProxy: &i2ptunnel.SOCKSConfig{Name: "socks", Port: 0}}}
		}
	})
	waitStatusFor(t, dirs[3], "LeaseSet published", 30*time.Second, func(st Status) bool {
		return len(st.Destinations) == 1 && st.Destinations[0].Stores > 0
	})
	st := waitStatusFor(t, dirs[2], "proxy up", 30*time.Second, func(st Status) bool {
		return len(st.Destinations) == 1 && st.Destinations[0].Leases > 0 && len(st.TCPTunnels) == 1
	})
	p := st.TCPTunnels[0]
	if p.Type != "socks" || !strings.HasPrefix(p.Listen, "127.0.0.1:") {
		t.Fatalf("status %+v", p)
	}
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, curl, append([]string{"-sS", "--max-time", "30"}, args...)...).CombinedOutput()
		return string(out), err
	}
	var out string
	for try := 0; try < 3; try++ { // the first lookup may miss a LeaseSet not yet stored
		if out, err = run("--socks5-hostname", p.Listen, "http://web.i2p/"); err == nil {
			break
		}
		t.Logf("curl: %v %s", err, out)
		time.Sleep(2 * time.Second)
	}
	if out != "hello from web.i2p\n" {
		t.Fatalf("socks5 by name: %q %v", out, err)
	}
	if out, err := run("--socks4a", p.Listen, "http://"+keys.Identity.Hash().B32()+"/"); err != nil || !strings.HasPrefix(out, "hello") {
		t.Errorf("socks4a by b32: %q %v", out, err)
	}
	if out, err := run("--socks5-hostname", p.Listen, "http://example.com/"); err == nil {
		t.Errorf("clearnet host answered: %q", out)
	} else if !strings.Contains(out, "not allowed") && !strings.Contains(out, "refused") && !strings.Contains(out, "rule") {
		t.Logf("clearnet refusal as curl says it: %q", out)
	}
}
