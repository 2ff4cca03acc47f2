package i2ptunnel

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/veil-i2p/veil/internal/config"
)

// TestProxyTarget: where requests go, and the target an eepsite sees.
func TestProxyTarget(t *testing.T) {
	for _, tc := range []struct {
		req, host string
		port      uint16
		path      string
		connect   bool
	}{
		{"GET http://A.i2p/x?y#z HTTP/1.1", "a.i2p", 80, "/x?y", false},
		{"GET http://a.i2p HTTP/1.1", "a.i2p", 80, "/", false},
		{"GET http://a.i2p?q HTTP/1.1", "a.i2p", 80, "/?q", false},
		{"GET https://a.i2p./x HTTP/1.1", "a.i2p", 443, "/x", false},
		{"GET http://user@a.i2p:81/x HTTP/1.1", "a.i2p", 81, "/x", false},
		{"GET /x HTTP/1.1\r\nHost: a.i2p:82", "a.i2p", 82, "/x", false},
		{"CONNECT a.i2p:443 HTTP/1.1", "a.i2p", 443, "", true},
		{"CONNECT [::1]:443 HTTP/1.1", "::1", 443, "", true},
	} {
		req, err := readProxyRequest(bufio.NewReader(strings.NewReader(tc.req + "\r\n\r\n")))
		if err != nil {
			t.Fatalf("%q: %v", tc.req, err)
		}
		got, err := req.targetOf()
		if err != nil || got.host != tc.host || got.port != tc.port || got.path != tc.path || got.connect != tc.connect {
			t.Errorf("%q: %+v %v", tc.req, got, err)
		}
	}
	for _, bad := range []string{"GET http://a.i2p:0/ HTTP/1.1", "GET http://a.i2p:99999/ HTTP/1.1", "GET http:/x HTTP/1.1",
		"CONNECT a.i2p:x HTTP/1.1", "GET mailto:a@b HTTP/1.1", "GET /x HTTP/1.1\r\nHost: a:b:c"} {
		req, err := readProxyRequest(bufio.NewReader(strings.NewReader(bad + "\r\n\r\n")))
		if err == nil {
			_, err = req.targetOf()
		}
		if err == nil {
			t.Errorf("%q taken", bad)
		}
	}
}

// TestFilterProxyResponse: the browser is told the connection closes,
// unless the site switches protocols.
func TestFilterProxyResponse(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\nA: b\r\n":  "HTTP/1.1 200 OK\r\nConnection: close\r\nA: b\r\n",
		"HTTP/1.1 200 OK\r\nA: b\r\n":                                             "HTTP/1.1 200 OK\r\nA: b\r\nConnection: close\r\n",
		"HTTP/1.1 101 Switching\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n": "HTTP/1.1 101 Switching\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n",
	} {
		if got := string(filterProxyResponse([]byte(in))); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// TestCutHelper: the helper's parameters leave the query, the others
// stay in order.
func TestCutHelper(t *testing.T) {
	l, ok := cutHelper("a=1&i2paddresshelper=x%2By&b=2&i2paddresshelperaction=save&i2paddresshelpernonce=ab")
	if !ok || l.value != "x+y" || l.action != "save" || l.nonce != "ab" || l.rest != "a=1&b=2" {
		t.Errorf("%+v %v", l, ok)
	}
	if _, ok := cutHelper("a=1"); ok {
		t.Error("no helper found one")
	}
}

func TestHTTPProxyConfigOf(t *testing.T) {
	op := "http://" + strings.Repeat("a", 52) + ".b32.i2p"
	c, err := HTTPProxyConfigOf(&config.Tunnel{Name: "p", Type: config.TunnelHTTPProxy, Options: map[string]string{
		"port": "4445", "outproxy": op, "addresshelper": "false"}})
	want := HTTPProxyConfig{Name: "p", Address: "127.0.0.1", Port: 4445, Outproxy: op}
	if err != nil || c != want {
		t.Errorf("%v\n%+v\n%+v", err, c, want)
	}
	if c, err := HTTPProxyConfigOf(&config.Tunnel{Name: "p", Type: config.TunnelHTTPProxy, Options: map[string]string{"port": "1"}}); err != nil || !c.AddressHelper {
		t.Errorf("defaults: %+v %v", c, err)
	}
	for _, bad := range []config.Tunnel{
		{Name: "a", Type: config.TunnelClient, Options: map[string]string{"port": "1"}},
		{Name: "b", Type: config.TunnelHTTPProxy, Options: map[string]string{"port": "1", "outproxy": "socks://127.0.0.1:9050"}},
		{Name: "c", Type: config.TunnelHTTPProxy, Options: map[string]string{"port": "0"}},
	} {
		if _, err := HTTPProxyConfigOf(&bad); err == nil {
			t.Errorf("%s taken", bad.Name)
		}
	}
}

// TestHeaderFilterInterim: a 100 Continue passes as it is and the final
// response's header is the one filtered, however the bytes are split.
func TestHeaderFilterInterim(t *testing.T) {
	in := "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nKeep-Alive: 5\r\n\r\nbody"
	want := "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody"
	for split := 1; split < len(in); split += 7 {
		a, b := net.Pipe()
		got := make(chan string)
		go func() {
			all, _ := io.ReadAll(b)
			got <- string(all)
		}()
		h := &headerFilter{conn: a, filter: filterProxyResponse}
		h.Write([]byte(in[:split]))
		h.Write([]byte(in[split:]))
		h.Close()
		if g := <-got; g != want {
			t.Fatalf("split at %d: %q", split, g)
		}
	}
}
