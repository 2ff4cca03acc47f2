package reseed

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// TestClientFromServer runs the whole protocol over loopback TLS: our
// Server signs bundles from a netDb folder and the Client fetches and
// verifies them.
func TestClientFromServer(t *testing.T) {
	now := time.Now()
	ris := newRIs(t, 6, now)
	sg := newSigner(t, "test@mail.i2p", now)
	srv, err := NewServer(ServerConfig{NetDBDir: writeNetDb(t, ris), NetID: testNetID, Signer: sg.key, SignerID: sg.id, Count: 4})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var queries, agents []string
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries, agents = append(queries, r.URL.RawQuery), append(agents, r.UserAgent())
		mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()

	var added []*data.RouterInfo
	c := &Client{URLs: []string{ts.URL}, Verify: true, Certs: sg.ring, NetID: testNetID, MinRouters: 3,
		HTTPClient: ts.Client(), Add: func(ri *data.RouterInfo) error { added = append(added, ri); return nil }}
	got, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || len(added) != 4 {
		t.Fatalf("got %d RouterInfos, added %d; want 4 (the server's Count)", len(got), len(added))
	}
	all := hashes(ris)
	for h := range hashes(got) {
		if !all[h] {
			t.Errorf("router %s is not from the netDb", h)
		}
	}
	if len(queries) != 1 || queries[0] != "netid=99" || agents[0] != UserAgent {
		t.Errorf("requests: query %q, user agent %q", queries, agents)
	}
	if st := srv.Stats(); st.Served != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestClientTamperedRefused(t *testing.T) {
	now := time.Now()
	sg := newSigner(t, "test@mail.i2p", now)
	good := sg.bundle(t, newRIs(t, 2, now), now)
	for _, off := range []int{0x1b + 13, 60, len(good) / 2, len(good) - 1} {
		bad := append([]byte(nil), good...)
		bad[off] ^= 0x01
		ts, n := staticServer(t, http.StatusOK, bad)
		c := &Client{URLs: []string{ts.URL + "/"}, Verify: true, Certs: sg.ring, NetID: testNetID,
			HTTPClient: ts.Client(), Attempts: 1}
		_, err := c.Run(context.Background())
		if !errors.Is(err, ErrNoRouters) || n.Load() != 1 {
			t.Fatalf("byte %d flipped: err %v, %d requests", off, err, n.Load())
		}
		if off >= 60 && !errors.Is(err, ErrUnsigned) {
			t.Errorf("byte %d flipped: %v, want ErrUnsigned", off, err)
		}
		t.Logf("byte %d flipped: %v", off, err)
	}
	// The same through a local file: the signature is checked there too.
	bad := append([]byte(nil), good...)
	bad[len(bad)/2] ^= 0x80
	c := &Client{File: writeFile(t, "i2pseeds.su3", bad), Verify: true, Certs: sg.ring, NetID: testNetID, Attempts: 1}
	if _, err := c.Run(context.Background()); !errors.Is(err, ErrUnsigned) || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("tampered file: %v", err)
	}
}

func TestClientFileAndZip(t *testing.T) {
	now := time.Now()
	sg := newSigner(t, "test@mail.i2p", now)
	ris := newRIs(t, 3, now)
	// A local file made long ago is fine: only downloads must be recent.
	old := sg.bundle(t, ris, now.Add(-90*24*time.Hour))
	c := &Client{File: writeFile(t, "seed.su3", old), Verify: true, Certs: sg.ring, NetID: testNetID}
	got, err := c.Run(context.Background())
	if err != nil || len(got) != 3 {
		t.Fatalf("su3 file: %d, %v", len(got), err)
	}

	zip := plainZip(t, ris)
	c = &Client{ZipFile: writeFile(t, "seed.zip", zip), NetID: testNetID}
	if got, err = c.Run(context.Background()); err != nil || len(got) != 3 {
		t.Fatalf("zip file: %d, %v", len(got), err)
	}

	// A downloaded bundle of the same age is refused.
	ts, _ := staticServer(t, http.StatusOK, old)
	c = &Client{File: ts.URL + "/i2pseeds.su3", Verify: true, Certs: sg.ring, NetID: testNetID, HTTPClient: ts.Client(), Attempts: 1}
	if _, err := c.Run(context.Background()); !errors.Is(err, ErrTooOld) {
		t.Fatalf("old download: %v", err)
	}

	// Entries of another network and duplicates are dropped; the file
	// source comes first and the zip adds only what is new.
	other := newRI(t, testNetID+1, now)
	zip = plainZip(t, append([]*data.RouterInfo{other}, ris[:2]...))
	extra := newRIs(t, 1, now)
	c = &Client{File: writeFile(t, "seed.su3", sg.bundle(t, append(extra, ris[0]), now)), ZipFile: writeFile(t, "seed.zip", zip),
		Verify: true, Certs: sg.ring, NetID: testNetID}
	got, err = c.Run(context.Background())
	if err != nil || len(got) != 3 {
		t.Fatalf("file then zip: %d, %v", len(got), err)
	}
	if hashes(got)[other.Hash().String()] {
		t.Error("RouterInfo of another network accepted")
	}
}

func plainZip(t testing.TB, ris []*data.RouterInfo) []byte {
	t.Helper()
	z, err := zipOf(ris, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func TestClientMainNetRefused(t *testing.T) {
	mainnet := []string{"https://reseed2.i2p.net/", "https://reseed.i2pgit.org/"}
	var calls atomic.Int64
	hc := &http.Client{Transport: roundTripper(func(*http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, errors.New("must not be called")
	})}
	c := &Client{URLs: mainnet, NetID: testNetID, HTTPClient: hc}
	_, err := c.Run(context.Background())
	if !errors.Is(err, ErrMainNetURLs) || !strings.Contains(err.Error(), "reseed.urls") {
		t.Fatalf("err %v", err)
	}
	// With a local zip that fails, the fallback to the URLs is refused too.
	c.ZipFile = writeFile(t, "empty.zip", []byte("not a zip"))
	if _, err = c.Run(context.Background()); !errors.Is(err, ErrMainNetURLs) {
		t.Fatalf("zip then main-net URLs: %v", err)
	}
	if calls.Load() != 0 {
		t.Fatalf("%d requests to main-net servers", calls.Load())
	}
	// On the main network they are what should be used.
	c = &Client{URLs: mainnet, NetID: MainNetID, HTTPClient: hc, Attempts: 1}
	if _, err = c.Run(context.Background()); errors.Is(err, ErrMainNetURLs) || calls.Load() != 2 {
		t.Fatalf("main net: %v, %d requests", err, calls.Load())
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestClientBackoff checks that retries are bounded and spaced
// exponentially, in fake time.
func TestClientBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var times []time.Time
		hc := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			times = append(times, time.Now())
			return &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
		})}
		c := &Client{URLs: []string{"https://seed.test/"}, NetID: testNetID, HTTPClient: hc, Attempts: 4}
		start := time.Now()
		_, err := c.Run(context.Background())
		if !errors.Is(err, ErrNoRouters) || !strings.Contains(err.Error(), "503") {
			t.Fatalf("err %v", err)
		}
		if len(times) != 4 {
			t.Fatalf("%d requests, want 4", len(times))
		}
		want := []time.Duration{0, 10 * time.Second, 30 * time.Second, 70 * time.Second}
		for i, at := range times {
			if d := at.Sub(start); d != want[i] {
				t.Errorf("request %d at %v, want %v", i, d, want[i])
			}
		}
		// Cancelling during a back-off returns at once.
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(5 * time.Second); cancel() }()
		start = time.Now()
		if _, err := c.Run(ctx); !errors.Is(err, context.Canceled) || time.Since(start) != 5*time.Second {
			t.Fatalf("cancelled: %v after %v", err, time.Since(start))
		}
	})
}

func TestClientConfigErrors(t *testing.T) {
	for name, c := range map[string]*Client{
		"no source":       {NetID: testNetID},
		"verify no certs": {URLs: []string{"https://a.test/"}, Verify: true, NetID: testNetID},
		"http url":        {URLs: []string{"http://a.test/"}, NetID: testNetID, Attempts: 1},
		"ftp file":        {File: "ftp://a.test/x.su3", NetID: testNetID, Attempts: 1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.Run(context.Background())
			if err == nil || !strings.HasPrefix(err.Error(), "reseed: ") {
				t.Fatalf("err %v", err)
			}
			t.Log(err)
		})
	}
}
