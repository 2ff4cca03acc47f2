package console

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeManager is a fakeRouter that can also manage tunnels.
type fakeManager struct {
	*fakeRouter
	saved   []TunnelSpec
	stopped []string
}

func (f *fakeManager) SaveTunnel(s TunnelSpec) (bool, error) {
	f.saved = append(f.saved, s)
	return true, nil
}

func (f *fakeManager) StopTunnel(name string) error {
	if name != "web" {
		return errors.New("no tunnel " + name)
	}
	f.stopped = append(f.stopped, name)
	return nil
}

func (f *fakeManager) StartTunnel(name string) error { return nil }

func TestTunnelForms(t *testing.T) {
	f := &fakeManager{fakeRouter: &fakeRouter{}}
	s, err := New(Config{Address: "127.0.0.1:7070"}, f)
	if err != nil {
		t.Fatal(err)
	}
	ts := newServerFor(t, s)
	_, page := do(t, ts, "GET", "/i2ptunnels", "", nil, nil)
	if !strings.Contains(page, `id="new-tunnel"`) {
		t.Fatal("no tunnel form for a router that manages tunnels")
	}
	tok := csrfRE.FindStringSubmatch(page)[1]
	good := url.Values{"name": {"site"}, "type": {"http"}, "host": {"127.0.0.1"}, "port": {"8080"}, "hops": {"1"}}
	for _, action := range []string{"new", "stop", "start"} {
		if resp, _ := do(t, ts, "POST", "/i2ptunnels/"+action, "", good, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s without a token: %d", action, resp.StatusCode)
		}
	}
	if len(f.saved) != 0 {
		t.Fatal("saved without a token")
	}
	for _, bad := range []url.Values{
		{"name": {"a b"}, "type": {"server"}, "port": {"80"}},
		{"name": {"x]\ntype=client"}, "type": {"server"}, "port": {"80"}},
		{"name": {"x"}, "type": {"socks"}, "port": {"80"}},
		{"name": {"x"}, "type": {"server"}, "port": {"0"}},
		{"name": {"x"}, "type": {"server"}, "port": {"80"}, "host": {"evil\nkeys=../../x"}},
		{"name": {"x"}, "type": {"client"}, "port": {"80"}, "destination": {"a.i2p\n[y]"}},
		{"name": {"x"}, "type": {"client"}, "port": {"80"}},
		{"name": {"x"}, "type": {"server"}, "port": {"80"}, "hops": {"9"}},
	} {
		bad.Set("csrf", tok)
		if resp, body := do(t, ts, "POST", "/i2ptunnels/new", "", bad, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "tunnel-error") {
			t.Errorf("%v: status %d", bad, resp.StatusCode)
		}
	}
	good.Set("csrf", tok)
	if resp, body := do(t, ts, "POST", "/i2ptunnels/new", "", good, nil); resp.StatusCode != 200 || !strings.Contains(body, "tunnel-msg") {
		t.Fatalf("new: %d", resp.StatusCode)
	}
	if want := (TunnelSpec{Name: "site", Type: "http", Host: "127.0.0.1", Port: 8080, Hops: 1}); len(f.saved) != 1 || f.saved[0] != want {
		t.Errorf("saved %+v", f.saved)
	}
	if resp, _ := do(t, ts, "POST", "/i2ptunnels/stop", "", url.Values{"csrf": {tok}, "name": {"web"}}, nil); resp.StatusCode != 200 || len(f.stopped) != 1 {
		t.Errorf("stop: %d %v", resp.StatusCode, f.stopped)
	}
	if resp, _ := do(t, ts, "POST", "/i2ptunnels/stop", "", url.Values{"csrf": {tok}, "name": {"nope"}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("stop of an unknown tunnel: %d", resp.StatusCode)
	}

	// A router without tunnel management shows no form and refuses posts.
	_, _, plain := newTestServer(t, Config{})
	if _, page := do(t, plain, "GET", "/i2ptunnels", "", nil, nil); strings.Contains(page, `id="new-tunnel"`) {
		t.Error("a form for a router that cannot manage tunnels")
	}
}

func TestWriteTunnelSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tunnels.conf")
	orig := "# mine\n[a]\ntype = client\nport = 1\n\n[site]\ntype = server\nport = 2\n\n[b]\ntype = server\n"
	os.WriteFile(path, []byte(orig), 0o600)
	if err := WriteTunnelSection(path, "site", TunnelSection(TunnelSpec{Name: "site", Type: "http", Host: "127.0.0.1", Port: 80, Hops: 2})); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# mine\n[a]\ntype = client\nport = 1\n\n[site]\ntype = http\nhost = 127.0.0.1\nport = 80\nkeys = site.dat\ninbound.length = 2\noutbound.length = 2\n[b]\ntype = server\n"
	if string(got) != want {
		t.Errorf("replace: got\n%s\nwant\n%s", got, want)
	}
	if err := WriteTunnelSection(path, "c", TunnelSection(TunnelSpec{Name: "c", Type: "client", Port: 9, Destination: "x.b32.i2p", Hops: 3})); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(path)
	if !strings.HasSuffix(string(got), "[b]\ntype = server\n\n[c]\ntype = client\naddress = 127.0.0.1\nport = 9\ndestination = x.b32.i2p\nkeys = transient\ninbound.length = 3\noutbound.length = 3\n") {
		t.Errorf("append:\n%s", got)
	}
}

// FuzzTunnelForm: a form either is refused or gives a section that
// holds exactly its own lines (no header or key smuggled in).
func FuzzTunnelForm(f *testing.F) {
	f.Add("site", "http", "127.0.0.1", "8080", "", "", "1")
	f.Add("c", "client", "", "9", "x.b32.i2p", "80", "3")
	f.Add("x]\n[y", "server", "::1", "1", "", "", "")
	f.Fuzz(func(t *testing.T, name, typ, host, port, dest, dport, hops string) {
		form := url.Values{"name": {name}, "type": {typ}, "host": {host}, "port": {port}, "destination": {dest}, "destinationport": {dport}, "hops": {hops}}
		req, err := http.NewRequest("POST", "/i2ptunnels/new", strings.NewReader(form.Encode()))
		if err != nil {
			t.Skip()
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		spec, err := parseTunnelForm(req)
		if err != nil {
			return
		}
		for _, l := range TunnelSection(spec) {
			k, v, ok := strings.Cut(l, " = ")
			if !ok || strings.ContainsAny(l, "\r\n[]#") || strings.Contains(v, "=") || strings.ContainsAny(k, " ") {
				t.Fatalf("section line %q from %+v", l, spec)
			}
		}
	})
}

// fakeBook is a fakeRouter with an addressbook.
type fakeBook struct {
	*fakeRouter
	names []Name
}

func (f *fakeBook) AddressBookEnabled() bool { return true }

func (f *fakeBook) Names(book, search string) ([]Name, error) { return f.names, nil }

func (f *fakeBook) AddName(name, dest string, replace bool) error {
	if dest != "AAAA" {
		return errors.New("bad destination")
	}
	f.names = append(f.names, Name{Name: name, B32: "x.b32.i2p", Book: "private"})
	return nil
}

func (f *fakeBook) RemoveName(name string) error { return nil }

func (f *fakeBook) Subscriptions() []Subscription {
	return []Subscription{{URL: "http://" + evil + ".i2p/hosts.txt", LastError: evil}}
}

func (f *fakeBook) UpdateSubscriptions() error { return nil }

func TestAddressBookPage(t *testing.T) {
	f := &fakeBook{fakeRouter: &fakeRouter{}, names: []Name{{Name: evil + ".i2p", B32: "abc.b32.i2p", Book: "router"}}}
	s, err := New(Config{Address: "127.0.0.1:7070"}, f)
	if err != nil {
		t.Fatal(err)
	}
	ts := newServerFor(t, s)
	resp, page := do(t, ts, "GET", "/addressbook?q=x", "", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, `id="book-add"`) {
		t.Fatalf("page: %d", resp.StatusCode)
	}
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;.i2p") {
		t.Error("a name from a subscription is not escaped")
	}
	tok := csrfRE.FindStringSubmatch(page)[1]
	for _, a := range []string{"add", "remove", "update"} {
		if resp, _ := do(t, ts, "POST", "/addressbook/"+a, "", url.Values{"name": {"a.i2p"}, "dest": {"AAAA"}}, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s without a token: %d", a, resp.StatusCode)
		}
	}
	if len(f.names) != 1 {
		t.Fatal("added without a token")
	}
	if resp, _ := do(t, ts, "POST", "/addressbook/add", "", url.Values{"csrf": {tok}, "name": {"a.i2p"}, "dest": {"BBBB"}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad destination: %d", resp.StatusCode)
	}
	if resp, body := do(t, ts, "POST", "/addressbook/add", "", url.Values{"csrf": {tok}, "name": {"a.i2p"}, "dest": {"AAAA"}}, nil); resp.StatusCode != 200 || !strings.Contains(body, "book-msg") || len(f.names) != 2 {
		t.Errorf("add: %d", resp.StatusCode)
	}
	// Without an addressbook the page says so.
	_, _, plain := newTestServer(t, Config{})
	if _, page := do(t, plain, "GET", "/addressbook", "", nil, nil); !strings.Contains(page, "addressbook is off") {
		t.Error("no notice without an addressbook")
	}
}

// fakeGraceful is a fakeRouter that can shut down gracefully.
type fakeGraceful struct {
	*fakeRouter
	graceful int
}

func (f *fakeGraceful) ShutdownGraceful() { f.graceful++ }

func TestGracefulShutdown(t *testing.T) {
	f := &fakeGraceful{fakeRouter: &fakeRouter{}}
	s, err := New(Config{Address: "127.0.0.1:7070"}, f)
	if err != nil {
		t.Fatal(err)
	}
	ts := newServerFor(t, s)
	_, page := do(t, ts, "GET", "/", "", nil, nil)
	if !strings.Contains(page, `id="graceful"`) {
		t.Fatal("no graceful shutdown button")
	}
	tok := csrfRE.FindStringSubmatch(page)[1]
	if resp, body := do(t, ts, "POST", "/shutdown", "", url.Values{"csrf": {tok}, "graceful": {"1"}}, nil); resp.StatusCode != 200 || !strings.Contains(body, "gracefully") {
		t.Fatalf("graceful: %d", resp.StatusCode)
	}
	if f.graceful != 1 || f.shutdown != 0 {
		t.Errorf("graceful %d, shutdown %d", f.graceful, f.shutdown)
	}
	if resp, _ := do(t, ts, "POST", "/shutdown", "", url.Values{"csrf": {tok}}, nil); resp.StatusCode != 200 || f.shutdown != 1 {
		t.Errorf("shutdown now: %d, %d", resp.StatusCode, f.shutdown)
	}
}
