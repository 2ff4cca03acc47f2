//go:build interop

package interop

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
)

// TestI2PControlShapesI2pd sends the same I2PControl calls to i2pd 2.45.1
// and to veil (both over HTTPS with their self-signed certificates) and
// checks that veil's answers have i2pd's shape: every key i2pd answers
// with, veil answers with too, with the same JSON type; error objects
// carry the same codes. veil may answer more (the spec's SettingsSaved
// and RestartNeeded), and echoes the id of an unknown method's call where
// i2pd answers null.
func TestI2PControlShapesI2pd(t *testing.T) {
	inParallel(t)
	i2pdPort, veilPort := freeVeilPort(t), freeVeilPort(t)
	i2pdtest.Start(t, i2pdtest.Config{Options: map[string]string{
		"i2pcontrol.enabled": "true", "i2pcontrol.port": strconv.Itoa(i2pdPort),
	}})
	v := startVeil(t, t.TempDir(), netID, "--http.enabled=false", "--reseed.threshold=0",
		"--i2pcontrol.enabled=true", fmt.Sprintf("--i2pcontrol.port=%d", veilPort))
	if _, err := v.waitLog(hashLine, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	i2pd := newRPC(t, i2pdPort)
	veil := newRPC(t, veilPort)

	calls := []struct {
		name   string
		method string
		params map[string]any
	}{
		{"Echo", "Echo", map[string]any{"Echo": "hello"}},
		{"RouterInfo", "RouterInfo", map[string]any{
			"i2p.router.uptime": nil, "i2p.router.version": nil, "i2p.router.status": nil,
			"i2p.router.netdb.knownpeers": nil, "i2p.router.netdb.activepeers": nil,
			"i2p.router.net.bw.inbound.1s": nil, "i2p.router.net.bw.inbound.15s": nil,
			"i2p.router.net.bw.outbound.1s": nil, "i2p.router.net.bw.outbound.15s": nil,
			"i2p.router.net.status": nil, "i2p.router.net.tunnels.participating": nil,
			"i2p.router.net.tunnels.successrate":  nil,
			"i2p.router.net.total.received.bytes": nil, "i2p.router.net.total.sent.bytes": nil,
		}},
		{"NetworkSetting read", "NetworkSetting", map[string]any{"i2p.router.net.bw.in": nil, "i2p.router.net.bw.out": nil}},
		{"unknown method", "NoSuchMethod", map[string]any{}},
	}
	ia, va := i2pd.call(t, "Authenticate", map[string]any{"API": 1, "Password": "itoopie"}), veil.call(t, "Authenticate", map[string]any{"API": 1, "Password": "itoopie"})
	sameShape(t, "Authenticate", ia, va)
	i2pd.token, _ = ia["result"].(map[string]any)["Token"].(string)
	veil.token, _ = va["result"].(map[string]any)["Token"].(string)
	for _, c := range calls {
		a, b := i2pd.call(t, c.method, c.params), veil.call(t, c.method, c.params)
		sameShape(t, c.name, a, b)
	}
	// Not JSON at all: both answer a parse error.
	a, b := i2pd.post(t, []byte(`{"id":1,"method":`)), veil.post(t, []byte(`{"id":1,"method":`))
	sameShape(t, "parse error", a, b)
}

// sameShape checks that b has every key of a, recursively, with the same
// JSON type, and the same error code.
func sameShape(t *testing.T, name string, a, b map[string]any) {
	t.Helper()
	t.Logf("%s: i2pd %v", name, a)
	t.Logf("%s: veil %v", name, b)
	var walk func(path string, x, y any)
	walk = func(path string, x, y any) {
		if path == ".id" && x == nil {
			// i2pd answers an unknown method with id null; JSON-RPC 2.0
			// (and veil) echo the request's id whenever it could be read.
			return
		}
		if kind(x) != kind(y) {
			t.Errorf("%s: %s is %s (%v) in i2pd, %s (%v) in veil", name, path, kind(x), x, kind(y), y)
			return
		}
		if xm, ok := x.(map[string]any); ok {
			ym := y.(map[string]any)
			keys := make([]string, 0, len(xm))
			for k := range xm {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				if _, ok := ym[k]; !ok {
					t.Errorf("%s: veil lacks %s.%s (i2pd: %v)", name, path, k, xm[k])
					continue
				}
				walk(path+"."+k, xm[k], ym[k])
			}
		}
	}
	walk("", a, b)
	if ea, ok := a["error"].(map[string]any); ok {
		if eb, ok := b["error"].(map[string]any); ok && ea["code"] != eb["code"] {
			t.Errorf("%s: error code i2pd %v, veil %v", name, ea["code"], eb["code"])
		}
	}
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// rpc is an I2PControl client for one server.
type rpc struct {
	url   string
	hc    *http.Client
	token string
	id    int
}

// newRPC waits (up to 60 s: i2pd makes a 4096-bit RSA certificate first)
// for an I2PControl server on 127.0.0.1:port.
func newRPC(t *testing.T, port int) *rpc {
	t.Helper()
	// Both servers present self-signed certificates made at their first
	// start; the test talks to loopback only.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
	t.Cleanup(hc.CloseIdleConnections)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(end) {
			t.Fatalf("no I2PControl on %s: %v", addr, err)
		}
	}
	return &rpc{url: "https://" + addr + "/", hc: hc}
}

func (r *rpc) call(t *testing.T, method string, params map[string]any) map[string]any {
	t.Helper()
	r.id++
	p, _ := json.Marshal(params)
	if r.token != "" {
		// The token goes last: i2pd 2.45.1's NetworkSetting writes a
		// stray comma (invalid JSON) when a parameter it does not
		// handle, such as Token, comes first.
		tok, _ := json.Marshal(r.token)
		sep := ","
		if len(params) == 0 {
			sep = ""
		}
		p = append(append(append(p[:len(p)-1], sep+`"Token":`...), tok...), '}')
	}
	b, _ := json.Marshal(map[string]any{"id": r.id, "method": method, "params": json.RawMessage(p), "jsonrpc": "2.0"})
	return r.post(t, b)
}

func (r *rpc) post(t *testing.T, body []byte) map[string]any {
	t.Helper()
	resp, err := r.hc.Post(r.url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", r.url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var m map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(b), &m); err != nil {
		t.Fatalf("%s: reply is not a JSON object: %v: %q", r.url, err, strings.TrimSpace(string(b)))
	}
	return m
}
