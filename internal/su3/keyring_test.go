package su3

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// testdata/reseed holds two real reseed signer certificates as shipped in
// i2pd's certificates/reseed (public, self-signed, RSA-4096).
const realCertDir = "testdata/reseed"

// systemCertDir is where Debian's i2pd package puts them.
const systemCertDir = "/usr/share/i2pd/certificates/reseed"

func readRealCert(t *testing.T) *x509.Certificate {
	t.Helper()
	c, err := loadCertificate(filepath.Join(realCertDir, "acetone_at_mail.i2p.crt"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadRealCertificates(t *testing.T) {
	kr, err := LoadCertificates(realCertDir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kr.Signers(), []string{"acetone@mail.i2p", "igor@novg.net"}; !slices.Equal(got, want) {
		t.Fatalf("signers = %q, want %q", got, want)
	}
	for _, id := range kr.Signers() {
		c := kr.Certificate(id)
		pub, err := PublicKey(c, crypto.SigRSASHA5124096)
		if err != nil || len(pub) != 512 {
			t.Errorf("%s: type 6 key: %d bytes, %v", id, len(pub), err)
		}
		for _, st := range []crypto.SigType{1, 4, 5, 8} {
			if _, err := PublicKey(c, st); !errors.Is(err, ErrKeyMismatch) {
				t.Errorf("%s as %v: err = %v, want ErrKeyMismatch", id, st, err)
			}
		}
	}
}

// TestLoadSystemCertificates loads every reseed certificate the installed
// i2pd ships, if any: all must parse with Go's x509 and carry RSA-4096.
func TestLoadSystemCertificates(t *testing.T) {
	if _, err := os.Stat(systemCertDir); err != nil {
		t.Skipf("no i2pd certificates: %v", err)
	}
	kr, err := LoadCertificates(systemCertDir)
	if err != nil {
		t.Fatal(err)
	}
	if kr.Len() == 0 {
		t.Fatal("no certificates loaded")
	}
	for _, id := range kr.Signers() {
		if _, err := PublicKey(kr.Certificate(id), crypto.SigRSASHA5124096); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	t.Logf("%d signers: %s", kr.Len(), strings.Join(kr.Signers(), " "))
}

// TestVerifyRealCertificate: a file claiming a real reseed signer but
// signed by our test key reaches the RSA check and fails there, not
// earlier, so the real key was extracted and used.
func TestVerifyRealCertificate(t *testing.T) {
	kr, err := LoadCertificates(realCertDir)
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{ContentType: ContentReseed, Version: sampleVersion, SignerID: "acetone@mail.i2p", Content: []byte("PK")}
	raw, err := b.Sign(readTestKey(t))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Verify(kr, testNow); !errors.Is(err, crypto.ErrBadSignature) {
		t.Errorf("err = %v, want ErrBadSignature", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	key := readTestKey(t)
	cert := readTestCert(t)
	kr, err := NewKeyring(cert)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(id string) *File {
		t.Helper()
		raw, err := (&Builder{ContentType: ContentReseed, Version: "1", SignerID: id, Content: []byte("x")}).Sign(key)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := sign(testSignerID)
	if err := f.Verify(kr, testNow); err != nil {
		t.Fatal(err)
	}
	if err := f.Verify(kr, time.Time{}); err != nil {
		t.Errorf("zero time skips the date check: %v", err)
	}
	if err := sign("nobody@mail.i2p").Verify(kr, testNow); !errors.Is(err, ErrUnknownSigner) {
		t.Errorf("unknown signer: %v", err)
	}
	if err := f.Verify(nil, testNow); !errors.Is(err, ErrUnknownSigner) {
		t.Errorf("nil keyring: %v", err)
	}
	for _, now := range []time.Time{cert.NotBefore.Add(-time.Second), cert.NotAfter.Add(time.Second)} {
		if err := f.Verify(kr, now); !errors.Is(err, ErrCertificateExpired) {
			t.Errorf("at %v: %v", now, err)
		}
	}

	// A certificate whose key does not fit the file's signature type.
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	n := cert.PublicKey.(*rsa.PublicKey).N
	for name, pub := range map[string]any{
		"P-256":    &p256.PublicKey,
		"Ed25519":  edPub,
		"RSA e=3":  &rsa.PublicKey{N: n, E: 3},
		"RSA-4095": &rsa.PublicKey{N: new(big.Int).Rsh(n, 1), E: 65537},
		"nil RSA":  &rsa.PublicKey{},
		"nil EC":   &ecdsa.PublicKey{},
		"short Ed": ed25519.PublicKey{1},
		"no key":   nil,
	} {
		kr, _ := NewKeyring(fakeCert(testSignerID, pub))
		if err := f.Verify(kr, testNow); !errors.Is(err, ErrKeyMismatch) {
			t.Errorf("%s: %v, want ErrKeyMismatch", name, err)
		}
	}

	// Types the format allows but Verify does not: DSA-SHA1 and plain
	// Ed25519.
	for _, st := range []crypto.SigType{crypto.SigDSASHA1, crypto.SigEdDSASHA512} {
		g, err := Parse(testFile(st, "1", testSignerID, []byte("x")))
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Verify(kr, testNow); err == nil {
			t.Errorf("%v verified", st)
		}
	}
}

func TestLoadCertificatesRejects(t *testing.T) {
	certPEM, err := os.ReadFile(testSignerCert)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(testSignerKey)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := pem.Decode(certPEM)
	tests := []struct {
		name  string
		files map[string][]byte
		want  string // "" = loads
	}{
		{"PEM", map[string][]byte{"veil-test_at_mail.i2p.crt": certPEM}, ""},
		{"DER", map[string][]byte{"veil-test_at_mail.i2p.crt": der.Bytes}, ""},
		{"symlink", map[string][]byte{"target": certPEM, "veil-test_at_mail.i2p.crt": nil}, ""},
		{"ignores other files", map[string][]byte{"veil-test_at_mail.i2p.crt": certPEM, "README": []byte("x"), "x.crt.bak": []byte("x")}, ""},
		{"file name", map[string][]byte{"someone_at_mail.i2p.crt": certPEM}, "wants file name veil-test_at_mail.i2p.crt"},
		{"unescaped name", map[string][]byte{"veil-test@mail.i2p.crt": certPEM}, "wants file name"},
		{"key not cert", map[string][]byte{"veil-test_at_mail.i2p.crt": keyPEM}, `PEM block "PRIVATE KEY"`},
		{"two blocks", map[string][]byte{"veil-test_at_mail.i2p.crt": append(append([]byte(nil), certPEM...), certPEM...)}, "more than one PEM block"},
		{"garbage", map[string][]byte{"veil-test_at_mail.i2p.crt": []byte("not a cert")}, "su3: certificate"},
		{"too large", map[string][]byte{"veil-test_at_mail.i2p.crt": make([]byte, maxCertSize+1)}, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, b := range tt.files {
				var err error
				if b == nil {
					err = os.Symlink("target", filepath.Join(dir, name))
				} else {
					err = os.WriteFile(filepath.Join(dir, name), b, 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Mkdir(filepath.Join(dir, "sub.crt"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("missing", filepath.Join(dir, "dangling.crt")); err != nil {
				t.Fatal(err)
			}
			kr, err := LoadCertificates(dir)
			if tt.want == "" {
				if err != nil || kr.Len() != 1 || kr.Certificate(testSignerID) == nil {
					t.Fatalf("LoadCertificates = %v, %v", kr.Signers(), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "su3: ") {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := LoadCertificates(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing folder loaded")
	}
}

func TestNewKeyringRejects(t *testing.T) {
	c := readTestCert(t)
	if _, err := NewKeyring(c, c); err == nil {
		t.Error("duplicate CN accepted")
	}
	if _, err := NewKeyring(fakeCert("", nil)); err == nil {
		t.Error("empty CN accepted")
	}
	var zero Keyring
	if zero.Len() != 0 || zero.Certificate("x") != nil || len(zero.Signers()) != 0 {
		t.Error("zero Keyring not empty")
	}
}

func TestSignerFileName(t *testing.T) {
	for id, want := range map[string]string{
		"zzz@mail.i2p":       "zzz_at_mail.i2p.crt",
		"i2p-reseed@mk16.de": "i2p-reseed_at_mk16.de.crt",
		"Name <me@mail.i2p>": "Name _me_at_mail.i2p_.crt",
		"plain":              "plain.crt",
	} {
		if got := signerFileName(id); got != want {
			t.Errorf("signerFileName(%q) = %q, want %q", id, got, want)
		}
	}
}
