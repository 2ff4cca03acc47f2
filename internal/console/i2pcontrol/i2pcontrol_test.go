package i2pcontrol

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/console"
)

type fakeRouter struct {
	mu       sync.Mutex
	settings console.Settings
	shutdown int
}

func (f *fakeRouter) Snapshot() console.Snapshot {
	ok := 0.8
	return console.Snapshot{
		Overview: console.Overview{Version: "0.9.68", Uptime: 61 * time.Second, Status: "ok", BytesIn: 1000, BytesOut: 2000,
			BuildSuccess: &ok, PeersKnown: 9, PeersActive: 4, Transit: 3},
		Bootstrap: []console.Stage{{Name: "Reseed", Done: true}, {Name: "NetDB", Done: true}, {Name: "First tunnels", Done: true}, {Name: "LeaseSets published"}},
	}
}

func (f *fakeRouter) History() []console.Sample {
	return []console.Sample{{RateIn: 100, RateOut: 10}, {RateIn: 200, RateOut: 20}, {RateIn: 300, RateOut: 30}}
}

func (f *fakeRouter) Lookup(context.Context, string, string) console.Lookup { return console.Lookup{} }

func (f *fakeRouter) Settings() console.Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settings
}

func (f *fakeRouter) SaveSettings(s console.Settings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settings = s
	return nil
}

func (f *fakeRouter) Shutdown() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shutdown++
}

// client is an I2PControl client written from the spec: it POSTs JSON-RPC
// 2.0 calls with named params and keeps the token Authenticate gives.
type client struct {
	url   string
	http  *http.Client
	token string
	id    int
}

type rpcReply struct {
	ID      json.RawMessage `json:"id"`
	Result  map[string]any  `json:"result"`
	Error   *Error          `json:"error"`
	JSONRPC string          `json:"jsonrpc"`
}

func (c *client) raw(t *testing.T, body []byte) rpcReply {
	t.Helper()
	resp, err := c.http.Post(c.url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r rpcReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("reply is not JSON: %v", err)
	}
	if r.JSONRPC != "2.0" {
		t.Fatalf("jsonrpc %q", r.JSONRPC)
	}
	return r
}

func (c *client) call(t *testing.T, method string, params map[string]any) rpcReply {
	t.Helper()
	c.id++
	if c.token != "" && method != "Authenticate" {
		params["Token"] = c.token
	}
	b, _ := json.Marshal(map[string]any{"id": c.id, "method": method, "params": params, "jsonrpc": "2.0"})
	r := c.raw(t, b)
	if r.Error == nil && string(r.ID) != fmt.Sprint(c.id) {
		t.Fatalf("id %s, want %d", r.ID, c.id)
	}
	return r
}

func (c *client) authenticate(t *testing.T, password string) rpcReply {
	r := c.call(t, "Authenticate", map[string]any{"API": 1, "Password": password})
	if r.Error == nil {
		c.token, _ = r.Result["Token"].(string)
	}
	return r
}

// startTLS serves s over HTTPS with a certificate made in dir and
// returns a client that trusts only that certificate.
func startTLS(t *testing.T, s *Server, dir string) *client {
	t.Helper()
	certPath, keyPath := filepath.Join(dir, "i2pcontrol.crt.pem"), filepath.Join(dir, "i2pcontrol.key.pem")
	tc, err := LoadOrCreateTLS(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	s.cfg.TLS, s.cfg.Address = tc, "127.0.0.1:0"
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	pemBytes, _ := os.ReadFile(certPath)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(hc.CloseIdleConnections)
	return &client{url: "https://" + ln.Addr().String() + "/jsonrpc", http: hc}
}

func TestClient(t *testing.T) {
	f := &fakeRouter{settings: console.Settings{Share: 100}}
	dir := t.TempDir()
	s := New(Config{Password: "itoopie"}, f)
	c := startTLS(t, s, dir)

	if r := c.authenticate(t, "wrong"); r.Error == nil || r.Error.Code != CodeBadPassword {
		t.Fatalf("wrong password: %+v", r)
	}
	if r := c.call(t, "Echo", map[string]any{"Echo": "x"}); r.Error == nil || r.Error.Code != CodeNoToken {
		t.Fatalf("no token: %+v", r)
	}
	r := c.authenticate(t, "itoopie")
	if r.Error != nil || r.Result["API"] != float64(1) || c.token == "" {
		t.Fatalf("authenticate: %+v", r)
	}
	if r := c.call(t, "Echo", map[string]any{"Echo": "hello"}); r.Error != nil || r.Result["Result"] != "hello" {
		t.Fatalf("echo: %+v", r)
	}

	keys := map[string]any{}
	for _, k := range []string{"i2p.router.uptime", "i2p.router.version", "i2p.router.status", "i2p.router.netdb.knownpeers",
		"i2p.router.netdb.activepeers", "i2p.router.netdb.fastpeers", "i2p.router.netdb.highcapacitypeers", "i2p.router.netdb.isreseeding",
		"i2p.router.net.bw.inbound.1s", "i2p.router.net.bw.inbound.15s", "i2p.router.net.bw.outbound.1s", "i2p.router.net.bw.outbound.15s",
		"i2p.router.net.status", "i2p.router.net.tunnels.participating", "i2p.router.net.tunnels.successrate",
		"i2p.router.net.total.received.bytes", "i2p.router.net.total.sent.bytes", "no.such.key"} {
		keys[k] = nil
	}
	r = c.call(t, "RouterInfo", keys)
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	for k, want := range map[string]any{
		"i2p.router.uptime": float64(61000), "i2p.router.version": "0.9.68", "i2p.router.status": "1",
		"i2p.router.netdb.knownpeers": float64(9), "i2p.router.netdb.activepeers": float64(4), "i2p.router.netdb.isreseeding": false,
		"i2p.router.net.bw.inbound.1s": float64(300), "i2p.router.net.bw.inbound.15s": float64(200), "i2p.router.net.bw.outbound.15s": float64(20),
		"i2p.router.net.status": float64(0), "i2p.router.net.tunnels.participating": float64(3), "i2p.router.net.tunnels.successrate": float64(80),
		"i2p.router.net.total.received.bytes": float64(1000), "i2p.router.net.total.sent.bytes": float64(2000),
	} {
		if r.Result[k] != want {
			t.Errorf("%s = %#v, want %#v", k, r.Result[k], want)
		}
	}
	if _, ok := r.Result["no.such.key"]; ok || len(r.Result) != 17 {
		t.Errorf("RouterInfo keys: %v", r.Result)
	}

	if r := c.call(t, "GetRate", map[string]any{"Stat": "bw.sendRate", "Period": 15000}); r.Error != nil || r.Result["Result"] != float64(20) {
		t.Errorf("GetRate: %+v", r)
	}
	if r := c.call(t, "GetRate", map[string]any{"Stat": "nope", "Period": 60000}); r.Error == nil || r.Error.Code != CodeInvalidParams {
		t.Errorf("GetRate unknown stat: %+v", r)
	}

	r = c.call(t, "NetworkSetting", map[string]any{"i2p.router.net.bw.in": nil, "i2p.router.net.bw.share": nil})
	if r.Error != nil || r.Result["i2p.router.net.bw.in"] != float64(48) || r.Result["i2p.router.net.bw.share"] != "100" || r.Result["SettingsSaved"] != false {
		t.Fatalf("read settings: %+v", r)
	}
	r = c.call(t, "NetworkSetting", map[string]any{"i2p.router.net.bw.in": "256", "i2p.router.net.bw.share": 50})
	if r.Error != nil || r.Result["i2p.router.net.bw.in"] != float64(256) || r.Result["SettingsSaved"] != true || r.Result["RestartNeeded"] != true {
		t.Fatalf("change settings: %+v", r)
	}
	if got := f.Settings(); got != (console.Settings{Bandwidth: "256", Share: 50}) {
		t.Errorf("saved %+v", got)
	}
	if r := c.call(t, "NetworkSetting", map[string]any{"i2p.router.net.bw.share": 101}); r.Error == nil || r.Error.Code != CodeInvalidParams {
		t.Errorf("share 101: %+v", r)
	}

	if r := c.call(t, "RouterManager", map[string]any{"Reseed": nil}); r.Error == nil {
		t.Errorf("Reseed: %+v", r)
	}
	if r := c.call(t, "RouterManager", map[string]any{"Shutdown": nil}); r.Error != nil || f.shutdown != 1 {
		t.Errorf("Shutdown: %+v, %d", r, f.shutdown)
	}

	// A new password revokes every token.
	if r := c.call(t, "I2PControl", map[string]any{"i2pcontrol.password": "new"}); r.Error != nil || r.Result["SettingsSaved"] != true {
		t.Fatalf("password: %+v", r)
	}
	if r := c.call(t, "Echo", map[string]any{"Echo": "x"}); r.Error == nil || r.Error.Code != CodeUnknownToken {
		t.Errorf("old token: %+v", r)
	}
	if r := c.authenticate(t, "new"); r.Error != nil {
		t.Errorf("new password: %+v", r)
	}

	// The certificate is made once and kept.
	before, _ := os.ReadFile(filepath.Join(dir, "i2pcontrol.crt.pem"))
	if _, err := LoadOrCreateTLS(filepath.Join(dir, "i2pcontrol.crt.pem"), filepath.Join(dir, "i2pcontrol.key.pem")); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "i2pcontrol.crt.pem"))
	if !bytes.Equal(before, after) {
		t.Error("certificate made again")
	}
	if fi, _ := os.Stat(filepath.Join(dir, "i2pcontrol.key.pem")); fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", fi.Mode())
	}
}

// TestErrors: malformed calls get the spec's error objects.
func TestErrors(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := New(Config{Password: "itoopie", Now: func() time.Time { return now }}, &fakeRouter{})
	auth := s.Handle(context.Background(), []byte(`{"id":1,"method":"Authenticate","params":{"API":1,"Password":"itoopie"},"jsonrpc":"2.0"}`))
	var a rpcReply
	json.Unmarshal(auth, &a)
	tok := a.Result["Token"].(string)
	for _, tc := range []struct {
		name, body string
		code       int
		id         string
	}{
		{"parse", `{"id":1,`, CodeParse, "null"},
		{"empty", ``, CodeParse, "null"},
		{"not an object", `"hello"`, CodeInvalidRequest, "null"},
		{"empty batch", `[]`, CodeInvalidRequest, "null"},
		{"object id", `{"id":{},"method":"Echo","jsonrpc":"2.0"}`, CodeInvalidRequest, "null"},
		{"version", `{"id":2,"method":"Echo","params":{},"jsonrpc":"1.0"}`, CodeInvalidRequest, "2"},
		{"method not a string", `{"id":3,"method":7,"jsonrpc":"2.0"}`, CodeInvalidRequest, "3"},
		{"unknown method", `{"id":"x","method":"Frobnicate","params":{},"jsonrpc":"2.0"}`, CodeNoMethod, `"x"`},
		{"positional params", `{"id":4,"method":"Echo","params":["a"],"jsonrpc":"2.0"}`, CodeInvalidParams, "4"},
		{"no token", `{"id":5,"method":"Echo","params":{"Echo":"a"},"jsonrpc":"2.0"}`, CodeNoToken, "5"},
		{"unknown token", `{"id":6,"method":"Echo","params":{"Echo":"a","Token":"abc"},"jsonrpc":"2.0"}`, CodeUnknownToken, "6"},
		{"no API", `{"id":7,"method":"Authenticate","params":{"Password":"itoopie"},"jsonrpc":"2.0"}`, CodeNoAPIVersion, "7"},
		{"API 2", `{"id":8,"method":"Authenticate","params":{"API":2,"Password":"itoopie"},"jsonrpc":"2.0"}`, CodeBadAPIVersion, "8"},
		{"password", `{"id":9,"method":"Authenticate","params":{"API":1,"Password":"x"},"jsonrpc":"2.0"}`, CodeBadPassword, "9"},
		{"echo type", `{"id":10,"method":"Echo","params":{"Echo":1,"Token":"` + tok + `"},"jsonrpc":"2.0"}`, CodeInvalidParams, "10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r rpcReply
			if err := json.Unmarshal(s.Handle(context.Background(), []byte(tc.body)), &r); err != nil {
				t.Fatal(err)
			}
			if r.Error == nil || r.Error.Code != tc.code || r.Error.Message == "" || string(r.ID) != tc.id || r.Result != nil {
				t.Errorf("got %+v (id %s), want code %d id %s", r.Error, r.ID, tc.code, tc.id)
			}
		})
	}
	// Tokens expire after a day.
	now = now.Add(tokenLife + time.Second)
	var r rpcReply
	json.Unmarshal(s.Handle(context.Background(), []byte(`{"id":1,"method":"Echo","params":{"Echo":"a","Token":"`+tok+`"},"jsonrpc":"2.0"}`)), &r)
	if r.Error == nil || r.Error.Code != CodeExpiredToken {
		t.Errorf("expired token: %+v", r.Error)
	}
	// A batch gets one answer per call, in order.
	var batch []rpcReply
	if err := json.Unmarshal(s.Handle(context.Background(), []byte(`[{"id":1,"method":"Nope","jsonrpc":"2.0"},{"id":2,"method":"Authenticate","params":{"API":1,"Password":"itoopie"},"jsonrpc":"2.0"}]`)), &batch); err != nil {
		t.Fatal(err)
	}
	if len(batch) != 2 || batch[0].Error.Code != CodeNoMethod || batch[1].Result["Token"] == nil {
		t.Errorf("batch %+v", batch)
	}
}

// FuzzHandle: any body gets one well-formed JSON-RPC reply (or, for a
// batch, a list of them).
func FuzzHandle(f *testing.F) {
	f.Add([]byte(`{"id":1,"method":"Authenticate","params":{"API":1,"Password":"itoopie"},"jsonrpc":"2.0"}`))
	f.Add([]byte(`[{"id":1,"method":"Echo","params":{"Echo":"a","Token":"x"},"jsonrpc":"2.0"}]`))
	f.Add([]byte(`{"id":"a","method":"NetworkSetting","params":{"i2p.router.net.bw.in":"12"},"jsonrpc":"2.0"}`))
	f.Add([]byte(`{"id":null,"method":"RouterInfo","params":{"i2p.router.uptime":null},"jsonrpc":"2.0"}`))
	f.Add([]byte(`[1,2,{}]`))
	s := New(Config{Password: "itoopie"}, &fakeRouter{})
	f.Fuzz(func(t *testing.T, body []byte) {
		out := s.Handle(context.Background(), body)
		if !json.Valid(out) {
			t.Fatalf("reply is not JSON: %s", out)
		}
		var one rpcReply
		var many []rpcReply
		if json.Unmarshal(out, &one) != nil && json.Unmarshal(out, &many) != nil {
			t.Fatalf("reply is neither a reply nor a batch: %s", out)
		}
	})
}
