package keyfile

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
)

func TestGenerateRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   crypto.SigType
		et   crypto.EncType
	}{
		{"router", crypto.SigEdDSASHA512, crypto.EncX25519},
		{"dest-elgamal", crypto.SigEdDSASHA512, crypto.EncElGamal},
		{"dest-reddsa", crypto.SigRedDSASHA512, crypto.EncX25519},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pk, err := Generate(tc.st, tc.et, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if err := pk.Check(); err != nil {
				t.Fatal(err)
			}
			b := pk.Bytes()
			// i2pd layout: identity, encryption key, signing key.
			if want := pk.Identity.Len() + tc.et.PrivLen() + tc.st.PrivLen(); len(b) != want {
				t.Fatalf("len %d, want %d", len(b), want)
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), b) || got.Identity.Hash() != pk.Identity.Hash() {
				t.Fatal("round trip changed the keys")
			}
			s, err := got.Signer()
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.Sign([]byte("m"))
			if err != nil {
				t.Fatal(err)
			}
			if err := got.Identity.Verify([]byte("m"), sig); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParsePaddedLayout(t *testing.T) {
	pk, err := GenerateRouter(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// An X25519 key at the start of a 256-byte field.
	b := append(bytes.Clone(pk.Identity.Bytes()), pk.EncPrivate...)
	b = append(b, make([]byte, 256-32)...)
	b = append(b, pk.SigPrivate...)
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.EncPrivate, pk.EncPrivate) || !bytes.Equal(got.SigPrivate, pk.SigPrivate) {
		t.Fatal("keys differ")
	}
}

func TestParseRejects(t *testing.T) {
	pk, err := GenerateRouter(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b := pk.Bytes()
	for n := 0; n < len(b); n++ {
		if _, err := Parse(b[:n]); err == nil && n != pk.Identity.Len()+32+32 {
			t.Fatalf("prefix of %d bytes parsed", n)
		}
	}
	if _, err := Parse(append(bytes.Clone(b), 1)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	bad := bytes.Clone(b)
	bad[len(bad)-1] ^= 1
	pk2, err := Parse(bad)
	if err != nil {
		t.Fatal(err)
	}
	if pk2.Check() == nil {
		t.Fatal("mismatched signing key passed Check")
	}
}

func TestLoadOrCreateKeepsKeys(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "router.keys")
	gen := func() (*PrivateKeys, error) { return GenerateRouter(rand.Reader) }
	a, created, err := LoadOrCreate(p, gen)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	b, created, err := LoadOrCreate(p, gen)
	if err != nil || created {
		t.Fatalf("load: %v %v", created, err)
	}
	if a.Identity.Hash() != b.Identity.Hash() {
		t.Fatal("identity changed on reload")
	}
	// A corrupt file is an error, never replaced.
	if err := os.WriteFile(p, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreate(p, gen); err == nil {
		t.Fatal("corrupt keys accepted")
	}
	if got, _ := os.ReadFile(p); string(got) != "junk" {
		t.Fatal("corrupt keys file was overwritten")
	}
}

func TestStaticKeys(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ntcp2.keys")
	k, created, err := LoadOrCreateStatic(p, NTCP2IVLen, rand.Reader)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	st, _ := os.Stat(p)
	if st.Size() != 80 || st.Mode().Perm() != 0o600 {
		t.Fatalf("size %d mode %v", st.Size(), st.Mode())
	}
	k2, created, err := LoadOrCreateStatic(p, NTCP2IVLen, rand.Reader)
	if err != nil || created || !bytes.Equal(k.Bytes(), k2.Bytes()) {
		t.Fatal("reload differs", created, err)
	}
	b := k.Bytes()
	b[0] ^= 1
	if _, err := ParseStaticKeys(b, NTCP2IVLen); !errors.Is(err, ErrFormat) {
		t.Fatalf("mismatched public key: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	pk, err := GenerateRouter(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pk.Bytes())
	d, err := Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(d.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := Parse(b)
		if err != nil {
			return
		}
		pk.Check()
		if _, err := Parse(pk.Bytes()); err != nil {
			t.Fatalf("re-serialized keys do not parse: %v", err)
		}
	})
}

func FuzzParseStaticKeys(f *testing.F) {
	k, err := GenerateStaticKeys(rand.Reader, SSU2IntroLen)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(k.Bytes(), SSU2IntroLen)
	f.Fuzz(func(t *testing.T, b []byte, extra int) {
		if extra < 0 || extra > 64 {
			return
		}
		ParseStaticKeys(b, extra)
	})
}
