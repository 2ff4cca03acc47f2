package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Fuzz targets for the core parsers. Each is seeded from our encoders and
// from i2pd's files in testdata/, and checks that whatever parses encodes
// back to the bytes it came from. Run one with
//
//	go test -run='^$' -fuzz='^FuzzParseRouterInfo$' -fuzztime=60s ./internal/data/

func mustAppendMapping(tb testing.TB, m map[string]string) []byte {
	tb.Helper()
	mp := NewMapping(m)
	b, err := mp.Append(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// hasSeparator reports whether a pair holds a character Append refuses.
func hasSeparator(ps []Pair) bool {
	return slices.ContainsFunc(ps, func(p Pair) bool {
		return strings.ContainsAny(p.Key, "=;") || strings.Contains(p.Value, ";")
	})
}

func FuzzParseMapping(f *testing.F) {
	f.Add([]byte{0, 0})
	f.Add(mustAppendMapping(f, map[string]string{"host": "1.2.3.4", "port": "9", "": ""}))
	f.Add(mustAppendMapping(f, map[string]string{"\U00010000": "a", "\ufffd": "b", "x\ue000": "c"}))
	f.Add(mappingBytes("\x01b=\x011;\x01a=\x012;")) // unsorted
	f.Add(mappingBytes("\x01a=\x011;\x01a=\x012;")) // duplicate
	f.Add(mappingBytes("\x03a=b=\x03c;d;"))         // separators inside strings
	f.Add(append(mustAppendMapping(f, map[string]string{"k": "v"}), 1, 2, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, rest, err := ParseMapping(b)
		if err != nil {
			return
		}
		consumed := b[:len(b)-len(rest)]
		if !bytes.Equal(rest, b[len(consumed):]) || len(consumed) != 2+int(b[0])<<8+int(b[1]) {
			t.Fatalf("consumed %d bytes of %d, size field %x", len(consumed), len(b), b[:2])
		}
		pairs := m.Pairs()
		sorted := slices.IsSortedFunc(pairs, func(x, y Pair) int {
			if javaLess(x.Key, y.Key) {
				return -1
			}
			return 1
		})
		enc, err := m.Append(nil)
		if err != nil {
			if !hasSeparator(pairs) {
				t.Fatalf("parsed mapping %q does not re-encode: %v", pairs, err)
			}
			return
		}
		if sorted && !bytes.Equal(enc, consumed) {
			t.Fatalf("sorted mapping re-encodes differently:\n%x\n%x", enc, consumed)
		}
		m2, rest2, err := ParseMapping(enc)
		if err != nil || len(rest2) != 0 {
			t.Fatalf("re-encoded mapping does not parse: %v, %d left", err, len(rest2))
		}
		if m2.Len() != len(pairs) || !maps.Equal(m2.Map(), m.Map()) {
			t.Fatalf("pairs changed: %q, want %q", m2.Pairs(), pairs)
		}
		if enc2, err := m2.Append(nil); err != nil || !bytes.Equal(enc2, enc) {
			t.Fatalf("second re-encoding differs (%v)", err)
		}
	})
}

func FuzzParseCertificate(f *testing.F) {
	f.Add([]byte{0, 0, 0})
	f.Add(NewKeyCertificate(crypto.SigEdDSASHA512, crypto.EncX25519, nil).Append(nil))
	f.Add(NewKeyCertificate(crypto.SigECDSASHA512P521, crypto.EncElGamal, []byte{1, 2, 3, 4}).Append(nil))
	f.Add(Certificate{Type: CertSigned, Payload: make([]byte, 40)}.Append([]byte{}))
	f.Add([]byte{0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, rest, err := ParseCertificate(b)
		if err != nil {
			return
		}
		if c.Len() > len(b) || !bytes.Equal(rest, b[c.Len():]) {
			t.Fatalf("Len %d, rest %d of %d", c.Len(), len(rest), len(b))
		}
		if enc := c.Append(nil); !bytes.Equal(enc, b[:c.Len()]) {
			t.Fatalf("re-encoding %x, want %x", enc, b[:c.Len()])
		}
		_ = c.String()
	})
}

func FuzzParseKeysAndCert(f *testing.F) {
	for i, st := range knownSigTypes() {
		for j, et := range knownEncTypes() {
			if (i+j)%3 != 0 && st != crypto.SigEdDSASHA512 {
				continue // a spread of pairs is enough to seed
			}
			r := seededReader(byte(i*16 + j))
			k, err := NewKeysAndCert(et, randBytes(r, et.PubLen()), st, randBytes(r, st.PubLen()), r)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(k.Bytes())
		}
	}
	for _, d := range i2pdDestinations {
		f.Add(readTestdata(f, "destination", d.file))
	}
	f.Add(readTestdata(f, "routerinfo", "i2pd-2.45.1.dat"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, rest, err := ParseKeysAndCert(b)
		if err != nil {
			return
		}
		raw := k.Bytes()
		if !bytes.Equal(raw, b[:k.Len()]) || !bytes.Equal(rest, b[k.Len():]) {
			t.Fatalf("Bytes is not the consumed prefix (len %d of %d)", k.Len(), len(b))
		}
		if k.Hash() != sha256.Sum256(raw) {
			t.Fatal("Hash is not SHA-256 of Bytes")
		}
		cert := k.Certificate()
		if !bytes.Equal(cert.Append(nil), raw[384:]) {
			t.Fatal("certificate does not re-encode to the bytes after the keys")
		}
		sig, enc := k.SigningPublicKey(), k.EncryptionPublicKey()
		if len(sig) != k.SigType().PubLen() || len(enc) != k.EncType().PubLen() {
			t.Fatalf("key lengths %d/%d for %v/%v", len(sig), len(enc), k.SigType(), k.EncType())
		}
		// Placement per common-structures.rst, Key Certificates.
		wantSig := raw[384-min(len(sig), 128) : 384]
		if len(sig) > 128 {
			wantSig = slices.Concat(wantSig, cert.Payload[4:4+len(sig)-128])
		}
		if !bytes.Equal(sig, wantSig) || !bytes.Equal(enc, raw[:len(enc)]) {
			t.Fatal("keys are not where the spec puts them")
		}
		k2, rest2, err := ParseKeysAndCert(raw)
		if err != nil || len(rest2) != 0 || !bytes.Equal(k2.SigningPublicKey(), sig) {
			t.Fatalf("Bytes does not parse alone: %v", err)
		}
	})
}

func FuzzParseRouterInfo(f *testing.F) {
	f.Add(readTestdata(f, "routerinfo", "i2pd-2.45.1.dat"))
	ri, _ := smallRouterInfo(f)
	f.Add(ri.Bytes())
	s, id := routerKeys(f, 3)
	bare := &RouterInfo{Identity: id}
	if err := bare.Sign(s); err != nil {
		f.Fatal(err)
	}
	f.Add(bare.Bytes())
	// Shapes our signer does not make: a DSA identity with a NULL
	// certificate, two addresses and a peer hash (the signature need not
	// verify for the parser to be exercised).
	r := seededReader(4)
	dsa, err := NewKeysAndCert(crypto.EncElGamal, randBytes(r, 256), crypto.SigDSASHA1, randBytes(r, 128), r)
	if err != nil {
		f.Fatal(err)
	}
	old := slices.Concat(dsa.Bytes(), make([]byte, 8), []byte{2},
		[]byte{10, 0, 0, 0, 0, 0, 0, 0, 0, 4, 'N', 'T', 'C', 'P'},
		mustAppendMapping(f, map[string]string{"host": "192.0.2.2", "port": "1"}),
		[]byte{5, 0, 0, 0, 0, 0, 0, 0, 0, 3, 'S', 'S', 'U'},
		mustAppendMapping(f, map[string]string{"caps": "BC"}),
		[]byte{1}, randBytes(r, 32),
		mustAppendMapping(f, map[string]string{"caps": "O", "netId": "2"}),
		randBytes(r, 40))
	if _, err := ParseRouterInfo(old); err != nil {
		f.Fatal(err)
	}
	f.Add(old)
	f.Fuzz(func(t *testing.T, b []byte) {
		ri, err := ParseRouterInfo(b)
		if err != nil {
			return
		}
		if !bytes.Equal(ri.Bytes(), b) {
			t.Fatal("Bytes differ from the input")
		}
		id := ri.Identity
		if !bytes.Equal(id.Bytes(), b[:id.Len()]) || ri.Hash() != sha256.Sum256(b[:id.Len()]) {
			t.Fatal("identity is not the input's prefix")
		}
		if len(ri.Signature) != id.SigType().SigLen() || !bytes.Equal(ri.Signature, b[len(b)-len(ri.Signature):]) {
			t.Fatal("signature is not the input's suffix")
		}
		for _, a := range ri.Addresses {
			_, _ = a.Host(), a.Port()
		}
		_ = ri.Verify() // must not panic, whatever the key type
	})
}

func FuzzDecodeBase64(f *testing.F) {
	for _, b := range [][]byte{nil, {0}, {0xfb, 0xff}, []byte("foobar"), bytes.Repeat([]byte{0xfb, 0xef, 0xbe}, 5)} {
		s := EncodeBase64(b)
		f.Add(s)
		f.Add(strings.TrimRight(s, "="))
	}
	f.Add("Zg==\n")
	f.Add("Zh==") // unused bits set
	f.Add("++//")
	std := strings.NewReplacer("+", "*", "/", "*", "-", "+", "~", "/")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeBase64(s)
		// The same input in the RFC 4648 alphabet must decode alike.
		ref := std.Replace(s)
		if n := len(ref) % 4; n != 0 {
			ref += strings.Repeat("=", 4-n)
		}
		want, refErr := base64.StdEncoding.DecodeString(ref)
		if (err == nil) != (refErr == nil) || (err == nil && !bytes.Equal(b, want)) {
			t.Fatalf("DecodeBase64(%q) = %x, %v; RFC 4648 alphabet gives %x, %v", s, b, err, want, refErr)
		}
		if err != nil {
			return
		}
		enc := EncodeBase64(b)
		if back, err := DecodeBase64(enc); err != nil || !bytes.Equal(back, b) {
			t.Fatalf("re-encoding %q does not decode back: %v", enc, err)
		}
		// Beyond newlines and padding, the input may differ from the
		// canonical encoding only in the unused bits of its last character.
		in := strings.TrimRight(strings.NewReplacer("\r", "", "\n", "").Replace(s), "=")
		canon := strings.TrimRight(enc, "=")
		if len(in) != len(canon) || (len(in) > 0 && in[:len(in)-1] != canon[:len(canon)-1]) {
			t.Fatalf("input %q is not a spelling of %q", s, enc)
		}
	})
}

func FuzzParseB32(f *testing.F) {
	for i := range 4 {
		h := HashOf([]byte{byte(i)})
		f.Add(h.B32())
		f.Add(strings.ToUpper(strings.TrimSuffix(h.B32(), ".b32.i2p")))
	}
	b := HashOf(nil).B32()
	f.Add(b[:50] + "\n\n.b32.i2p")
	f.Add(b[:51] + "b.b32.i2p")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseB32(s)
		if err != nil {
			return
		}
		want := strings.TrimSuffix(strings.ToLower(s), ".b32.i2p")
		if got := EncodeBase32(h[:]); got != want {
			t.Fatalf("ParseB32(%q) = %s, which encodes as %q", s, h.B32(), got)
		}
		if h2, err := ParseB32(h.B32()); err != nil || h2 != h {
			t.Fatalf("B32 %q does not parse back: %v", h.B32(), err)
		}
	})
}
