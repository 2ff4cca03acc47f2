//go:build interop

package interop

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// proxyOff turns veil's HTTP and SOCKS proxies (on by default, as in
// i2pd) off for the tests that do not set any of their options: each
// would add a destination, a tunnel pool and a port (4444, 4447) to
// routers whose status they count.
func proxyOff(args []string) []string {
	var off []string
	for _, p := range []string{"httpproxy.", "socksproxy."} {
		set := false
		for _, a := range args {
			set = set || strings.HasPrefix(strings.TrimLeft(a, "-"), p)
		}
		if !set {
			off = append(off, "--"+p+"enabled=false")
		}
	}
	return append(off, args...)
}

// veilTCPTunnel is one entry of veil status's tcp_tunnels.
type veilTCPTunnel struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Destination string `json:"destination"`
	Listen      string `json:"listen"`
}

// TestHTTPProxyI2pd: veil's HTTP proxy, as a browser uses it, against
// i2pd 2.45.1 eepsites (veil + four i2pd in netns, NTCP2; veil's
// tunnels 2 hops, i2pd's sites' inbound 2 and outbound 0). i2pd r2 runs two `http` server tunnels in front of one HTTP
// file server, one publishing a LeaseSet2 (b32 address), one an
// encrypted LeaseSet (b33 address). curl in veil's namespace, through
// 127.0.0.1:4444, fetches the file by the b32 address (plain GET), by
// the b32 address inside CONNECT (curl -p), and by the b33 address; each
// SHA-256 matches. A clearnet URL gets 403 and an unknown name 404.
func TestHTTPProxyI2pd(t *testing.T) {
	inParallel(t)
	t0 := time.Now()
	const (
		webPort = 8080
		host    = 2 // the i2pd router with the sites
		size    = 2 << 20
	)
	var keys [2]*keyfile.PrivateKeys
	for i := range keys {
		k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	b32 := keys[0].Identity.Hash().B32()
	b33, err := data.EncodeB33(crypto.SigEdDSASHA512, crypto.SigRedDSASHA512, keys[1].Identity.SigningPublicKey(), data.B33Flags{})
	if err != nil {
		t.Fatal(err)
	}
	// 0-hop outbound tunnels for i2pd's sites: i2pd 2.45.1 drops a
	// LeaseSet publication made before its outbound tunnels exist ("Can't
	// publish LeaseSet. Destination is not ready") and tries again only
	// when its leases change, which left the b33 site unpublished for
	// minutes.
	pools := "inbound.length = 2\noutbound.length = 0\ninbound.quantity = 2\noutbound.quantity = 2\n"
	m := startMixed(t, mixedConfig{
		I2pdTunnels: func(i int) string {
			if i != host {
				return ""
			}
			return fmt.Sprintf("[site]\ntype = http\nhost = 127.0.0.1\nport = %d\nkeys = site.dat\n%s"+
				"[site33]\ntype = http\nhost = 127.0.0.1\nport = %[1]d\nkeys = site33.dat\ni2cp.leaseSetType = 5\n%[2]s", webPort, pools)
		},
		BeforeI2pdStart: func(i int, dataDir string) {
			if i == host {
				writeFile(t, filepath.Join(dataDir, "site.dat"), keys[0].Bytes())
				writeFile(t, filepath.Join(dataDir, "site33.dat"), keys[1].Bytes())
			}
		},
		VeilArgs: []string{"--httpproxy.enabled=true", "--httpproxy.inbound.length=2", "--httpproxy.outbound.length=2",
			"--httpproxy.inbound.quantity=2", "--httpproxy.outbound.quantity=2"},
	})
	t.Logf("veil %s and %d i2pd up after %v", m.VeilHash, len(m.I2pd), since(t0))
	files := t.TempDir()
	want := randomFile(t, files, "file.bin", size)
	startFileServer(t, m.Net, m.I2pdNS[host], hostPort("127.0.0.1", webPort), files)

	deadline := time.Now().Add(streamReady)
	for {
		st, err := veilStatusOf(t, m.VeilDir)
		if err == nil && len(st.TCPTunnels) == 1 && len(st.Destinations) == 1 && st.Destinations[0].Leases > 0 {
			p := st.TCPTunnels[0]
			if p.Type != "httpproxy" || p.Listen != "127.0.0.1:4444" || p.Destination != st.Destinations[0].Address {
				t.Fatalf("veil status tcp_tunnels: %+v", st.TCPTunnels)
			}
			t.Logf("veil's HTTP proxy on %s, destination %s, after %v", p.Listen, p.Destination, since(t0))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("veil's HTTP proxy has no leases after %v: %+v %v\n%s", streamReady, st, err, m.Veil.logSummary(30))
		}
		time.Sleep(2 * time.Second)
	}

	proxy := []string{"-x", "http://127.0.0.1:4444"}
	for _, f := range []struct {
		name, url string
		extra     []string
	}{
		{"GET by b32", "http://" + b32 + "/file.bin", proxy},
		{"CONNECT to b32:80", "http://" + b32 + "/file.bin", append([]string{"-p"}, proxy...)},
		{"GET by b33", "http://" + b33 + "/file.bin", proxy},
		{"GET by b32 again (LeaseSet known)", "http://" + b32 + "/file.bin", proxy},
	} {
		got, n, took := fetchRetrying(t, m.Net, m.VeilNS, f.url, f.extra...)
		t.Logf("%s: %d bytes in %v (%.0f KB/s), sha256 ok: %v", f.name, n, took.Round(time.Millisecond), float64(n)/1024/took.Seconds(), got == want)
		if got != want {
			t.Errorf("%s: sha256 %s, want %s; the proxy says: %s", f.name, got, want, proxyPage(t, m, f.url))
		}
	}
	for url, code := range map[string]string{"http://example.com/": "403", "http://unknown.i2p/": "404"} {
		if page := proxyPage(t, m, url); !strings.HasPrefix(page, code+" ") {
			t.Errorf("%s: %s, want status %s", url, page, code)
		}
	}
	t.Logf("total %v", since(t0))
}

// proxyPage is the status and text of what veil's proxy answers for url.
func proxyPage(t *testing.T, m *mixedNet, url string) string {
	out, err := m.Net.Command(m.VeilNS, "curl", "-s", "--max-time", "60", "-w", "\n%{http_code}", "-x", "http://127.0.0.1:4444", url).Output()
	i := strings.LastIndexByte(string(out), '\n')
	body, code := string(out[:max(i, 0)]), string(out[i+1:])
	text := regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`).ReplaceAllString(body, " ")
	return fmt.Sprintf("%s %.300s %v", code, strings.Join(strings.Fields(text), " "), err)
}
