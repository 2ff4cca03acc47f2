package i2ptunnel

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// startProxy runs an HTTP proxy of s until the test ends and returns
// its address.
func startProxy(t *testing.T, cfg HTTPProxyConfig, s Streams, r Resolver) string {
	t.Helper()
	cfg.Name = "proxy"
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	p, err := NewHTTPProxy(cfg, s, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := p.Listen()
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, ln, p.Serve)
	return ln.Addr().String()
}

// portStreams records the ports dialled.
type portStreams struct {
	*fakeStreams
	ports chan uint16
}

func (s portStreams) Dial(ctx context.Context, to data.Hash, port uint16) (net.Conn, error) {
	select {
	case s.ports <- port:
	default:
	}
	return s.fakeStreams.Dial(ctx, to, port)
}

// site is an eepsite: an HTTP server on a destination's streams that
// reports each request it gets.
func site(t *testing.T, dest *fakeStreams) chan *http.Request {
	t.Helper()
	ln, err := dest.Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan *http.Request, 8)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		select {
		case seen <- r:
		default:
		}
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Site", dest.self.Hash().B32())
		fmt.Fprintf(w, "%s %d %x", r.URL.Path, n, h.Sum(nil))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return seen
}

// exchange sends raw to the proxy at addr and reads one response.
func exchange(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%.40q: %v", raw, err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestHTTPProxyGet: a request for a b32 site reaches it sanitized as
// i2pd sanitizes (origin-form target, Host, MYOB, identifying and proxy
// headers gone, Referer only from the same site, Connection: close), on
// port 80 unless the URL says; the answer comes back with Connection:
// close and no Keep-Alive.
func TestHTTPProxyGet(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() { checkGoroutines(t, before) })
	n := newFakeNet()
	proxy, dest := portStreams{n.destination(t), make(chan uint16, 1)}, n.destination(t)
	seen := site(t, dest)
	addr := startProxy(t, HTTPProxyConfig{}, proxy, nil)
	b32 := dest.self.Hash().B32()

	resp, body := exchange(t, addr, "GET http://"+strings.ToUpper(b32)+"/a/b%20c?q=1#frag HTTP/1.1\r\n"+
		"Host: wrong\r\nUser-Agent: Firefox/1\r\nAccept: text/html\r\nAccept-Language: de\r\nAccept-Encoding: gzip\r\n"+
		"Via: 1.1 x\r\nX-Forwarded-For: 1.2.3.4\r\nForwarded: for=x\r\nFrom: me@x\r\nDNT: 1\r\nProxy-Authorization: Basic eA==\r\n"+
		"Proxy-Connection: keep-alive\r\nKeep-Alive: 300\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Other: 2\r\n"+
		"Referer: http://other.b32.i2p/\r\nX-Requested-With: com.example.app\r\n\r\n")
	if resp.StatusCode != 200 || body != "/a/b c 0 "+fmt.Sprintf("%x", sha256.Sum256(nil)) {
		t.Fatalf("response %d %q", resp.StatusCode, body)
	}
	if !resp.Close || resp.Header.Get("Keep-Alive") != "" {
		t.Errorf("response header %v, close %v", resp.Header, resp.Close)
	}
	r := <-seen
	if r.RequestURI != "/a/b%20c?q=1" || r.Host != b32 || !r.Close {
		t.Errorf("site got %q, Host %q, close %v", r.RequestURI, r.Host, r.Close)
	}
	want := http.Header{"User-Agent": {eepsiteUserAgent}, "Accept-Encoding": {"gzip"}, "X-Other": {"2"}, "Connection": {"close"}}
	if fmt.Sprint(r.Header) != fmt.Sprint(want) {
		t.Errorf("site got header %v, want %v", r.Header, want)
	}
	if p := <-proxy.ports; p != 80 {
		t.Errorf("port %d", p)
	}

	// Same-origin Referer stays; a port in the URL is the stream's.
	exchange(t, addr, "GET http://"+b32+":8080/x HTTP/1.0\r\nReferer: http://"+b32+":8080/y\r\n"+
		"X-Requested-With: XMLHttpRequest\r\n\r\n")
	r = <-seen
	if r.Header.Get("Referer") != "http://"+b32+":8080/y" || r.Host != b32+":8080" || r.Header.Get("X-Requested-With") == "" {
		t.Errorf("site got Host %q, header %v", r.Host, r.Header)
	}
	if p := <-proxy.ports; p != 8080 {
		t.Errorf("port %d", p)
	}
}

// TestHTTPProxyPost: a request body follows the header as it is, with
// Content-Length or chunked.
func TestHTTPProxyPost(t *testing.T) {
	n := newFakeNet()
	proxy, dest := n.destination(t), n.destination(t)
	site(t, dest)
	addr := startProxy(t, HTTPProxyConfig{}, proxy, nil)
	payload := make([]byte, 1<<20)
	rand.Read(payload)
	sum := fmt.Sprintf("%x", sha256.Sum256(payload))
	target := "http://" + dest.self.Hash().B32() + "/up"

	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(mustURL(t, "http://"+addr))}, Timeout: 10 * time.Second}
	resp, err := c.Post(target, "application/octet-stream", strings.NewReader(string(payload)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != fmt.Sprintf("/up %d %s", len(payload), sum) {
		t.Errorf("Content-Length body: %q", body)
	}
	chunked := "POST " + target + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
	if _, body := exchange(t, addr, chunked); body != fmt.Sprintf("/up 5 %x", sha256.Sum256([]byte("hello"))) {
		t.Errorf("chunked body: %q", body)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestHTTPProxyConnect: CONNECT to a b32 host answers 200 and carries
// the bytes both ways over a stream to the port asked for.
func TestHTTPProxyConnect(t *testing.T) {
	n := newFakeNet()
	proxy, dest := portStreams{n.destination(t), make(chan uint16, 1)}, n.destination(t)
	svc, _ := echoService(t)
	startServer(t, dest, ServerConfig{Name: "s", Host: svc})
	addr := startProxy(t, HTTPProxyConfig{}, proxy, nil)

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s:443 HTTP/1.1\r\nHost: %[1]s:443\r\n\r\n", dest.self.Hash().B32())
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: "CONNECT"})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	payload := make([]byte, 256<<10)
	rand.Read(payload)
	go func() {
		c.Write(payload)
		c.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(br)
	if want := sha256.Sum256(payload); err != nil || string(got) != string(want[:]) {
		t.Fatalf("through CONNECT: %x %v", got, err)
	}
	if p := <-proxy.ports; p != 443 {
		t.Errorf("port %d", p)
	}
}

// hangingStreams never opens a stream: Dial waits for its context.
type hangingStreams struct{ *fakeStreams }

func (hangingStreams) Dial(ctx context.Context, to data.Hash, port uint16) (net.Conn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestHTTPProxyErrors: each failure gets its page and status.
func TestHTTPProxyErrors(t *testing.T) {
	n := newFakeNet()
	proxy, nobody := n.destination(t), n.destination(t)
	addr := startProxy(t, HTTPProxyConfig{}, proxy, nil)
	slow := startProxy(t, HTTPProxyConfig{ConnectTimeout: 100 * time.Millisecond}, hangingStreams{proxy}, nil)
	b32 := nobody.self.Hash().B32()
	for _, tc := range []struct {
		name, addr, req string
		code            int
		says            string
	}{
		{"clearnet", addr, "GET http://example.com/ HTTP/1.1\r\n\r\n", 403, "no outproxy is configured"},
		{"clearnet CONNECT", addr, "CONNECT example.com:443 HTTP/1.1\r\n\r\n", 403, "Outproxy not configured"},
		{"name", addr, "GET http://site.i2p/ HTTP/1.1\r\n\r\n", 404, "jump.cgi?a=site.i2p"},
		{"bad b32", addr, "GET http://abc.b32.i2p/ HTTP/1.1\r\n\r\n", 404, "not a valid b32"},
		{"unreachable", addr, "GET http://" + b32 + "/ HTTP/1.1\r\n\r\n", 502, "could not reach"},
		{"timeout", slow, "GET http://" + b32 + "/ HTTP/1.1\r\n\r\n", 504, "in time"},
		{"scheme", addr, "GET ftp://" + b32 + "/ HTTP/1.1\r\n\r\n", 400, "http:// and https://"},
		{"request line", addr, "GET /\r\n\r\n", 400, "request line"},
		{"version", addr, "GET / HTTP/2.0\r\n\r\n", 400, "request line"},
		{"no host", addr, "GET / HTTP/1.1\r\n\r\n", 400, "no host"},
		{"header", addr, "GET http://" + b32 + "/ HTTP/1.1\r\nBad Header: x\r\n\r\n", 400, "header line"},
		{"folding", addr, "GET http://" + b32 + "/ HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400, "header line"},
		{"CONNECT port", addr, "CONNECT " + b32 + " HTTP/1.1\r\n\r\n", 400, "host:port"},
		{"too long", addr, "GET http://" + b32 + "/ HTTP/1.1\r\n" + strings.Repeat("X-A: "+strings.Repeat("b", 1000)+"\r\n", 70) + "\r\n", 431, "larger"},
		{"too many lines", addr, "GET http://" + b32 + "/ HTTP/1.1\r\n" + strings.Repeat("X-A: b\r\n", 300) + "\r\n", 431, "larger"},
	} {
		resp, body := exchange(t, tc.addr, tc.req)
		if resp.StatusCode != tc.code || !strings.Contains(body, tc.says) || !resp.Close {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, resp.StatusCode, body, tc.code, tc.says)
		}
	}
	// HEAD gets the status without a body.
	c, _ := net.Dial("tcp", addr)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "HEAD http://site.i2p/ HTTP/1.1\r\n\r\n")
	all, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(all), "HTTP/1.1 404 ") || !strings.HasSuffix(string(all), "\r\n\r\n") {
		t.Errorf("HEAD: %q", all)
	}
}

// TestHTTPProxyResolver: names other than b32 (b33 in the router) go to
// the resolver.
func TestHTTPProxyResolver(t *testing.T) {
	n := newFakeNet()
	proxy, dest := n.destination(t), n.destination(t)
	seen := site(t, dest)
	b33 := strings.Repeat("b", 60) + ".b32.i2p"
	names := func(ctx context.Context, name string) (data.Hash, error) {
		if name == b33 {
			return dest.self.Hash(), nil
		}
		return data.Hash{}, ErrUnknownName
	}
	addr := startProxy(t, HTTPProxyConfig{}, proxy, names)
	if resp, _ := exchange(t, addr, "GET http://"+b33+"/x HTTP/1.1\r\n\r\n"); resp.StatusCode != 200 {
		t.Fatalf("b33: %d", resp.StatusCode)
	}
	if r := <-seen; r.Host != b33 {
		t.Errorf("Host %q", r.Host)
	}
}

// TestHTTPProxyOutproxy: a request for a clearnet host goes to the
// outproxy's destination with its absolute URI, the outproxy's
// credentials and a common User-Agent; CONNECT is passed on for the
// outproxy to answer.
func TestHTTPProxyOutproxy(t *testing.T) {
	n := newFakeNet()
	proxy, op := n.destination(t), n.destination(t)
	ln, err := op.Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	heads := make(chan string, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r, err := http.ReadRequest(bufio.NewReader(c))
			if err == nil {
				heads <- fmt.Sprintf("%s %s %s %s", r.Method, r.RequestURI, r.Header.Get("Proxy-Authorization"), r.Header.Get("User-Agent"))
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
			c.Close()
		}
	}()
	addr := startProxy(t, HTTPProxyConfig{Outproxy: "http://u:pw@" + op.self.Hash().B32()}, proxy, nil)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("u:pw"))
	if resp, body := exchange(t, addr, "GET http://example.com/x HTTP/1.1\r\nProxy-Authorization: mine\r\n\r\n"); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("outproxy: %d %q", resp.StatusCode, body)
	}
	if h, want := <-heads, "GET http://example.com/x "+auth+" "+outproxyUserAgent; h != want {
		t.Errorf("outproxy got %q, want %q", h, want)
	}
	exchange(t, addr, "CONNECT example.com:443 HTTP/1.1\r\nUser-Agent: curl\r\n\r\n")
	if h, want := <-heads, "CONNECT example.com:443 "+auth+" curl"; h != want {
		t.Errorf("outproxy got %q, want %q", h, want)
	}
	for _, bad := range []string{"socks://127.0.0.1:9050", "http://example.com:3128", "ftp://x.i2p"} {
		if _, err := NewHTTPProxy(HTTPProxyConfig{Outproxy: bad}, proxy, nil, nil); err == nil {
			t.Errorf("outproxy %q taken", bad)
		}
	}
}

// TestHTTPProxyAddressHelper: a jump link gets a confirmation page and
// changes nothing by itself; its "continue" link names the host until
// the proxy stops, its "save" link saves it to the book; the same link
// again redirects; another destination shows the conflict; links with
// a wrong nonce do nothing; a proxy without address helpers refuses.
func TestHTTPProxyAddressHelper(t *testing.T) {
	n := newFakeNet()
	proxy, dest, other := n.destination(t), n.destination(t), n.destination(t)
	seen := site(t, dest)
	site(t, other)
	book := &memBook{}
	addr := startProxy(t, HTTPProxyConfig{AddressHelper: true}, proxy, book.resolve)
	b64 := data.EncodeBase64(dest.self.Bytes())
	link := "http://site.i2p/a?x=1&i2paddresshelper=" + strings.NewReplacer("=", "%3D", "~", "%7E").Replace(b64)

	resp, body := exchange(t, addr, "GET "+link+" HTTP/1.1\r\n\r\n")
	if resp.StatusCode != 200 || !strings.Contains(body, "unknown name") || !strings.Contains(body, dest.self.Hash().B32()) ||
		!strings.Contains(body, "i2paddresshelperaction=continue") || strings.Contains(body, "i2paddresshelperaction=save") {
		t.Fatalf("helper: %d %s", resp.StatusCode, body)
	}
	if resp, _ := exchange(t, addr, "GET http://site.i2p/b HTTP/1.1\r\n\r\n"); resp.StatusCode != 404 {
		t.Fatalf("name taken before confirmation: %d", resp.StatusCode)
	}
	forged := link + "&i2paddresshelperaction=continue&i2paddresshelpernonce=00112233445566778899aabbccddeeff"
	if resp, _ := exchange(t, addr, "GET "+forged+" HTTP/1.1\r\n\r\n"); resp.StatusCode != 200 {
		t.Fatalf("forged nonce: %d", resp.StatusCode)
	}
	cont := html.UnescapeString(hrefWith(t, body, "i2paddresshelperaction=continue"))
	resp, _ = exchange(t, addr, "GET "+cont+" HTTP/1.1\r\n\r\n")
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "http://site.i2p/a?x=1" {
		t.Fatalf("continue: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := exchange(t, addr, "GET http://site.i2p/b HTTP/1.1\r\n\r\n"); resp.StatusCode != 200 {
		t.Fatalf("named host: %d", resp.StatusCode)
	}
	if r := <-seen; r.Host != "site.i2p" || r.RequestURI != "/b" {
		t.Errorf("site got %s %s", r.Host, r.RequestURI)
	}
	if resp, _ := exchange(t, addr, "GET "+link+" HTTP/1.1\r\n\r\n"); resp.StatusCode != 302 || resp.Header.Get("Location") != "http://site.i2p/a?x=1" {
		t.Errorf("known helper: %d %v", resp.StatusCode, resp.Header)
	}
	if len(book.saved) != 0 {
		t.Fatal("saved without a book to save to")
	}

	// With a book: "save" stores the name; a conflicting link says so.
	saving := startProxyWithBook(t, proxy, book)
	resp, body = exchange(t, saving, "GET "+strings.Replace(link, "site.i2p", "saved.i2p", 1)+" HTTP/1.1\r\n\r\n")
	save := html.UnescapeString(hrefWith(t, body, "i2paddresshelperaction=save"))
	if resp, _ := exchange(t, saving, "GET "+save+" HTTP/1.1\r\n\r\n"); resp.StatusCode != 302 || book.saved["saved.i2p"] != dest.self.Hash() {
		t.Fatalf("save: %d %v", resp.StatusCode, book.saved)
	}
	otherB64 := data.EncodeBase64(other.self.Bytes())
	otherLink := "http://saved.i2p/?i2paddresshelper=" + url.QueryEscape(otherB64)
	resp, body = exchange(t, saving, "GET "+otherLink+" HTTP/1.1\r\n\r\n")
	if resp.StatusCode != 200 || !strings.Contains(body, "known otherwise") || !strings.Contains(body, "your addressbook") ||
		!strings.Contains(body, "replacing") || !strings.Contains(body, other.self.Hash().B32()) {
		t.Errorf("conflict: %d %s", resp.StatusCode, body)
	}
	if book.saved["saved.i2p"] != dest.self.Hash() {
		t.Error("name changed without confirmation")
	}
	// A b32 link can be followed but not saved.
	resp, body = exchange(t, saving, "GET http://b32only.i2p/?i2paddresshelper="+other.self.Hash().B32()+" HTTP/1.1\r\n\r\n")
	if resp.StatusCode != 200 || strings.Contains(body, "i2paddresshelperaction=save") || !strings.Contains(body, "full Base64") {
		t.Errorf("b32 helper: %d %s", resp.StatusCode, body)
	}

	if resp, _ := exchange(t, addr, "GET http://site.i2p/?i2paddresshelper=junk HTTP/1.1\r\n\r\n"); resp.StatusCode != 400 {
		t.Errorf("bad helper: %d", resp.StatusCode)
	}
	off := startProxy(t, HTTPProxyConfig{}, proxy, nil)
	if resp, _ := exchange(t, off, "GET "+link+" HTTP/1.1\r\n\r\n"); resp.StatusCode != 403 {
		t.Errorf("helpers off: %d", resp.StatusCode)
	}
}

// memBook is an addressbook in memory: the proxy's resolver and NameBook.
type memBook struct {
	mu    sync.Mutex
	saved map[string]data.Hash
}

func (b *memBook) resolve(_ context.Context, name string) (data.Hash, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h, ok := b.saved[name]; ok {
		return h, nil
	}
	return data.Hash{}, fmt.Errorf("%w: %s", ErrUnknownName, name)
}

func (b *memBook) SaveName(name string, d data.Destination, replace bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.saved[name]; ok && !replace {
		return errors.New("taken")
	}
	if b.saved == nil {
		b.saved = make(map[string]data.Hash)
	}
	b.saved[name] = d.Hash()
	return nil
}

// startProxyWithBook runs an address-helper proxy that saves to book.
func startProxyWithBook(t *testing.T, s Streams, book *memBook) string {
	t.Helper()
	p, err := NewHTTPProxy(HTTPProxyConfig{Name: "p", AddressHelper: true, ConnectTimeout: 5 * time.Second}, s, book.resolve, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.SetNameBook(book)
	ln, err := p.Listen()
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, ln, p.Serve)
	return ln.Addr().String()
}

// hrefWith returns the first link of body whose target contains s.
func hrefWith(t *testing.T, body, s string) string {
	t.Helper()
	for _, part := range strings.Split(body, `href="`)[1:] {
		if h, _, _ := strings.Cut(part, `"`); strings.Contains(h, s) {
			return h
		}
	}
	t.Fatalf("no link with %q in %s", s, body)
	return ""
}

// whoAnswers is the site that answers for site.i2p through the proxy
// at addr.
func whoAnswers(t *testing.T, addr string) string {
	t.Helper()
	resp, _ := exchange(t, addr, "GET http://site.i2p/who HTTP/1.1\r\n\r\n")
	return resp.Header.Get("X-Site")
}

// TestHTTPProxyLimits: a browser that sends no header is dropped after
// HeaderTimeout, and MaxConns bounds the connections served at once.
func TestHTTPProxyLimits(t *testing.T) {
	n := newFakeNet()
	proxy, dest := n.destination(t), n.destination(t)
	site(t, dest)
	addr := startProxy(t, HTTPProxyConfig{MaxConns: 1, HeaderTimeout: 300 * time.Millisecond}, proxy, nil)
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	start := time.Now()
	// Waits for the idle connection's slot.
	resp, _ := exchange(t, addr, "GET http://"+dest.self.Hash().B32()+"/ HTTP/1.1\r\n\r\n")
	if resp.StatusCode != 200 || time.Since(start) < 250*time.Millisecond {
		t.Errorf("second connection: %d after %v", resp.StatusCode, time.Since(start))
	}
	idle.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: %v, want EOF", err)
	}
}
