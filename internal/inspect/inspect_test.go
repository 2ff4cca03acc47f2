package inspect

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Known answers from i2pd 2.45.1 itself (testdata/i2pd/README).
const (
	i2pdRouterHash = "WFGi6pYs-SH1xcizK1e9o5WgZli-hUPbvraAPw09MQg="
	i2pdDestB32    = "yntjchfx57yuo2rwzifokj54ociozx7jlc35qtjljevds4zzmbaa.b32.i2p"
)

func inspectTestFile(t *testing.T, name string) (*Report, error) {
	t.Helper()
	p := filepath.Join("testdata", "i2pd", name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return Inspect(p, b, Options{})
}

func TestI2pdFiles(t *testing.T) {
	t.Run("router.info", func(t *testing.T) {
		r, err := inspectTestFile(t, "router.info")
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind != "routerinfo" || r.Hash != i2pdRouterHash || r.SignatureValid == nil || !*r.SignatureValid {
			t.Fatalf("%+v", r)
		}
		if r.NetID == nil || *r.NetID != 77 || r.Version != "0.9.57" {
			t.Fatalf("netid %v version %q", r.NetID, r.Version)
		}
		found := false
		for _, a := range r.Addresses {
			if a.Transport == "NTCP2" && a.Host == "198.18.0.50" && a.Port == 23456 {
				found = true
			}
		}
		if !found {
			t.Fatalf("addresses %+v", r.Addresses)
		}
	})
	t.Run("router.keys", func(t *testing.T) {
		r, err := inspectTestFile(t, "router.keys")
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind != "router_keys" || r.Hash != i2pdRouterHash || !*r.KeysMatch || r.EncType != "X25519" {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("test.dat", func(t *testing.T) {
		r, err := inspectTestFile(t, "test.dat")
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind != "destination_keys" || r.B32 != i2pdDestB32 || r.EncType != "ElGamal" || r.SigType != "EdDSA_SHA512_Ed25519" {
			t.Fatalf("%+v", r)
		}
	})
	for _, name := range []string{"ntcp2.keys", "ssu2.keys"} {
		t.Run(name, func(t *testing.T) {
			r, err := inspectTestFile(t, name)
			if err != nil || !*r.KeysMatch {
				t.Fatalf("%+v %v", r, err)
			}
		})
	}
}

func TestI2pdNTCP2KeyIsPublished(t *testing.T) {
	keys, err := inspectTestFile(t, "ntcp2.keys")
	if err != nil {
		t.Fatal(err)
	}
	ri, _ := inspectTestFile(t, "router.info")
	for _, a := range ri.Addresses {
		if a.Transport == "NTCP2" && a.Options["s"] != keys.StaticKey {
			t.Fatalf("published s %s, ntcp2.keys has %s", a.Options["s"], keys.StaticKey)
		}
	}
}

func TestFlippedByteFails(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "i2pd", "router.info"))
	if err != nil {
		t.Fatal(err)
	}
	sigLen := 64
	for i := 0; i < len(b)-sigLen; i++ {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		r, err := Inspect("router.info", c, Options{})
		if err == nil {
			t.Fatalf("byte %d flipped: still valid: %+v", i, r)
		}
	}
}

func TestUnknown(t *testing.T) {
	if _, err := Inspect("x", []byte("hello"), Options{}); err == nil {
		t.Fatal("junk recognised")
	}
}

func FuzzInspect(f *testing.F) {
	for _, n := range []string{"router.info", "router.keys", "test.dat", "ntcp2.keys"} {
		b, err := os.ReadFile(filepath.Join("testdata", "i2pd", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(n, b)
	}
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		Inspect(name, b, Options{})
	})
}

func TestSU3(t *testing.T) {
	p := filepath.Join("..", "su3", "testdata", "sample-reseed.su3")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Inspect(p, b, Options{SU3CertDir: filepath.Join("..", "su3", "testdata")})
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != "su3" || r.SU3.Entries != 2 || r.SignatureValid == nil || !*r.SignatureValid || r.SU3.ContentType == "" {
		t.Fatalf("%+v %+v", r, r.SU3)
	}
	b[len(b)-1] ^= 1
	if _, err := Inspect(p, b, Options{SU3CertDir: filepath.Join("..", "su3", "testdata")}); err == nil {
		t.Fatal("corrupt signature accepted")
	}
}
