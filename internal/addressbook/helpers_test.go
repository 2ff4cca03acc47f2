package addressbook

import (
	"crypto/rand"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
)

// testDest is a destination with its signing key.
type testDest struct {
	signer crypto.Signer
	dest   data.Destination
	b64    string
}

func newTestDest(t testing.TB) testDest {
	t.Helper()
	s, err := crypto.GenerateSigner(crypto.SigEdDSASHA512, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, err := data.NewKeysAndCert(crypto.EncElGamal, nil, s.Type(), s.Public(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testDest{s, d, data.EncodeBase64(d.Bytes())}
}

// sign makes a signed hosts.txt line.
func sign(t testing.TB, name string, d testDest, props map[string]string, old *testDest) string {
	t.Helper()
	var os crypto.Signer
	if old != nil {
		os = old.signer
	}
	line, err := SignLine(name, d.b64, props, d.signer, os)
	if err != nil {
		t.Fatal(err)
	}
	return line
}
