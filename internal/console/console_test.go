package console

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRouter is a Router with fixed state; its strings carry HTML, as a
// hostile RouterInfo or LeaseSet could.
type fakeRouter struct {
	mu       sync.Mutex
	settings Settings
	saved    []Settings
	shutdown int
	conf     string
}

const evil = `<script>alert(1)</script>`

func (f *fakeRouter) Snapshot() Snapshot {
	ok := 0.75
	now := time.Now()
	return Snapshot{
		Overview: Overview{Hash: "hash", Version: "0.9.68", Caps: "XfR", NetID: 99, Uptime: 90 * time.Second, Status: "ok",
			BytesIn: 123456, BytesOut: 654321, RateIn: 2048, RateOut: 1024, BuildSuccess: &ok, Builds: 4, PeersKnown: 7, PeersActive: 3, Transit: 2, Streams: 1},
		Bootstrap: []Stage{{Name: "Reseed", Done: true}, {Name: "NetDB", Done: true}, {Name: "First tunnels"}, {Name: "LeaseSets published"}},
		Peers: []Peer{{Hash: "peerhash", Transport: "NTCP2", Direction: "out", Address: "127.0.0.1:1", Caps: evil, Version: `"><b>v</b>`, Established: now,
			Profile: &PeerProfile{Agreed: 5, Rejected: 1, Score: 0.8}}},
		Tunnels: Tunnels{Exploratory: []Tunnel{{Pool: "exploratory", Direction: "inbound", Hops: []string{"a", "b"}, State: "established", Expires: now.Add(time.Minute)}},
			Client:  []Tunnel{{Pool: evil, Direction: "outbound", Hops: []string{"c"}, State: "established", Expires: now.Add(time.Minute)}},
			Transit: []TransitTunnel{{ID: 42, Role: "participant", Next: "n", Expires: now.Add(time.Minute)}}, TransitCount: 1},
		NetDB: NetDB{Routers: 7, Floodfills: 2, LeaseSets: 1, Counters: []Counter{{Name: "lookups", Value: 5}}},
		Destinations: []Destination{{Name: evil, B32: "abc.b32.i2p", Published: now, Leases: []Lease{{Gateway: "gw", TunnelID: 9, Expires: now.Add(time.Minute)}},
			GarlicSent: map[string]uint64{"ES \"x\"\n": 4, "NS": 1}, GarlicReceived: map[string]uint64{"ES": 3}}},
		I2PTunnels: []I2PTunnel{{Name: "web", Type: "server", Destination: "abc.b32.i2p", Listen: evil}},
		SAM:        &SAM{Address: "127.0.0.1:7656", UDPAddress: "127.0.0.1:7655", ActiveSessions: 2, Streams: 7, DatagramsSent: 3},
	}
}

func (f *fakeRouter) History() []Sample {
	now := time.Now()
	return []Sample{{At: now.Add(-10 * time.Second), RateIn: 100, RateOut: 50}, {At: now.Add(-5 * time.Second), RateIn: 3000, RateOut: 900}, {At: now, RateIn: 10, RateOut: 20}}
}

func (f *fakeRouter) Lookup(ctx context.Context, key, typ string) Lookup {
	return Lookup{Key: key, Type: typ, Found: false, Error: evil}
}

func (f *fakeRouter) Settings() Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settings
}

func (f *fakeRouter) SaveSettings(s Settings) error {
	if err := WriteSettings(f.conf, s); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settings = s
	f.saved = append(f.saved, s)
	return nil
}

func (f *fakeRouter) Shutdown() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shutdown++
}

func newTestServer(t *testing.T, cfg Config) (*Server, *fakeRouter, *httptest.Server) {
	t.Helper()
	f := &fakeRouter{settings: Settings{Share: 100}, conf: filepath.Join(t.TempDir(), "i2pd.conf")}
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:7070"
	}
	s, err := New(cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	return s, f, newServerFor(t, s)
}

func newServerFor(t *testing.T, s *Server) *httptest.Server {
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// do sends method path with Host set to host ("" leaves the test server's
// address, 127.0.0.1:port).
func do(t *testing.T, ts *httptest.Server, method, path, host string, form url.Values, auth []string) (*http.Response, string) {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if host != "" {
		req.Host = host
	}
	if auth != nil {
		req.SetBasicAuth(auth[0], auth[1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

var paths = []string{"/", "/peers", "/tunnels", "/netdb", "/destinations", "/i2ptunnels", "/addressbook", "/logs", "/config", "/graph.svg", "/api/status", "/api/history", "/static/console.css"}

func TestPages(t *testing.T) {
	_, _, ts := newTestServer(t, Config{StrictHeaders: true})
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			resp, body := do(t, ts, "GET", p, "", nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if strings.Contains(body, evil) {
				t.Errorf("raw HTML from the network in the page:\n%s", body)
			}
			if strings.HasSuffix(resp.Header.Get("Content-Type"), "html; charset=utf-8") && p != "/static/console.css" {
				if !strings.Contains(body, `name="csrf"`) && (p == "/" || p == "/config" || p == "/netdb") {
					t.Errorf("no CSRF token in the page's forms")
				}
			}
		})
	}
}

func TestSAMCards(t *testing.T) {
	_, _, ts := newTestServer(t, Config{})
	if _, body := do(t, ts, "GET", "/destinations", "", nil, nil); !strings.Contains(body, `id="sam"`) || !strings.Contains(body, "2 sessions") {
		t.Error("no SAM cards on the destinations page")
	}
}

// TestEscaping: fields from the network with HTML in them are shown as
// text.
func TestEscaping(t *testing.T) {
	_, _, ts := newTestServer(t, Config{})
	for _, p := range []string{"/peers", "/tunnels", "/destinations", "/i2ptunnels"} {
		_, body := do(t, ts, "GET", p, "", nil, nil)
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the hostile field is not shown escaped", p)
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>v</b>") {
			t.Errorf("%s: raw HTML from the network", p)
		}
	}
}

func TestHostHeader(t *testing.T) {
	_, _, ts := newTestServer(t, Config{StrictHeaders: true, Hostname: "router.lan"})
	for _, tc := range []struct {
		host string
		want int
	}{
		{"localhost:7070", 200}, {"127.0.0.1", 200}, {"[::1]:7070", 200}, {"router.lan:7070", 200}, {"ROUTER.LAN", 200},
		{"evil.example", 403}, {"evil.example:7070", 403}, {"127.0.0.1.evil.example", 403}, {"localhost.evil", 403},
	} {
		for _, p := range paths {
			resp, _ := do(t, ts, "GET", p, tc.host, nil, nil)
			if resp.StatusCode != tc.want {
				t.Errorf("Host %q %s: status %d, want %d", tc.host, p, resp.StatusCode, tc.want)
			}
		}
	}
	// Without strictheaders any name is served.
	_, _, loose := newTestServer(t, Config{StrictHeaders: false})
	if resp, _ := do(t, loose, "GET", "/", "evil.example", nil, nil); resp.StatusCode != 200 {
		t.Errorf("strictheaders off: status %d", resp.StatusCode)
	}
}

func TestAuth(t *testing.T) {
	_, _, ts := newTestServer(t, Config{Auth: true, User: "admin", Pass: "secret"})
	for _, p := range paths {
		if resp, _ := do(t, ts, "GET", p, "", nil, nil); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s without a password: status %d", p, resp.StatusCode)
		}
		if resp, _ := do(t, ts, "GET", p, "", nil, []string{"admin", "wrong"}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: status %d", p, resp.StatusCode)
		}
		if resp, _ := do(t, ts, "GET", p, "", nil, []string{"admin", "secret"}); resp.StatusCode != http.StatusOK {
			t.Errorf("%s with the password: status %d", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/config", "/shutdown", "/restart", "/i2ptunnels/new", "/addressbook/add"} {
		if resp, _ := do(t, ts, "POST", p, "", url.Values{"share": {"50"}}, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s without a password: status %d", p, resp.StatusCode)
		}
	}
	// http.auth without http.pass: a random password, not an open door.
	s, _, ts2 := newTestServer(t, Config{Auth: true, User: "i2pd"})
	if s.cfg.Pass == "" {
		t.Fatal("no random password")
	}
	if resp, _ := do(t, ts2, "GET", "/", "", nil, []string{"i2pd", ""}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("empty password accepted: %d", resp.StatusCode)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func token(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	_, body := do(t, ts, "GET", "/config", "", nil, nil)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the config page")
	}
	return m[1]
}

func TestCSRF(t *testing.T) {
	_, f, ts := newTestServer(t, Config{StrictHeaders: true})
	tok := token(t, ts)
	form := url.Values{"bandwidth": {"P"}, "share": {"50"}, "floodfill": {"on"}}
	for _, bad := range []string{"", "x", tok[:len(tok)-1], tok + "x"} {
		fv := url.Values{"csrf": {bad}}
		for k, v := range form {
			fv[k] = v
		}
		if resp, _ := do(t, ts, "POST", "/config", "", fv, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("config with token %q: status %d", bad, resp.StatusCode)
		}
		if resp, _ := do(t, ts, "POST", "/shutdown", "", url.Values{"csrf": {bad}}, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("shutdown with token %q: status %d", bad, resp.StatusCode)
		}
		if resp, _ := do(t, ts, "GET", "/netdb?key=abc.b32.i2p&csrf="+url.QueryEscape(bad), "", nil, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("lookup with token %q: status %d", bad, resp.StatusCode)
		}
	}
	// The token in the query string of a POST does not count.
	if resp, _ := do(t, ts, "POST", "/config?csrf="+url.QueryEscape(tok), "", form, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("token in the URL accepted: %d", resp.StatusCode)
	}
	if len(f.saved) != 0 || f.shutdown != 0 {
		t.Fatalf("refused forms acted: saved %v, shutdown %d", f.saved, f.shutdown)
	}
	form.Set("csrf", tok)
	resp, _ := do(t, ts, "POST", "/config", "", form, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("config with the token: status %d", resp.StatusCode)
	}
	if want := (Settings{Bandwidth: "P", Share: 50, Floodfill: true}); len(f.saved) != 1 || f.saved[0] != want {
		t.Fatalf("saved %+v, want %+v", f.saved, want)
	}
	if resp, _ := do(t, ts, "POST", "/shutdown", "", url.Values{"csrf": {tok}}, nil); resp.StatusCode != 200 || f.shutdown != 1 {
		t.Errorf("shutdown with the token: status %d, shutdowns %d", resp.StatusCode, f.shutdown)
	}
	if resp, body := do(t, ts, "GET", "/netdb?key=abc.b32.i2p&csrf="+url.QueryEscape(tok), "", nil, nil); resp.StatusCode != 200 || !strings.Contains(body, "lookup-result") {
		t.Errorf("lookup with the token: status %d", resp.StatusCode)
	}
}

func TestConfigValidation(t *testing.T) {
	_, f, ts := newTestServer(t, Config{})
	tok := token(t, ts)
	for _, form := range []url.Values{
		{"share": {"101"}}, {"share": {"-1"}}, {"share": {"x"}}, {"share": {"50"}, "bandwidth": {"Q"}}, {"share": {"50"}, "bandwidth": {"12kb"}},
	} {
		form.Set("csrf", tok)
		if resp, body := do(t, ts, "POST", "/config", "", form, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "config-error") {
			t.Errorf("%v: status %d", form, resp.StatusCode)
		}
	}
	if len(f.saved) != 0 {
		t.Errorf("saved %v", f.saved)
	}
}

func TestWebRoot(t *testing.T) {
	_, _, ts := newTestServer(t, Config{WebRoot: "/console/"})
	resp, body := do(t, ts, "GET", "/console/peers", "", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `href="/console/static/console.css"`) {
		t.Errorf("status %d", resp.StatusCode)
	}
	if resp, _ := do(t, ts, "GET", "/peers", "", nil, nil); resp.StatusCode != 404 {
		t.Errorf("outside the webroot: status %d", resp.StatusCode)
	}
}

func TestWriteSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "i2pd.conf")
	orig := "# my router\nloglevel = info\nshare = 80 \nbandwidth=O\n\n[http]\n# share = 1\nport = 7071\n[ntcp2]\nfloodfill = true\n"
	if err := os.WriteFile(path, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteSettings(path, Settings{Bandwidth: "P", Share: 30, NoTransit: true}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# my router\nloglevel = info\nshare = 30\nbandwidth = P\nnotransit = true\nfloodfill = false\n\n[http]\n# share = 1\nport = 7071\n[ntcp2]\nfloodfill = true\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode())
	}
	fresh := filepath.Join(t.TempDir(), "new.conf")
	if err := WriteSettings(fresh, Settings{Share: 100}); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(fresh)
	if string(got) != "bandwidth =\nshare = 100\nnotransit = false\nfloodfill = false\n" {
		t.Errorf("new file:\n%s", got)
	}
	if err := WriteSettings(fresh, Settings{Share: 101}); err == nil {
		t.Error("share 101 written")
	}
}

func TestGraph(t *testing.T) {
	svg := renderGraph((&fakeRouter{}).History())
	if !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "<polyline") != 2 {
		t.Errorf("graph: %s", svg)
	}
	if empty := renderGraph(nil); !strings.Contains(empty, "collecting") {
		t.Errorf("empty graph: %s", empty)
	}
}

func TestHistory(t *testing.T) {
	h := NewHistory(3)
	for i := range 5 {
		h.Add(Sample{RateIn: float64(i)})
	}
	s := h.Samples()
	if len(s) != 3 || s[0].RateIn != 2 || s[2].RateIn != 4 {
		t.Errorf("samples %v", s)
	}
	if in, _ := Average(s, 2); in != 3.5 {
		t.Errorf("average %v", in)
	}
}
