package reseed

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"github.com/veil-i2p/veil/internal/ratelimit"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/su3"
)

func TestServerRequests(t *testing.T) {
	now := time.Now()
	ris := newRIs(t, 5, now)
	// Files the server must skip: another network, too old, garbage.
	dir := writeNetDb(t, append(ris, newRI(t, testNetID+1, now), newRI(t, testNetID, now.Add(-48*time.Hour))))
	junk := filepath.Join(dir, "rA", "routerInfo-"+ris[0].Hash().String()[:43]+"A.dat")
	os.MkdirAll(filepath.Dir(junk), 0o700)
	os.WriteFile(junk, []byte("junk"), 0o644)

	sg := newSigner(t, "test@mail.i2p", now)
	clock := now
	srv, err := NewServer(ServerConfig{NetDBDir: dir, NetID: testNetID, Signer: sg.key, SignerID: sg.id,
		Burst: 3, Rate: 1, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	get := func(target, from string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.RemoteAddr = from
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		return w
	}
	first := get("/i2pseeds.su3", "192.0.2.1:1000")
	if first.Code != http.StatusOK {
		t.Fatalf("GET: %d %s", first.Code, first.Body)
	}
	f, err := CheckBundle(first.Body.Bytes(), true, sg.ring, now, false)
	if err != nil {
		t.Fatal(err)
	}
	files, err := f.RouterInfos(0)
	if err != nil || len(files) != 5 {
		t.Fatalf("bundle has %d RouterInfos (%v), want the 5 valid ones", len(files), err)
	}
	// The same requester gets the same bundle while it is cached.
	if again := get("/i2pseeds.su3?netid=99", "192.0.2.1:2000"); !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) {
		t.Error("second request got another bundle")
	}
	if w := get("/i2pseeds.su3", "192.0.2.1:3000"); w.Code != http.StatusOK {
		t.Fatalf("third request: %d", w.Code)
	}
	if w := get("/i2pseeds.su3", "192.0.2.1:4000"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("fourth request within the burst of 3: %d", w.Code)
	}
	clock = clock.Add(2 * time.Second)
	if w := get("/i2pseeds.su3", "192.0.2.1:4000"); w.Code != http.StatusOK {
		t.Fatalf("after refill: %d", w.Code)
	}
	for _, tc := range []struct {
		target string
		code   int
	}{
		{"/i2pseeds.su3?netid=2", http.StatusNotFound},
		{"/i2pseeds.su3?netid=x", http.StatusNotFound},
		{"/index.html", http.StatusNotFound},
	} {
		if w := get(tc.target, "192.0.2.9:1"); w.Code != tc.code {
			t.Errorf("%s: %d, want %d", tc.target, w.Code, tc.code)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/i2pseeds.su3", nil)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
	if st := srv.Stats(); st.Served != 4 || st.Limited != 1 || st.Refused != 4 {
		t.Errorf("stats %+v", st)
	}
	// After the cache period the bundle is signed again.
	clock = clock.Add(DefaultCacheFor)
	if w := get("/i2pseeds.su3", "192.0.2.1:5000"); bytes.Equal(w.Body.Bytes(), first.Body.Bytes()) {
		t.Error("bundle not renewed after CacheFor")
	}
}

func TestServerEmptyNetDb(t *testing.T) {
	sg := newSigner(t, "test@mail.i2p", time.Now())
	dir := t.TempDir()
	srv, err := NewServer(ServerConfig{NetDBDir: dir, NetID: testNetID, Signer: sg.key, SignerID: sg.id})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/i2pseeds.su3", nil)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable || srv.Stats().Failed != 1 {
		t.Fatalf("empty netDb: %d", w.Code)
	}
	if _, err := NewServer(ServerConfig{NetID: testNetID, Signer: sg.key, SignerID: sg.id}); err == nil {
		t.Error("no netDb folder accepted")
	}
}

func TestRequester(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:80":               "192.0.2.1",
		"[2001:db8:1:2:3::4]:443":    "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:1":       "192.0.2.7",
		"not an address":             "not an address",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
	} {
		if got := requester(in); got != want {
			t.Errorf("requester(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLimiterCap(t *testing.T) {
	l := ratelimit.New[string](1, 1, 2, false)
	now := time.Now()
	if !l.Allow("a", now) || !l.Allow("b", now) {
		t.Fatal("first requests refused")
	}
	if l.Allow("c", now) {
		t.Fatal("third key admitted to a full table")
	}
	if !l.Allow("c", now.Add(2*time.Second)) {
		t.Fatal("refilled buckets not pruned")
	}
	if l.Len() > 2 {
		t.Fatalf("%d buckets, cap 2", l.Len())
	}
}

// TestLoadOrCreateKeys makes real RSA-4096 keys and checks that a client
// verifies the server's bundles with the certificate it wrote.
func TestLoadOrCreateKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("RSA-4096 key generation")
	}
	dir := t.TempDir()
	now := time.Now()
	k, created, err := LoadOrCreateKeys(dir, "me@mail.i2p", []string{"127.0.0.1"}, now, rand.Reader)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	if k.Signer.N.BitLen() != 4096 || k.SignerID != "me@mail.i2p" || k.SignerCert.NotAfter.Before(now.Add(9*365*24*time.Hour)) {
		t.Fatalf("keys: %d bits, %q, until %v", k.Signer.N.BitLen(), k.SignerID, k.SignerCert.NotAfter)
	}
	if fi, err := os.Stat(filepath.Join(dir, SignerKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signer key file: %v %v", fi, err)
	}
	k2, created, err := LoadOrCreateKeys(dir, "", nil, now, rand.Reader)
	if err != nil || created || !k2.Signer.Equal(k.Signer) || !bytes.Equal(k2.TLS.Certificate[0], k.TLS.Certificate[0]) {
		t.Fatalf("reload: %v %v", created, err)
	}
	if _, _, err := LoadOrCreateKeys(dir, "other@mail.i2p", nil, now, rand.Reader); err == nil {
		t.Fatal("other signer ID accepted")
	}
	if CertFileName(k.SignerID) != "me_at_mail.i2p.crt" {
		t.Fatal(CertFileName(k.SignerID))
	}
	// A client's certificates/reseed folder with the printed certificate.
	certs := t.TempDir()
	pem, _ := os.ReadFile(k.SignerCertPath)
	os.WriteFile(filepath.Join(certs, CertFileName(k.SignerID)), pem, 0o644)
	ring, err := su3.LoadCertificates(certs)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerConfig{NetDBDir: writeNetDb(t, newRIs(t, 2, now)), NetID: testNetID, Signer: k.Signer, SignerID: k.SignerID})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = nil
	ts.StartTLS()
	defer ts.Close()
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(k.TLS.Certificate[0])
	pool.AddCert(leaf)
	_ = pool
	c := &Client{URLs: []string{ts.URL}, Verify: true, Certs: ring, NetID: testNetID, HTTPClient: ts.Client()}
	got, err := c.Run(context.Background())
	if err != nil || len(got) != 2 {
		t.Fatalf("client: %d %v", len(got), err)
	}
}
