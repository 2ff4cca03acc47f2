package addressbook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// feedServer serves hosts.txt feeds by path with an ETag and a
// Last-Modified, and records the conditional headers it got.
type feedServer struct {
	mu    sync.Mutex
	feeds map[string]string
	gets  []string // path + " " + If-None-Match + " " + If-Modified-Since
	srv   *httptest.Server
}

func newFeedServer(t *testing.T) *feedServer {
	f := &feedServer{feeds: make(map[string]string)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		body, ok := f.feeds[r.URL.Path]
		f.gets = append(f.gets, r.URL.Path+" "+r.Header.Get("If-None-Match")+" "+r.Header.Get("If-Modified-Since")+" "+r.Host)
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		sum := sha256.Sum256([]byte(body))
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", "Mon, 07 Dec 2026 10:00:00 GMT")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// dial sends every .i2p host to the test server, as the router's
// streams would to the feed's destination.
func (f *feedServer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	if !strings.HasSuffix(host, ".i2p") {
		panic("dialed outside I2P: " + addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", f.srv.Listener.Addr().String())
}

func (f *feedServer) set(path, body string) {
	f.mu.Lock()
	f.feeds[path] = body
	f.mu.Unlock()
}

func (f *feedServer) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.gets...)
}

func TestSubscriptionFetch(t *testing.T) {
	a, b, c := newTestDest(t), newTestDest(t), newTestDest(t)
	f := newFeedServer(t)
	f.set("/first.txt", "one.i2p="+a.b64+"\n")
	f.set("/second.txt", "one.i2p="+b.b64+"\ntwo.i2p="+b.b64+"\n")
	f.set("/default.txt", "zero.i2p="+c.b64+"\n")
	dir := t.TempDir()
	ab, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cfg := SubscriberConfig{URLs: []string{"http://feeds.i2p/first.txt", "http://other.i2p/second.txt"},
		DefaultURL: "http://default.i2p/default.txt", Dial: f.dial}
	s, err := NewSubscriber(ab, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(t.Context()); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]testDest{"zero.i2p": c, "one.i2p": a, "two.i2p": b} {
		if h, err := ab.Resolve(t.Context(), name); err != nil || h != want.dest.Hash() {
			t.Errorf("%s: %v %v", name, h, err)
		}
	}
	// Second round: the default URL is not fetched again (the book is
	// not empty) and both feeds answer 304 to their ETag.
	if err := s.Update(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := f.requests()
	if len(got) != 5 || !strings.HasPrefix(got[3], `/first.txt "`) || !strings.Contains(got[3], "GMT") || !strings.HasSuffix(got[3], " feeds.i2p") {
		t.Fatalf("requests: %q", got)
	}
	// A changed feed is fetched whole; the state survives a restart.
	f.set("/second.txt", "one.i2p="+b.b64+"\nthree.i2p="+c.b64+"\n")
	s2, err := NewSubscriber(ab, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Update(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := f.requests(); !strings.Contains(got[5], `"`) {
		t.Errorf("restarted subscriber sent no If-None-Match: %q", got[5])
	}
	if _, ok := ab.Lookup("three.i2p"); !ok {
		t.Error("changed feed not merged")
	}
	st := s2.Subscriptions()
	if len(st) != 2 || st[0].ETag == "" || st[1].LastFetched.IsZero() {
		t.Errorf("status %+v", st)
	}
	// A missing feed is an error and recorded; the others still merge.
	s2.cfg.URLs = append(s2.cfg.URLs, "http://feeds.i2p/missing.txt")
	if err := s2.Update(t.Context()); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing feed: %v", err)
	}
}

func TestSubscriptionURLs(t *testing.T) {
	ab, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	dial := func(context.Context, string, string) (net.Conn, error) { return nil, context.Canceled }
	for _, u := range []string{"https://example.com/hosts.txt", "http://example.com/hosts.txt", "http://1.2.3.4/", "ftp://x.i2p/", "http://u:p@x.i2p/", "::"} {
		if _, err := NewSubscriber(ab, SubscriberConfig{URLs: []string{u}, Dial: dial}); err == nil {
			t.Errorf("subscription %q accepted", u)
		}
		if _, err := NewSubscriber(ab, SubscriberConfig{DefaultURL: u, Dial: dial}); err == nil {
			t.Errorf("default URL %q accepted", u)
		}
	}
	if _, err := NewSubscriber(ab, SubscriberConfig{URLs: []string{"http://x.i2p/hosts.txt", "http://" + strings.Repeat("a", 52) + ".b32.i2p:8080/h"}, Dial: dial}); err != nil {
		t.Error(err)
	}
}

func TestSubscriptionRunBacksOff(t *testing.T) {
	ab, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	var times []time.Duration
	var mu sync.Mutex
	start := time.Now()
	dial := func(context.Context, string, string) (net.Conn, error) {
		calls.Add(1)
		mu.Lock()
		times = append(times, time.Since(start))
		mu.Unlock()
		return nil, net.ErrClosed
	}
	s, err := NewSubscriber(ab, SubscriberConfig{URLs: []string{"http://x.i2p/h"}, Dial: dial,
		FirstDelay: 10 * time.Millisecond, Retry: 20 * time.Millisecond, Interval: 80 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	s.Run(ctx)
	// 10 ms, then gaps of 20, 40, 80, 80, 80…: about 7 in 500 ms, never
	// the dozens a loop without backoff would make.
	if n := calls.Load(); n < 2 || n > 9 { // a loaded machine fires timers late, never early
		t.Errorf("%d fetches in 500 ms (at %v)", n, times)
	}
	if st := s.Subscriptions(); st[0].LastError == "" {
		t.Error("failure not recorded")
	}
}
