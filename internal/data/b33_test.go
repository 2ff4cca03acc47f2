package data

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"pgregory.net/rapid"
)

type b33Vector struct {
	a       B33
	twoByte bool
	address string
}

// readB33Vectors reads testdata/b33.txt: vectors made by testdata/gen_b33.py
// from the spec text with Python's zlib CRC-32, independently of this
// package, and two addresses shown by i2pd 2.45.1 for its own keys.
func readB33Vectors(t testing.TB) []b33Vector {
	t.Helper()
	f, err := os.Open("testdata/b33.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []b33Vector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		w := strings.Fields(line)
		if len(w) != 7 {
			t.Fatalf("bad line %q", line)
		}
		n := func(s string) int { v, _ := strconv.Atoi(s); return v }
		pub, _ := hex.DecodeString(w[5])
		out = append(out, b33Vector{
			a: B33{SigType: crypto.SigType(n(w[0])), BlindedType: crypto.SigType(n(w[1])), PublicKey: pub,
				B33Flags: B33Flags{Secret: w[2] == "1", PerClientAuth: w[3] == "1"}},
			twoByte: w[4] == "1",
			address: w[6],
		})
	}
	if len(out) == 0 {
		t.Fatal("no vectors")
	}
	return out
}

func TestB33KnownAnswers(t *testing.T) {
	for _, v := range readB33Vectors(t) {
		t.Run(v.address[:12], func(t *testing.T) {
			if !v.twoByte {
				got, err := EncodeB33(v.a.SigType, v.a.BlindedType, v.a.PublicKey, v.a.B33Flags)
				if err != nil || got != v.address {
					t.Fatalf("EncodeB33 = %q, %v; want %q", got, err, v.address)
				}
			}
			for _, in := range []string{v.address, strings.ToUpper(v.address), strings.TrimSuffix(v.address, ".b32.i2p")} {
				got, err := ParseB33(in)
				if err != nil || !reflect.DeepEqual(got, v.a) {
					t.Fatalf("ParseB33(%q) = %+v, %v; want %+v", in, got, err, v.a)
				}
			}
			if !IsB33(v.address) {
				t.Error("IsB33 false")
			}
		})
	}
}

func TestB33RoundTrip(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		a := B33{
			SigType:     rapid.SampledFrom([]crypto.SigType{crypto.SigEdDSASHA512, crypto.SigRedDSASHA512, crypto.SigECDSASHA256P256}).Draw(rt, "st"),
			BlindedType: crypto.SigRedDSASHA512,
			B33Flags:    B33Flags{Secret: rapid.Bool().Draw(rt, "secret"), PerClientAuth: rapid.Bool().Draw(rt, "client")},
		}
		a.PublicKey = drawBytes(rt, a.SigType.PubLen(), "pub")
		s := a.String()
		got, err := ParseB33(s)
		if err != nil || !reflect.DeepEqual(got, a) {
			rt.Fatalf("%s: got %+v, %v; want %+v", s, got, err, a)
		}
	})
}

func TestB33Rejects(t *testing.T) {
	vs := readB33Vectors(t)
	addr := strings.TrimSuffix(vs[0].address, ".b32.i2p")
	// A typo in the key part changes the checksum, which unmasks the
	// flags and types to garbage.
	for i := 5; i < len(addr); i++ {
		for _, c := range "a7q" {
			if rune(addr[i]) == c {
				continue
			}
			typo := addr[:i] + string(c) + addr[i+1:]
			if a, err := ParseB33(typo); err == nil {
				t.Errorf("typo at %d parsed as %+v", i, a)
			}
		}
	}
	// The 37-byte two-byte-type form leaves 4 unused bits, which must be 0.
	two := strings.TrimSuffix(vs[4].address, ".b32.i2p")
	if !vs[4].twoByte || len(two) != 60 {
		t.Fatalf("vector 4 is not the two-byte form: %q", two)
	}
	last := strings.IndexByte("abcdefghijklmnopqrstuvwxyz234567", two[59])
	if _, err := ParseB33(two[:59] + string("abcdefghijklmnopqrstuvwxyz234567"[last|1])); err == nil {
		t.Error("non-zero trailing bits accepted")
	}
	for _, bad := range []string{
		"", strings.Repeat("a", 52) + ".b32.i2p", addr[:55], addr + "a", "!" + addr[1:], strings.Repeat("a", 2000),
	} {
		if a, err := ParseB33(bad); err == nil {
			t.Errorf("%q parsed as %+v", bad, a)
		}
	}
	if IsB33(strings.Repeat("a", 52) + ".b32.i2p") {
		t.Error("IsB33 true for a hash address")
	}
	if _, err := EncodeB33(crypto.SigEdDSASHA512, crypto.SigRedDSASHA512, make([]byte, 31), B33Flags{}); err == nil {
		t.Error("short key encoded")
	}
}

// TestB33Blinding: a b33 carries enough to derive the DHT key.
func TestB33Blinding(t *testing.T) {
	d := testDests(t)[0]
	s, err := EncodeB33(d.dest.SigType(), crypto.SigRedDSASHA512, d.dest.SigningPublicKey(), B33Flags{Secret: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseB33(s)
	if err != nil {
		t.Fatal(err)
	}
	when := testPublished.Time()
	k1, err1 := a.Blinding("pw").DHTKey(when)
	k2, err2 := BlindingOf(d.dest, "pw").DHTKey(when)
	if err1 != nil || err2 != nil || k1 != k2 {
		t.Fatalf("DHT keys %s %v / %s %v", k1, err1, k2, err2)
	}
}

func FuzzParseB33(f *testing.F) {
	for _, v := range readB33Vectors(f) {
		f.Add(v.address)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseB33(s)
		if err != nil {
			return
		}
		again, err := ParseB33(a.String())
		if err != nil || !reflect.DeepEqual(again, a) {
			t.Fatalf("re-encoding %q does not parse back: %v", a.String(), err)
		}
		norm := strings.TrimSuffix(strings.ToLower(s), ".b32.i2p")
		if len(norm) == 56 && a.String() != norm+".b32.i2p" {
			t.Fatalf("%q re-encodes as %q", s, a.String())
		}
		if !bytes.Equal(again.PublicKey, a.PublicKey) {
			t.Fatal("key changed")
		}
	})
}
