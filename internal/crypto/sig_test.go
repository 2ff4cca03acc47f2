package crypto

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sigVector is one record of a testdata/*.txt known-answer file: "key: value"
// lines, records separated by blank lines, '#' starts a comment line.
type sigVector map[string]string

func loadSigVectors(t testing.TB, name string) []sigVector {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out []sigVector
		cur sigVector
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#"):
		case line == "":
			cur = nil
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				t.Fatalf("%s: bad line %q", name, line)
			}
			if cur == nil {
				cur = sigVector{}
				out = append(out, cur)
			}
			cur[k] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no vectors", name)
	}
	return out
}

// bytes decodes the hex field k, failing the test if it is missing.
func (v sigVector) bytes(t testing.TB, k string) []byte {
	t.Helper()
	s, ok := v[k]
	if !ok {
		t.Fatalf("vector %v: no field %q", v, k)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("field %q: %v", k, err)
	}
	return b
}

func (v sigVector) sigType(t testing.TB) SigType {
	t.Helper()
	n, err := strconv.ParseUint(v["type"], 10, 16)
	if err != nil {
		t.Fatalf("bad type %q", v["type"])
	}
	return SigType(n)
}

func sigFlipBit(b []byte, bit int) []byte {
	c := bytes.Clone(b)
	c[bit/8%len(c)] ^= 1 << (bit % 8)
	return c
}

// sigCheckRejects asserts that verify fails with ErrBadSignature after any
// single-bit change to the message or signature, and fails somehow after a
// change to the public key.
func sigCheckRejects(t *testing.T, verify func(pub, msg, sig []byte) error, pub, msg, sig []byte) {
	t.Helper()
	for _, bit := range []int{0, 7, len(sig) * 4, len(sig)*8 - 1} {
		if err := verify(pub, msg, sigFlipBit(sig, bit)); !errors.Is(err, ErrBadSignature) {
			t.Errorf("sig bit %d flipped: got %v, want ErrBadSignature", bit, err)
		}
	}
	msg2 := append(bytes.Clone(msg), 0)
	if len(msg) > 0 {
		msg2 = sigFlipBit(msg, len(msg)*4+3)
	}
	if err := verify(pub, msg2, sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("msg changed: got %v, want ErrBadSignature", err)
	}
	for _, bit := range []int{3, len(pub)*8 - 9} {
		if err := verify(sigFlipBit(pub, bit), msg, sig); err == nil {
			t.Errorf("pub bit %d flipped: verified", bit)
		}
	}
}

func TestVerifyKnownAnswers(t *testing.T) {
	var vecs []sigVector
	vecs = append(vecs, loadSigVectors(t, "sig_vectors.txt")...)
	vecs = append(vecs, loadSigVectors(t, "rfc_vectors.txt")...)
	seen := map[SigType]bool{}
	for _, v := range vecs {
		if v["type"] == "rfc8032ph" {
			continue // TestEd25519phIsNotRFC8032
		}
		t.Run(v["source"], func(t *testing.T) {
			st := v.sigType(t)
			seen[st] = true
			pub, sig := v.bytes(t, "pub"), v.bytes(t, "sig")
			verify := func(pub, msg, sig []byte) error { return Verify(st, pub, msg, sig) }
			msg := []byte(nil)
			if _, raw := v["digest"]; raw {
				msg = v.bytes(t, "digest")
				verify = func(pub, digest, sig []byte) error {
					if st == SigEdDSASHA512ph {
						return VerifyEd25519phHash(pub, digest, sig)
					}
					return VerifyRSARawHash(st, pub, digest, sig)
				}
				// A raw su3 signature is not a standard one, and the
				// reverse; DigestInfo makes the difference.
				if err := Verify(st, pub, msg, sig); err == nil {
					t.Error("raw signature verified as a standard one")
				}
			} else {
				msg = v.bytes(t, "msg")
			}
			if err := verify(pub, msg, sig); err != nil {
				t.Fatalf("verify: %v", err)
			}
			sigCheckRejects(t, verify, pub, msg, sig)
			if seed, ok := v["seed"]; ok && st == SigEdDSASHA512 {
				b, _ := hex.DecodeString(seed)
				s, err := NewSigner(st, b)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := s.Sign(msg)
				if !bytes.Equal(got, sig) || !bytes.Equal(s.Public(), pub) {
					t.Errorf("sign: got %x pub %x", got, s.Public())
				}
			}
		})
	}
	for _, st := range []SigType{0, 1, 2, 3, 4, 5, 6, 7, 8} {
		if !seen[st] {
			t.Errorf("no known answer for %v", st)
		}
	}
}

// TestRSARawIsNotStandard pins the su3 difference on an OpenSSL vector: the
// standard SHA512withRSA signature must not pass VerifyRSARawHash.
func TestRSARawIsNotStandard(t *testing.T) {
	for _, v := range loadSigVectors(t, "sig_vectors.txt") {
		if v.sigType(t) != SigRSASHA5124096 || v["msg"] == "" {
			continue
		}
		d := sha512.Sum512(v.bytes(t, "msg"))
		err := VerifyRSARawHash(SigRSASHA5124096, v.bytes(t, "pub"), d[:], v.bytes(t, "sig"))
		if !errors.Is(err, ErrBadSignature) {
			t.Errorf("DigestInfo signature as raw: got %v, want ErrBadSignature", err)
		}
		return
	}
	t.Fatal("no RSA-4096 vector")
}

// TestEd25519phIsNotRFC8032 documents what type 8 is (see ed25519ph.go):
// the RFC 8032 §7.3 Ed25519ph vector fails, pure Ed25519 over SHA-512 of
// the message verifies.
func TestEd25519phIsNotRFC8032(t *testing.T) {
	for _, v := range loadSigVectors(t, "rfc_vectors.txt") {
		if v["type"] != "rfc8032ph" {
			continue
		}
		pub, msg, sig := v.bytes(t, "pub"), v.bytes(t, "msg"), v.bytes(t, "sig")
		d := sha512.Sum512(msg)
		opts := &ed25519.Options{Hash: crypto.SHA512}
		if err := ed25519.VerifyWithOptions(pub, d[:], sig, opts); err != nil {
			t.Fatalf("RFC vector itself: %v", err)
		}
		if err := Verify(SigEdDSASHA512ph, pub, msg, sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("RFC 8032 Ed25519ph accepted as I2P type 8: %v", err)
		}
		key := ed25519.NewKeyFromSeed(v.bytes(t, "seed"))
		i2p := ed25519.Sign(key, d[:])
		if err := Verify(SigEdDSASHA512ph, pub, msg, i2p); err != nil {
			t.Errorf("pure Ed25519 over SHA-512(msg): %v", err)
		}
		if err := VerifyEd25519phHash(pub, d[:], i2p); err != nil {
			t.Errorf("VerifyEd25519phHash: %v", err)
		}
		return
	}
	t.Fatal("no rfc8032ph vector")
}

func TestVerifyErrors(t *testing.T) {
	ed := make([]byte, 32)
	tests := []struct {
		name     string
		t        SigType
		pub, sig []byte
		want     string
		is       error
	}{
		{"unknown 9", 9, ed, make([]byte, 64), "crypto: verify SigType(9): unknown signature type", ErrUnknownSigType},
		{"unknown 12", 12, ed, make([]byte, 64), "", ErrUnknownSigType},
		{"unknown 65535", 65535, nil, nil, "", ErrUnknownSigType},
		{"short sig", SigECDSASHA256P256, make([]byte, 64), make([]byte, 63),
			"crypto: verify ECDSA_SHA256_P256: bad signature length 63", nil},
		{"long pub", SigEdDSASHA512, make([]byte, 33), make([]byte, 64),
			"crypto: verify EdDSA_SHA512_Ed25519: bad public key length 33", nil},
		{"nil everything", SigRedDSASHA512, nil, nil, "", nil},
		{"ecdsa point off curve", SigECDSASHA384P384, bytes.Repeat([]byte{1}, 96), make([]byte, 96), "bad public key", nil},
		{"ecdsa zero sig", SigECDSASHA256P256, sigPubP256(t), make([]byte, 64), "", ErrBadSignature},
		{"rsa even modulus", SigRSASHA2562048, bytes.Repeat([]byte{0xfe}, 256), make([]byte, 256), "bad public key", nil},
		{"rsa short modulus", SigRSASHA2562048, append([]byte{0}, bytes.Repeat([]byte{0xff}, 255)...), make([]byte, 256), "bad public key", nil},
		{"dsa y zero", SigDSASHA1, make([]byte, 128), make([]byte, 40), "public key out of range", nil},
		{"dsa y = p", SigDSASHA1, i2pDSAGroup().p.FillBytes(make([]byte, 128)), make([]byte, 40), "public key out of range", nil},
		{"dsa r zero", SigDSASHA1, bytes.Repeat([]byte{2}, 128), make([]byte, 40), "", ErrBadSignature},
		{"ed25519 bad point", SigEdDSASHA512, bytes.Repeat([]byte{0xff}, 32), make([]byte, 64), "", ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.t, tc.pub, []byte("m"), tc.sig)
			if err == nil {
				t.Fatal("verified")
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if tc.is == nil && errors.Is(err, ErrBadSignature) {
				t.Errorf("malformed input reported as ErrBadSignature: %v", err)
			}
		})
	}
	if err := VerifyRSARawHash(SigEdDSASHA512, ed, make([]byte, 64), make([]byte, 64)); !errors.Is(err, ErrUnsupportedSigType) {
		t.Errorf("raw Ed25519: %v", err)
	}
	if err := VerifyRSARawHash(SigRSASHA5124096, make([]byte, 512), make([]byte, 32), make([]byte, 512)); err == nil ||
		!strings.Contains(err.Error(), "bad digest length 32") {
		t.Errorf("raw short digest: %v", err)
	}
}

func sigPubP256(t testing.TB) []byte {
	v := loadSigVectors(t, "rfc_vectors.txt")
	for _, r := range v {
		if r["type"] == "1" {
			return r.bytes(t, "pub")
		}
	}
	t.Fatal("no P-256 vector")
	return nil
}

// dsaTestSign is a test-only DSA-SHA1 signer over I2P's group (FIPS 186-4 §4.6).
func dsaTestSign(t testing.TB, x *big.Int, msg []byte) []byte {
	g := i2pDSAGroup()
	h := sigSHA1(msg)
	for {
		k, err := rand.Int(rand.Reader, g.q)
		if err != nil {
			t.Fatal(err)
		}
		if k.Sign() == 0 {
			continue
		}
		r := new(big.Int).Exp(g.g, k, g.p)
		r.Mod(r, g.q)
		s := new(big.Int).Mul(x, r)
		s.Add(s, new(big.Int).SetBytes(h)).Mul(s, new(big.Int).ModInverse(k, g.q)).Mod(s, g.q)
		if r.Sign() == 0 || s.Sign() == 0 {
			continue
		}
		sig := make([]byte, 40)
		r.FillBytes(sig[:20])
		s.FillBytes(sig[20:])
		return sig
	}
}

func TestDSARoundTrip(t *testing.T) {
	g := i2pDSAGroup()
	for i := range 4 {
		x, _ := rand.Int(rand.Reader, g.q)
		x.Add(x, big.NewInt(1)).Mod(x, g.q)
		pub := new(big.Int).Exp(g.g, x, g.p).FillBytes(make([]byte, 128))
		msg := []byte(strings.Repeat("DSA", i*100))
		sig := dsaTestSign(t, x, msg)
		verify := func(pub, msg, sig []byte) error { return Verify(SigDSASHA1, pub, msg, sig) }
		if err := verify(pub, msg, sig); err != nil {
			t.Fatal(err)
		}
		sigCheckRejects(t, verify, pub, msg, sig)
	}
}

func TestRSARoundTrip(t *testing.T) {
	types := []SigType{SigRSASHA2562048}
	if !testing.Short() {
		types = append(types, SigRSASHA3843072)
	}
	for _, st := range types {
		t.Run(st.String(), func(t *testing.T) {
			key, err := rsa.GenerateKey(rand.Reader, st.PubLen()*8)
			if err != nil {
				t.Fatal(err)
			}
			pub := key.N.FillBytes(make([]byte, st.PubLen()))
			h, _ := rsaHash(st)
			msg := []byte("su3 content")
			d := h.New()
			d.Write(msg)
			digest := d.Sum(nil)
			sig, err := rsa.SignPKCS1v15(nil, key, h, digest)
			if err != nil {
				t.Fatal(err)
			}
			verify := func(pub, msg, sig []byte) error { return Verify(st, pub, msg, sig) }
			if err := verify(pub, msg, sig); err != nil {
				t.Fatal(err)
			}
			sigCheckRejects(t, verify, pub, msg, sig)

			raw, err := rsa.SignPKCS1v15(nil, key, 0, digest)
			if err != nil {
				t.Fatal(err)
			}
			rawVerify := func(pub, digest, sig []byte) error { return VerifyRSARawHash(st, pub, digest, sig) }
			if err := rawVerify(pub, digest, raw); err != nil {
				t.Fatal(err)
			}
			sigCheckRejects(t, rawVerify, pub, digest, raw)
			if rawVerify(pub, digest, sig) == nil || verify(pub, msg, raw) == nil {
				t.Error("raw and standard signatures interchangeable")
			}
		})
	}
}

// TestECDSARoundTrip checks the X||Y and R||S encodings, including the
// left padding of short values, on keys and signatures from crypto/ecdsa.
func TestECDSARoundTrip(t *testing.T) {
	for _, tc := range []struct {
		st    SigType
		curve elliptic.Curve
		hash  crypto.Hash
	}{
		{SigECDSASHA256P256, elliptic.P256(), crypto.SHA256},
		{SigECDSASHA384P384, elliptic.P384(), crypto.SHA384},
		{SigECDSASHA512P521, elliptic.P521(), crypto.SHA512},
	} {
		t.Run(tc.st.String(), func(t *testing.T) {
			n := tc.st.PubLen() / 2
			for i := range 8 {
				key, err := ecdsa.GenerateKey(tc.curve, rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				raw, err := key.PublicKey.Bytes() // 04 || X || Y
				if err != nil {
					t.Fatal(err)
				}
				pub := raw[1:]
				msg := bytes.Repeat([]byte{byte(i)}, i*50)
				d := tc.hash.New()
				d.Write(msg)
				r, s, err := ecdsa.Sign(rand.Reader, key, d.Sum(nil))
				if err != nil {
					t.Fatal(err)
				}
				sig := make([]byte, 2*n)
				r.FillBytes(sig[:n])
				s.FillBytes(sig[n:])
				verify := func(pub, msg, sig []byte) error { return Verify(tc.st, pub, msg, sig) }
				if err := verify(pub, msg, sig); err != nil {
					t.Fatal(err)
				}
				sigCheckRejects(t, verify, pub, msg, sig)
			}
		})
	}
}

func sigSHA1(b []byte) []byte {
	h := sha1.Sum(b)
	return h[:]
}

func BenchmarkVerifyEd25519(b *testing.B) {
	s := sigMustSigner(b, SigEdDSASHA512, bytes.Repeat([]byte{3}, 32))
	msg := make([]byte, 512)
	sig, _ := s.Sign(msg)
	pub := s.Public()
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(SigEdDSASHA512, pub, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}
