package su3

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

var (
	certFrom = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	certTo   = time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC)
)

type testSigner struct {
	t   crypto.SigType
	key stdcrypto.Signer
	id  string // signer ID, the certificate's CN
}

// newKey makes a fresh key of the kind t needs.
func newKey(t *testing.T, st crypto.SigType) stdcrypto.Signer {
	t.Helper()
	var (
		k   stdcrypto.Signer
		err error
	)
	switch st {
	case crypto.SigECDSASHA256P256, crypto.SigECDSASHA384P384, crypto.SigECDSASHA512P521:
		k, err = ecdsa.GenerateKey(ecdsaCurve(st), rand.Reader)
	case crypto.SigRSASHA2562048, crypto.SigRSASHA3843072, crypto.SigRSASHA5124096:
		k, err = rsa.GenerateKey(rand.Reader, rsaBits(st))
	case crypto.SigEdDSASHA512ph:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("no key for %v", st)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testSigners returns one signer per su3 signature type Verify supports.
// RSA-4096 uses the committed test key, since making one takes seconds.
func testSigners(t *testing.T) []testSigner {
	t.Helper()
	var out []testSigner
	for _, st := range []crypto.SigType{1, 2, 3, 4, 5, 6, 8} {
		var k stdcrypto.Signer
		if st == crypto.SigRSASHA5124096 {
			k = readTestKey(t)
		} else {
			k = newKey(t, st)
		}
		out = append(out, testSigner{st, k, strings.ToLower(st.String()) + "@veil.test"})
	}
	return out
}

// fakeCert is a certificate as Verify sees it, without an issuer's
// signature: enough for a keyring entry.
func fakeCert(id string, pub any) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: id}, PublicKey: pub, NotBefore: certFrom, NotAfter: certTo}
}

func TestSignVerifyAllTypes(t *testing.T) {
	signers := testSigners(t)
	var certs []*x509.Certificate
	for _, s := range signers {
		certs = append(certs, selfSigned(t, s.key, s.id, certFrom, certTo))
	}
	kr, err := NewKeyring(certs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range signers {
		t.Run(s.t.String(), func(t *testing.T) {
			b := &Builder{FileType: FileXML, ContentType: ContentNews, Version: "0.9.68", SignerID: s.id, Content: []byte("<feed/>")}
			raw, err := b.Sign(s.key)
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) != b.len(s.t) {
				t.Errorf("len %d, want %d", len(raw), b.len(s.t))
			}
			f, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if f.SigType != s.t || f.FileType != FileXML || f.ContentType != ContentNews ||
				f.Version != "0.9.68" || f.SignerID != s.id || string(f.Content) != "<feed/>" {
				t.Fatalf("parsed %+v", f)
			}
			if err := f.Verify(kr, testNow); err != nil {
				t.Fatal(err)
			}

			// Another key of the same kind under the same signer ID.
			var other any
			if s.t == crypto.SigRSASHA5124096 {
				other = readRealCert(t).PublicKey // a real reseed operator's key
			} else {
				other = newKey(t, s.t).Public()
			}
			wrong, err := NewKeyring(fakeCert(s.id, other))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Verify(wrong, testNow); !errors.Is(err, crypto.ErrBadSignature) {
				t.Errorf("wrong key: err = %v, want ErrBadSignature", err)
			}

			// Every single flipped bit fails: in the header it breaks
			// parsing or the signature, anywhere else the signature.
			for i := range raw {
				bad := append([]byte(nil), raw...)
				bad[i] ^= 1 << (i % 8)
				if g, err := Parse(bad); err == nil && g.Verify(kr, testNow) == nil {
					t.Fatalf("flipped bit in byte %d/%d still verifies", i, len(raw))
				}
			}
			for n := 0; n < len(raw); n++ {
				if _, err := Parse(raw[:n]); err == nil {
					t.Fatalf("prefix of %d bytes parses", n)
				}
			}
		})
	}
}

func TestSignDeterministicRSA(t *testing.T) {
	b := &Builder{ContentType: ContentReseed, Version: "1", SignerID: testSignerID, Content: []byte("x")}
	key := readTestKey(t)
	r1, err1 := b.Sign(key)
	r2, err2 := b.Sign(key)
	if err1 != nil || err2 != nil || string(r1) != string(r2) {
		t.Fatalf("two RSA signatures differ or fail: %v %v", err1, err2)
	}
}

func TestSignRejects(t *testing.T) {
	ok := Builder{ContentType: ContentReseed, Version: "1", SignerID: "a", Content: []byte("x")}
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(b *Builder)
		key  stdcrypto.Signer
	}{
		{"empty version", func(b *Builder) { b.Version = "" }, ed},
		{"long version", func(b *Builder) { b.Version = strings.Repeat("v", 256) }, ed},
		{"NUL in version", func(b *Builder) { b.Version = "1\x002" }, ed},
		{"empty signer", func(b *Builder) { b.SignerID = "" }, ed},
		{"long signer", func(b *Builder) { b.SignerID = strings.Repeat("s", 256) }, ed},
		{"bad UTF-8 signer", func(b *Builder) { b.SignerID = "\xff" }, ed},
		{"empty content", func(b *Builder) { b.Content = nil }, ed},
		{"content type", func(b *Builder) { b.ContentType = 6 }, ed},
		{"P-224 key", func(*Builder) {}, p224},
		{"RSA-1024 key", func(*Builder) {}, rsa1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ok
			tt.edit(&b)
			if out, err := b.Sign(tt.key); err == nil || out != nil || !strings.HasPrefix(err.Error(), "su3: sign: ") {
				t.Errorf("Sign = %d bytes, %v", len(out), err)
			}
		})
	}
	// 255-byte version and signer are the limits, and allowed.
	b := ok
	b.Version, b.SignerID = strings.Repeat("v", 255), strings.Repeat("s", 255)
	raw, err := b.Sign(ed)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := Parse(raw); err != nil || f.Version != b.Version || f.SignerID != b.SignerID {
		t.Errorf("255-byte fields: %v", err)
	}
}
