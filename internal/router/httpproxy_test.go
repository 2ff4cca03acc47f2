package router

import (
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// TestVeilHTTPProxy: a browser's GET through a veil HTTP proxy (its own
// transient destination, port 0) reaches an HTTP server behind a veil
// server tunnel on another router over 2-hop tunnels, with the proxy's
// rewriting; a named host and a clearnet one get their error pages;
// status lists the proxy.
func TestVeilHTTPProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("five routers")
	}
	file := make([]byte, 256<<10)
	rand.Read(file)
	agents := make(chan string, 4)
	web, keys := testWebSite(t, func(w http.ResponseWriter, r *http.Request) {
		agents <- r.RequestURI + " " + r.UserAgent()
		w.Write(file)
	})
	shape := PoolShape{InboundLength: 2, OutboundLength: 2, InboundQuantity: 2, OutboundQuantity: 2}
	_, dirs := startVeilNet(t, 5, func(i int, cfg *Config) {
		switch i {
		case 4:
			if _, _, err := keyfile.LoadOrCreate(filepath.Join(cfg.DataDir, "web.dat"), func() (*keyfile.PrivateKeys, error) { return keys, nil }); err != nil {
				t.Fatal(err)
			}
			cfg.Destinations = []DestinationConfig{{Name: "web", KeysFile: "web.dat", Pool: shape,
				TCPServer: &i2ptunnel.ServerConfig{Name: "web", Host: "127.0.0.1", Port: web}}}
		case 3:
			cfg.Destinations = []DestinationConfig{{Name: "httpproxy", Pool: shape,
				HTTPProxy: &i2ptunnel.HTTPProxyConfig{Name: "httpproxy", Port: 0, AddressHelper: true}}}
		}
	})
	waitStatusFor(t, dirs[4], "LeaseSet published", 30*time.Second, func(st Status) bool {
		return len(st.Destinations) == 1 && st.Destinations[0].Stores > 0
	})
	st := waitStatusFor(t, dirs[3], "proxy up", 30*time.Second, func(st Status) bool {
		return len(st.Destinations) == 1 && st.Destinations[0].Leases > 0 && len(st.TCPTunnels) == 1
	})
	p := st.TCPTunnels[0]
	if p.Type != "httpproxy" || !strings.HasPrefix(p.Listen, "127.0.0.1:") || p.Destination != st.Destinations[0].Address {
		t.Fatalf("status %+v", p)
	}
	c := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: p.Listen})}}
	get := func(u string) (int, []byte, error) {
		resp, err := c.Get(u)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	site := "http://" + keys.Identity.Hash().B32() + "/f?x=1"
	var got []byte
	for try := 0; try < 3 && got == nil; try++ { // the first lookup may miss a LeaseSet not yet stored
		code, b, err := get(site)
		if err != nil || code != http.StatusOK {
			t.Logf("GET: %d %v", code, err)
			time.Sleep(2 * time.Second)
			continue
		}
		got = b
	}
	if sha256.Sum256(got) != sha256.Sum256(file) {
		t.Fatalf("got %d bytes, want the server's %d", len(got), len(file))
	}
	if a := <-agents; a != "/f?x=1 MYOB/6.66 (AN/ON)" {
		t.Errorf("server saw %q", a)
	}
	for u, want := range map[string]int{"http://unknown.i2p/": http.StatusNotFound, "http://example.com/": http.StatusForbidden} {
		if code, _, err := get(u); code != want {
			t.Errorf("%s: %d %v, want %d", u, code, err, want)
		}
	}
}

// testWebSite serves h on a loopback port until the test ends, and gives
// keys for the destination that will carry it.
func testWebSite(t *testing.T, h http.HandlerFunc) (port int, keys *keyfile.PrivateKeys) {
	t.Helper()
	web, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(web)
	t.Cleanup(func() { srv.Close() })
	keys, err = keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return web.Addr().(*net.TCPAddr).Port, keys
}
