package i2ptunnel

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// startServer runs a server tunnel of dest to addr until the test ends.
func startServer(t *testing.T, dest *fakeStreams, cfg ServerConfig) {
	t.Helper()
	host, port, _ := net.SplitHostPort(cfg.Host)
	if port != "" {
		cfg.Host = host
		fmt.Sscan(port, &cfg.Port)
	}
	srv, err := NewServer(cfg, dest, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, ln, srv.Serve)
}

// serveUntilCleanup runs serve on ln until the test ends.
func serveUntilCleanup(t *testing.T, ln net.Listener, serve func(context.Context, net.Listener) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// startClient runs a client tunnel of from to the destination to and
// returns its local address.
func startClient(t *testing.T, from *fakeStreams, to string, r Resolver) string {
	t.Helper()
	c := NewClient(ClientConfig{Name: "c", Destination: to, ConnectTimeout: 5 * time.Second}, from, r, nil)
	ln, err := c.Listen()
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, ln, c.Serve)
	return ln.Addr().String()
}

// echoService answers each connection with the SHA-256 of everything
// it read, once the client half-closed.
func echoService(t *testing.T) (addr string, remotes chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	remotes = make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				remotes <- c.RemoteAddr().(*net.TCPAddr).IP.String()
				h := sha256.New()
				io.Copy(h, c)
				c.Write(h.Sum(nil))
			}()
		}
	}()
	return ln.Addr().String(), remotes
}

// TestClientServer: a local connection to a client tunnel reaches a
// service behind another destination's server tunnel; 1 MiB goes there,
// the answer comes back after the half-close, and the service sees the
// client's unique local address.
func TestClientServer(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() { checkGoroutines(t, before) }) // runs last
	n := newFakeNet()
	alice, bob := n.destination(t), n.destination(t)
	svc, remotes := echoService(t)
	startServer(t, bob, ServerConfig{Name: "s", Host: svc, UniqueLocal: true})
	local := startClient(t, alice, bob.self.Hash().B32(), nil)

	c, err := net.Dial("tcp", local)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := make([]byte, 1<<20)
	rand.Read(payload)
	go func() {
		c.Write(payload)
		c.(*net.TCPConn).CloseWrite()
	}()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(payload)
	if !bytes.Equal(got, want[:]) {
		t.Fatalf("answer %x, want %x", got, want)
	}
	h := alice.self.Hash()
	if ip, wantIP := <-remotes, fmt.Sprintf("127.%d.%d.%d", h[0], h[1], h[2]); ip != wantIP {
		t.Errorf("service saw %s, want %s", ip, wantIP)
	}
}

// checkGoroutines waits a little for goroutines to end.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("%d goroutines, %d before", runtime.NumGoroutine(), before)
}

// TestAccessList: a destination not on the list is refused, one on it
// gets through.
func TestAccessList(t *testing.T) {
	n := newFakeNet()
	alice, bob, carol := n.destination(t), n.destination(t), n.destination(t)
	svc, _ := echoService(t)
	startServer(t, bob, ServerConfig{Name: "s", Host: svc, AccessList: []data.Hash{carol.self.Hash()}})
	for _, tc := range []struct {
		from *fakeStreams
		ok   bool
	}{{alice, false}, {carol, true}} {
		c, err := net.Dial("tcp", startClient(t, tc.from, bob.self.Hash().B32(), nil))
		if err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).CloseWrite()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		got, _ := io.ReadAll(c)
		c.Close()
		if (len(got) == sha256.Size) != tc.ok {
			t.Errorf("allowed %v: got %d bytes", tc.ok, len(got))
		}
	}
}

// TestHTTPServer: an http server tunnel drops the client's X-I2P
// headers, adds its own, overrides Host, closes after one exchange, and
// strips Server from the response.
func TestHTTPServer(t *testing.T) {
	n := newFakeNet()
	alice, bob := n.destination(t), n.destination(t)
	seen := make(chan http.Header, 1)
	hosts := make(chan string, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		hosts <- r.Host
		w.Header().Set("Server", "secret/1.0")
		w.Header().Set("X-Powered-By", "secret")
		io.WriteString(w, "hello "+r.URL.Path)
	}))
	defer ts.Close()
	startServer(t, bob, ServerConfig{Name: "web", Type: TypeHTTP, Host: ts.Listener.Addr().String(), HostOverride: "site.i2p"})
	local := startClient(t, alice, bob.self.Hash().B32(), nil)

	c, err := net.Dial("tcp", local)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(c, "GET /x HTTP/1.1\r\nHost: whatever\r\nX-I2P-DestB32: forged.b32.i2p\r\nKeep-Alive: 300\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "hello /x" || resp.Header.Get("Server") != "" || resp.Header.Get("X-Powered-By") != "" {
		t.Errorf("response %q, headers %v", body, resp.Header)
	}
	h := <-seen
	a := alice.self.Hash()
	if h.Get("X-I2P-DestB32") != a.B32() || h.Get("X-I2P-DestHash") != data.EncodeBase64(a[:]) ||
		h.Get("X-I2P-DestB64") != data.EncodeBase64(alice.self.Bytes()) || len(h.Values("X-I2P-DestB32")) != 1 ||
		h.Get("Keep-Alive") != "" {
		t.Errorf("request headers %v", h)
	}
	if host := <-hosts; host != "site.i2p" {
		t.Errorf("Host %q", host)
	}
}

// TestHTTPHeaderTooLong: a request header that never ends closes the
// stream.
func TestHTTPHeaderTooLong(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("GET / HTTP/1.1\r\n" + strings.Repeat("X-A: b\r\n", 2000) + "\r\n"))
	if _, err := rewriteRequest(r, data.KeysAndCert{}, false, ""); !errors.Is(err, errHeaderTooLong) {
		t.Fatalf("err %v", err)
	}
}

// TestIRCServer: WEBIRC first, then USER with the client's address as
// hostname.
func TestIRCServer(t *testing.T) {
	n := newFakeNet()
	alice, bob := n.destination(t), n.destination(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	lines := make(chan []string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		lines <- strings.Split(strings.TrimSpace(string(b)), "\r\n")
	}()
	startServer(t, bob, ServerConfig{Name: "irc", Type: TypeIRC, Host: ln.Addr().String(), WebIRCPassword: "pw", UniqueLocal: true})
	c, err := net.Dial("tcp", startClient(t, alice, bob.self.Hash().B32(), nil))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(c, "NICK me\r\nUSER me host srv :Real Name\r\n")
	c.(*net.TCPConn).CloseWrite()
	defer c.Close()
	a := alice.self.Hash()
	want := []string{
		fmt.Sprintf("WEBIRC pw cgiirc %s 127.%d.%d.%d", a.B32(), a[0], a[1], a[2]),
		"NICK me",
		"USER me " + a.B32() + " srv :Real Name",
	}
	select {
	case got := <-lines:
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("server read %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing reached the IRC server")
	}
}

func TestResolveDestination(t *testing.T) {
	n := newFakeNet()
	d := n.destination(t).self
	h := d.Hash()
	names := func(ctx context.Context, name string) (data.Hash, error) {
		if name == "site.i2p" {
			return h, nil
		}
		return data.Hash{}, ErrUnknownName
	}
	for _, s := range []string{h.B32(), strings.ToUpper(h.B32()), h.B32() + ":80", data.EncodeBase64(d.Bytes()), "site.i2p"} {
		got, err := ResolveDestination(context.Background(), s, names)
		if err != nil || got != h {
			t.Errorf("%.20s…: %v %v", s, got, err)
		}
	}
	for _, s := range []string{"", "x.b32.i2p", "other.i2p", strings.Repeat("a", 52) + "1.b32.i2p"} {
		if _, err := ResolveDestination(context.Background(), s, names); err == nil {
			t.Errorf("%q resolved", s)
		}
	}
	if _, err := ResolveDestination(context.Background(), "site.i2p", nil); !errors.Is(err, ErrUnknownName) {
		t.Errorf("no resolver: %v", err)
	}
}

// TestClientNoDestination: a stream that cannot open closes the local
// connection at once.
func TestClientNoDestination(t *testing.T) {
	n := newFakeNet()
	alice, nobody := n.destination(t), n.destination(t)
	c, err := net.Dial("tcp", startClient(t, alice, nobody.self.Hash().B32(), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read %v, want EOF", err)
	}
}
