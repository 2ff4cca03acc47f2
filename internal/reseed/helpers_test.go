package reseed

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/su3"
)

const testNetID = 99

// newRI makes a signed RouterInfo of network netID published at pub.
func newRI(t testing.TB, netID int, pub time.Time) *data.RouterInfo {
	t.Helper()
	k, err := keyfile.GenerateRouter(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ri := &data.RouterInfo{Identity: k.Identity, Published: data.DateOf(pub)}
	a := data.RouterAddress{Transport: "NTCP2", Cost: 3}
	a.Options.Set("host", "198.18.0.10")
	a.Options.Set("port", "20000")
	a.Options.Set("s", "c~ywZUmNq6S0z2W3kHyx0k~dQ2CtcpFG4Kp89o9Y0wA=")
	a.Options.Set("v", "2")
	ri.Addresses = []data.RouterAddress{a}
	ri.Options.Set("caps", "XR")
	ri.Options.Set("netId", strconv.Itoa(netID))
	ri.Options.Set("router.version", "0.9.57")
	s, err := k.Signer()
	if err != nil {
		t.Fatal(err)
	}
	if err := ri.Sign(s); err != nil {
		t.Fatal(err)
	}
	// Round-trip so the value is what a parser returns.
	out, err := data.ParseRouterInfo(ri.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newRIs(t testing.TB, n int, now time.Time) []*data.RouterInfo {
	out := make([]*data.RouterInfo, n)
	for i := range out {
		out[i] = newRI(t, testNetID, now.Add(-time.Duration(i+1)*time.Minute))
	}
	return out
}

// writeNetDb stores ris in a new netDb folder in i2pd's layout.
func writeNetDb(t testing.TB, ris []*data.RouterInfo) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "netDb")
	for _, ri := range ris {
		p := netdb.Path(dir, ri.Hash())
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, ri.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func namedFiles(ris []*data.RouterInfo) []su3.NamedFile {
	out := make([]su3.NamedFile, len(ris))
	for i, ri := range ris {
		out[i] = su3.NamedFile{Name: "routerInfo-" + ri.Hash().String() + ".dat", Data: ri.Bytes()}
	}
	return out
}

// signer is a test signer: RSA-2048 (sig type 4) keeps tests fast; the
// 4096-bit path is exercised by TestLoadOrCreateKeys.
type signer struct {
	key  *rsa.PrivateKey
	id   string
	ring *su3.Keyring
}

func newSigner(t testing.TB, id string, now time.Time) *signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := selfSign(rand.Reader, key, &x509.Certificate{Subject: pkix.Name{CommonName: id}}, now)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := su3.NewKeyring(cert)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{key: key, id: id, ring: ring}
}

// bundle signs a reseed bundle of ris with version signed.
func (s *signer) bundle(t testing.TB, ris []*data.RouterInfo, signed time.Time) []byte {
	t.Helper()
	z, err := su3.ReseedZip(namedFiles(ris), signed)
	if err != nil {
		t.Fatal(err)
	}
	b := &su3.Builder{FileType: su3.FileZIP, ContentType: su3.ContentReseed,
		Version: strconv.FormatInt(signed.Unix(), 10), SignerID: s.id, Content: z}
	out, err := b.Sign(s.key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// staticServer serves body for every request over TLS and counts them.
func staticServer(t testing.TB, status int, body []byte) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if status != http.StatusOK {
			http.Error(w, "nope", status)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func hashes(ris []*data.RouterInfo) map[string]bool {
	m := make(map[string]bool, len(ris))
	for _, ri := range ris {
		m[ri.Hash().String()] = true
	}
	return m
}

func fmtErr(err error) string { return fmt.Sprint(err) }
