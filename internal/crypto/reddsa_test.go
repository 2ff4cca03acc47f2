package crypto

import (
	"bytes"
	"crypto/sha512"
	"errors"
	"testing"

	"filippo.io/edwards25519"
	"pgregory.net/rapid"
)

// verifyRed25519Spec is VERIFY exactly as red25519.rst writes it: the
// personalized HStar (with the 2-byte little-endian message length) and the
// cofactored equation. No router deploys this transcript (see reddsa.go);
// it exists to check the spec's test vectors, which are signed with it.
func verifyRed25519Spec(pub, msg, sig []byte) error {
	if len(pub) != 32 || len(sig) != 64 || len(msg) > 65534 {
		return errors.New("bad lengths")
	}
	a, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return ErrBadSignature
	}
	r, err := new(edwards25519.Point).SetBytes(sig[:32])
	if err != nil {
		return ErrBadSignature
	}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:])
	if err != nil {
		return ErrBadSignature
	}
	h := sha512.New()
	h.Write([]byte("I2P_Red25519H(x)"))
	h.Write(sig[:32])
	h.Write(a.Bytes())
	h.Write([]byte{byte(len(msg)), byte(len(msg) >> 8)})
	h.Write(msg)
	c, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	// (-[S]B) + R + [c]A, multiplied by the cofactor, must be the identity.
	p := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(c, a, edwards25519.NewScalar().Negate(s))
	p.Add(p, r).MultByCofactor(p)
	if p.Equal(edwards25519.NewIdentityPoint()) != 1 {
		return ErrBadSignature
	}
	return nil
}

func sigReducedScalar(t testing.TB, b []byte) *edwards25519.Scalar {
	t.Helper()
	s, err := redDSAScalar(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sigMustSigner(t testing.TB, st SigType, priv []byte) Signer {
	t.Helper()
	s, err := NewSigner(st, priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRed25519Vectors checks the ten red25519.rst vectors: the key
// conversion and randomization (the blinding arithmetic) must match exactly,
// and every signature must verify under the spec transcript and fail after
// a one-bit change. The same signatures must fail under the deployed
// transcript, which pins the divergence documented in reddsa.go.
func TestRed25519Vectors(t *testing.T) {
	for _, v := range loadSigVectors(t, "red25519.txt") {
		t.Run("vector "+v["vector"], func(t *testing.T) {
			edsk, edpk := v.bytes(t, "edsk"), v.bytes(t, "edpk")
			sk, vk, msg := v.bytes(t, "sk"), v.bytes(t, "vk"), v.bytes(t, "msg")
			alphaB, rsk, rvk := v.bytes(t, "alpha"), v.bytes(t, "rsk"), v.bytes(t, "rvk")

			if got := sigMustSigner(t, SigEdDSASHA512, edsk).Public(); !bytes.Equal(got, edpk) {
				t.Errorf("Ed25519 public %x, want %x", got, edpk)
			}
			// CONVERT_ED25519_PRIVATE yields sk before reduction mod L.
			if ed25519Scalar(edsk).Equal(sigReducedScalar(t, sk)) != 1 {
				t.Error("CONVERT_ED25519_PRIVATE mismatch")
			}
			if got := sigMustSigner(t, SigRedDSASHA512, sk).Public(); !bytes.Equal(got, vk) {
				t.Errorf("DERIVE_PUBLIC(sk) %x, want %x", got, vk)
			}

			alpha, err := edwards25519.NewScalar().SetCanonicalBytes(alphaB)
			if err != nil {
				t.Fatalf("alpha not canonical: %v", err)
			}
			if got := blindScalar(sigReducedScalar(t, sk), alpha).Bytes(); !bytes.Equal(got, rsk) {
				t.Errorf("RANDOMIZE_PRIVATE %x, want %x", got, rsk)
			}
			vkPoint, err := new(edwards25519.Point).SetBytes(vk)
			if err != nil {
				t.Fatal(err)
			}
			if got := blindPoint(vkPoint, alpha).Bytes(); !bytes.Equal(got, rvk) {
				t.Errorf("RANDOMIZE_PUBLIC %x, want %x", got, rvk)
			}
			rs := sigMustSigner(t, SigRedDSASHA512, rsk)
			if !bytes.Equal(rs.Public(), rvk) || !bytes.Equal(rs.Private(), rsk) {
				t.Errorf("signer(rsk) public %x private %x", rs.Public(), rs.Private())
			}

			for _, kv := range []struct{ pub, sig []byte }{{vk, v.bytes(t, "sig")}, {rvk, v.bytes(t, "rsig")}} {
				if err := verifyRed25519Spec(kv.pub, msg, kv.sig); err != nil {
					t.Fatalf("spec verify: %v", err)
				}
				sigCheckRejects(t, verifyRed25519Spec, kv.pub, msg, kv.sig)
				if err := Verify(SigRedDSASHA512, kv.pub, msg, kv.sig); !errors.Is(err, ErrBadSignature) {
					t.Errorf("spec-transcript signature under the deployed transcript: %v", err)
				}
			}

			// Our signatures with the vector's randomized key verify under
			// the deployed transcript (and so not under the spec's).
			sig, err := rs.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(SigRedDSASHA512, rvk, msg, sig); err != nil {
				t.Errorf("own signature: %v", err)
			}
			if verifyRed25519Spec(rvk, msg, sig) == nil {
				t.Error("deployed-transcript signature passed the spec transcript")
			}
		})
	}
}

// TestRedDSASignKnownAnswers checks signing against answers computed
// independently for fixed nonces T (testdata/reddsa_sign.txt).
func TestRedDSASignKnownAnswers(t *testing.T) {
	for i, v := range loadSigVectors(t, "reddsa_sign.txt") {
		sk, pub, msg, want := v.bytes(t, "sk"), v.bytes(t, "pub"), v.bytes(t, "msg"), v.bytes(t, "sig")
		var nonce [redDSANonceLen]byte
		if copy(nonce[:], v.bytes(t, "T")) != redDSANonceLen {
			t.Fatalf("vector %d: T not %d bytes", i, redDSANonceLen)
		}
		s := sigMustSigner(t, SigRedDSASHA512, sk)
		if !bytes.Equal(s.Public(), pub) {
			t.Fatalf("vector %d: public %x, want %x", i, s.Public(), pub)
		}
		if got := redDSASign(sigReducedScalar(t, sk), pub, &nonce, msg); !bytes.Equal(got, want) {
			t.Errorf("vector %d: sig %x, want %x", i, got, want)
		}
		verify := func(pub, msg, sig []byte) error { return Verify(SigRedDSASHA512, pub, msg, sig) }
		if err := verify(pub, msg, want); err != nil {
			t.Errorf("vector %d: %v", i, err)
		}
		sigCheckRejects(t, verify, pub, msg, want)
	}
}

func TestRedDSANonceFresh(t *testing.T) {
	s := sigMustSigner(t, SigRedDSASHA512, bytes.Repeat([]byte{7}, 32))
	a, _ := s.Sign([]byte("m"))
	b, _ := s.Sign([]byte("m"))
	if bytes.Equal(a[:32], b[:32]) {
		t.Fatal("two signatures share R: nonce reused")
	}
}

func TestSignerErrors(t *testing.T) {
	tests := []struct {
		name string
		t    SigType
		priv []byte
		is   error
	}{
		{"ed25519 short", SigEdDSASHA512, make([]byte, 31), nil},
		{"ed25519 expanded", SigEdDSASHA512, make([]byte, 64), nil},
		{"reddsa short", SigRedDSASHA512, make([]byte, 31), nil},
		{"reddsa zero", SigRedDSASHA512, make([]byte, 32), nil},
		// L itself is zero mod L.
		{"reddsa L", SigRedDSASHA512, sigOrderL(), nil},
		{"dsa zero", SigDSASHA1, make([]byte, 20), nil},
		{"rsa", SigRSASHA2562048, make([]byte, 512), ErrUnsupportedSigType},
		{"ed25519ph", SigEdDSASHA512ph, make([]byte, 32), ErrUnsupportedSigType},
		{"gost", 9, make([]byte, 32), ErrUnknownSigType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSigner(tc.t, tc.priv)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%v is not %v", err, tc.is)
			}
		})
	}
	if _, err := GenerateSigner(SigRSASHA2562048, bytes.NewReader(make([]byte, 64))); !errors.Is(err, ErrUnsupportedSigType) {
		t.Errorf("generate RSA: %v", err)
	}
	if _, err := GenerateSigner(SigRedDSASHA512, bytes.NewReader(make([]byte, 10))); err == nil {
		t.Error("short reader accepted")
	}
}

// sigOrderL returns L, little-endian.
func sigOrderL() []byte {
	// L = 2^252 + 27742317777372353535851937790883648493
	return []byte{
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	}
}

// TestRapidSignVerify: for Ed25519 and RedDSA, keys from any bytes sign
// messages that verify, reload from Private, and fail on a changed message.
func TestRapidSignVerify(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		st := rapid.SampledFrom([]SigType{SigEdDSASHA512, SigRedDSASHA512}).Draw(t, "type")
		entropy := rapid.SliceOfN(rapid.Byte(), 64, 64).Draw(t, "entropy")
		msg := rapid.SliceOfN(rapid.Byte(), 0, 2048).Draw(t, "msg")
		s, err := GenerateSigner(st, bytes.NewReader(entropy))
		if err != nil {
			t.Fatal(err)
		}
		sig, err := s.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(sig) != st.SigLen() || len(s.Public()) != st.PubLen() || len(s.Private()) != st.PrivLen() {
			t.Fatalf("lengths sig %d pub %d priv %d", len(sig), len(s.Public()), len(s.Private()))
		}
		if err := Verify(st, s.Public(), msg, sig); err != nil {
			t.Fatal(err)
		}
		if err := Verify(st, s.Public(), append(msg, 0), sig); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("extended message: %v", err)
		}
		again, err := NewSigner(st, s.Private())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Public(), s.Public()) {
			t.Fatal("reloaded key differs")
		}
		// Type 7 and 11 share Ed25519's verification equation.
		other := SigEdDSASHA512 + SigRedDSASHA512 - st
		if err := Verify(other, s.Public(), msg, sig); err != nil {
			t.Fatalf("as %v: %v", other, err)
		}
	})
}

// TestRedDSAUnreducedKey: a converted (clamped, unreduced) Ed25519 scalar is
// accepted and Private returns its canonical form.
func TestRedDSAUnreducedKey(t *testing.T) {
	v := loadSigVectors(t, "red25519.txt")[0]
	sk := v.bytes(t, "sk")
	s := sigMustSigner(t, SigRedDSASHA512, sk)
	if bytes.Equal(s.Private(), sk) {
		t.Fatal("vector sk is already reduced; test is moot")
	}
	if _, err := edwards25519.NewScalar().SetCanonicalBytes(s.Private()); err != nil {
		t.Fatalf("Private not canonical: %v", err)
	}
	if !bytes.Equal(sigMustSigner(t, SigRedDSASHA512, s.Private()).Public(), s.Public()) {
		t.Fatal("canonical key has another public key")
	}
}

func BenchmarkSignRedDSA(b *testing.B) {
	s := sigMustSigner(b, SigRedDSASHA512, bytes.Repeat([]byte{3}, 32))
	msg := make([]byte, 512)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRedDSA(b *testing.B) {
	s := sigMustSigner(b, SigRedDSASHA512, bytes.Repeat([]byte{3}, 32))
	msg := make([]byte, 512)
	sig, _ := s.Sign(msg)
	pub := s.Public()
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(SigRedDSASHA512, pub, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}
