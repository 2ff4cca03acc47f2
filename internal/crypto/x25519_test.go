package crypto

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func hexOf(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// RFC 7748 §5.2: raw scalar multiplication. The second u has its top bit
// set, which X25519 must ignore.
func TestX25519RFC7748Vectors(t *testing.T) {
	for _, tc := range []struct{ name, scalar, u, out string }{
		{"vector1",
			"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
			"e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
			"c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
		{"vector2",
			"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
			"e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
			"95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := X25519(hexOf(t, tc.scalar), hexOf(t, tc.u))
			if err != nil {
				t.Fatal(err)
			}
			if want := hexOf(t, tc.out); !bytes.Equal(got, want) {
				t.Errorf("got %x, want %x", got, want)
			}
		})
	}
}

// RFC 7748 §5.2 iterated test, 1 and 1000 rounds (the million-round value
// takes minutes and adds nothing the 1000-round one does not).
func TestX25519RFC7748Iterated(t *testing.T) {
	k := make([]byte, 32)
	u := make([]byte, 32)
	k[0], u[0] = 9, 9
	want1 := hexOf(t, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
	want1000 := hexOf(t, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
	for i := 1; i <= 1000; i++ {
		r, err := X25519(k, u)
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		u, k = k, r
		if i == 1 && !bytes.Equal(k, want1) {
			t.Fatalf("after 1: %x, want %x", k, want1)
		}
	}
	if !bytes.Equal(k, want1000) {
		t.Fatalf("after 1000: %x, want %x", k, want1000)
	}
}

// RFC 7748 §6.1: Alice and Bob.
func TestX25519RFC7748DH(t *testing.T) {
	aPriv := hexOf(t, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	aPub := hexOf(t, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
	bPriv := hexOf(t, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
	bPub := hexOf(t, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
	shared := hexOf(t, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")

	for _, tc := range []struct {
		name      string
		priv, pub []byte
	}{{"alice", aPriv, aPub}, {"bob", bPriv, bPub}} {
		t.Run(tc.name, func(t *testing.T) {
			pub, err := X25519Public(tc.priv)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pub[:], tc.pub) {
				t.Errorf("public %x, want %x", pub, tc.pub)
			}
		})
	}
	s1, err := X25519(aPriv, bPub)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := X25519(bPriv, aPub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s1, shared) || !bytes.Equal(s2, shared) {
		t.Errorf("shared %x / %x, want %x", s1, s2, shared)
	}
}

// A prepared key gives X25519's result for every peer it meets, and
// refuses what X25519 refuses.
func TestX25519Key(t *testing.T) {
	priv := hexOf(t, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	key := NewX25519Key((*[32]byte)(priv))
	for i := range 4 {
		_, pub, err := GenerateX25519(nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err1 := X25519(priv, pub[:])
		got, err2 := key.DH(pub[:])
		if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Fatalf("peer %d: %x %v, want %x %v", i, got, err2, want, err1)
		}
	}
	if _, err := key.DH(make([]byte, 32)); !errors.Is(err, ErrLowOrderPoint) {
		t.Fatalf("zero point: %v", err)
	}
	if _, err := key.DH(make([]byte, 31)); err == nil {
		t.Fatal("short public key accepted")
	}
}

func TestX25519LowOrder(t *testing.T) {
	priv := hexOf(t, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	// Points of order 1, 2, 4 and 8 on Curve25519 and its twist, and
	// non-canonical encodings of them (u + p).
	for _, tc := range []struct{ name, u string }{
		{"zero", "0000000000000000000000000000000000000000000000000000000000000000"},
		{"one", "0100000000000000000000000000000000000000000000000000000000000000"},
		{"order8a", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"},
		{"order8b", "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"},
		{"p-1", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
		{"p", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
		{"p+1", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ss, err := X25519(priv, hexOf(t, tc.u))
			if !errors.Is(err, ErrLowOrderPoint) {
				t.Fatalf("got %x, %v; want ErrLowOrderPoint", ss, err)
			}
		})
	}
}

func TestX25519BadLengths(t *testing.T) {
	k := make([]byte, 32)
	for _, n := range []int{0, 31, 33} {
		if _, err := X25519(make([]byte, n), k); err == nil {
			t.Errorf("private length %d accepted", n)
		}
		if _, err := X25519(k, make([]byte, n)); err == nil {
			t.Errorf("public length %d accepted", n)
		}
	}
}

func TestGenerateX25519(t *testing.T) {
	// A fixed reader gives a fixed key: the first 32 bytes are the private key.
	seed := bytes.Repeat([]byte{0x42}, 32)
	priv, pub, err := GenerateX25519(bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(priv[:], seed) {
		t.Errorf("private key %x, want reader bytes", priv)
	}
	want, _ := X25519Public(seed)
	if pub != want {
		t.Errorf("public %x, want %x", pub, want)
	}
	if _, _, err := GenerateX25519(bytes.NewReader(seed[:10])); err == nil {
		t.Error("short reader accepted")
	}

	a, aPub, err := GenerateX25519(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, bPub, err := GenerateX25519(nil)
	if err != nil {
		t.Fatal(err)
	}
	s1, err1 := X25519(a[:], bPub[:])
	s2, err2 := X25519(b[:], aPub[:])
	if err1 != nil || err2 != nil || !bytes.Equal(s1, s2) {
		t.Fatalf("DH mismatch: %x %v / %x %v", s1, err1, s2, err2)
	}
}

// BenchmarkX25519 compares a one-off DH with one on a prepared key.
func BenchmarkX25519(b *testing.B) {
	a, _, _ := GenerateX25519(nil)
	_, pub, _ := GenerateX25519(nil)
	key := NewX25519Key(&a)
	for _, bc := range []struct {
		name string
		dh   func() ([]byte, error)
	}{
		{"X25519", func() ([]byte, error) { return X25519(a[:], pub[:]) }},
		{"X25519Key", func() ([]byte, error) { return key.DH(pub[:]) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.dh(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func FuzzX25519(f *testing.F) {
	f.Add(hexOf(f, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"))
	f.Add(make([]byte, 32))
	f.Add([]byte{1})
	priv := hexOf(f, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
	f.Fuzz(func(t *testing.T, pub []byte) {
		ss, err := X25519(priv, pub)
		if err == nil && (len(ss) != 32 || bytes.Equal(ss, make([]byte, 32))) {
			t.Fatalf("bad shared secret %x", ss)
		}
	})
}
