package su3

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The test signer: an RSA-4096 key made for these tests only, its
// self-signed certificate, and a sample reseed bundle it signed, which
// other packages' tests (veil inspect) read. Regenerate the certificate and
// sample with
//
//	go test ./internal/su3 -run TestSampleReseed -update
//
// (the key is made too if testSignerKey is missing). RSA PKCS#1 v1.5 and
// the zip are deterministic, so an unchanged key reproduces the sample.
const (
	testSignerID   = "veil-test@mail.i2p"
	testSignerKey  = "testdata/veil-test_at_mail.i2p.key"
	testSignerCert = "testdata/veil-test_at_mail.i2p.crt"
	sampleReseed   = "testdata/sample-reseed.su3"
	sampleVersion  = "1767225600" // 2026-01-01T00:00:00Z
)

var update = flag.Bool("update", false, "regenerate testdata/ (test signer certificate and sample su3)")

// testNow is inside the test certificate's and the copied real
// certificates' validity.
var testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// i2pB64 is I2P's base64 alphabet (common-structures.rst): "-" and "~"
// replace "+" and "/".
var i2pB64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~")

// riName names a reseed entry after the SHA-256 of its data, as a real
// bundle names each RouterInfo after its router hash.
func riName(data []byte) string {
	h := sha256.Sum256(data)
	return "routerInfo-" + i2pB64.EncodeToString(h[:]) + ".dat"
}

func readTestKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(testSignerKey)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", testSignerKey)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

func readTestCert(t testing.TB) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(testSignerCert)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCertificate(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// selfSigned makes a certificate like a reseed operator's: self-signed,
// CN = signer ID.
func selfSigned(t testing.TB, key stdcrypto.Signer, cn string, from, to time.Time) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"I2P Anonymous Network"}, OrganizationalUnit: []string{"I2P"}},
		NotBefore:             from,
		NotAfter:              to,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sampleFiles are the two dummy RouterInfos of the sample bundle. They are
// not valid RouterInfos; the bundle tests su3 and zip handling only.
func sampleFiles() []NamedFile {
	var out []NamedFile
	for _, s := range []string{"veil sample reseed entry 1: not a real RouterInfo\n", "veil sample reseed entry 2: not a real RouterInfo\n"} {
		out = append(out, NamedFile{Name: riName([]byte(s)), Data: []byte(s)})
	}
	return out
}

func buildSample(t testing.TB, key *rsa.PrivateKey) []byte {
	t.Helper()
	z, err := ReseedZip(sampleFiles(), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{FileType: FileZIP, ContentType: ContentReseed, Version: sampleVersion, SignerID: testSignerID, Content: z}
	out, err := b.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSampleReseed(t *testing.T) {
	if *update {
		regenerate(t)
	}
	raw, err := os.ReadFile(sampleReseed)
	if err != nil {
		t.Fatal(err)
	}
	if want := buildSample(t, readTestKey(t)); !bytes.Equal(raw, want) {
		t.Errorf("%s differs from what the test key signs now; run with -update", sampleReseed)
	}
	f, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if f.SigType != 6 || f.ContentType != ContentReseed || f.FileType != FileZIP || f.Version != sampleVersion || f.SignerID != testSignerID {
		t.Errorf("header = %v %v %v %q %q", f.SigType, f.ContentType, f.FileType, f.Version, f.SignerID)
	}
	kr, err := LoadCertificates("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Verify(kr, time.Now()); err != nil {
		t.Fatal(err)
	}
	ris, err := f.RouterInfos(0)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleFiles()
	if len(ris) != len(want) {
		t.Fatalf("%d entries, want %d", len(ris), len(want))
	}
	for i := range ris {
		if ris[i].Name != want[i].Name || !bytes.Equal(ris[i].Data, want[i].Data) {
			t.Errorf("entry %d = %q %q, want %q %q", i, ris[i].Name, ris[i].Data, want[i].Name, want[i].Data)
		}
	}
}

func regenerate(t *testing.T) {
	if _, err := os.Stat(testSignerKey); os.IsNotExist(err) {
		k, err := rsa.GenerateKey(rand.Reader, 4096)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, testSignerKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	key := readTestKey(t)
	c := selfSigned(t, key, testSignerID,
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC))
	writeFile(t, testSignerCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	writeFile(t, sampleReseed, buildSample(t, key))
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.FromSlash(name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", name, len(b))
}
