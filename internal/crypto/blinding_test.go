package crypto

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestBlindingKnownAnswers checks GENERATE_ALPHA, BLIND_PRIVKEY,
// BLIND_PUBKEY, credential and subcredential against answers computed with
// an independent implementation (testdata/blinding.txt). The blinding
// arithmetic alone is also pinned by the red25519.rst vectors in
// TestRed25519Vectors.
func TestBlindingKnownAnswers(t *testing.T) {
	for i, v := range loadSigVectors(t, "blinding.txt") {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			st := v.sigType(t)
			priv, pub := v.bytes(t, "priv"), v.bytes(t, "pub")
			date, secret := v["date"], string(v.bytes(t, "secret"))
			const bt = SigRedDSASHA512

			if got := sigMustSigner(t, st, priv).Public(); !bytes.Equal(got, pub) {
				t.Fatalf("public %x, want %x", got, pub)
			}
			alpha, err := GenerateAlpha(st, pub, bt, date, secret)
			if err != nil || !bytes.Equal(alpha, v.bytes(t, "alpha")) {
				t.Errorf("alpha %x (%v), want %s", alpha, err, v["alpha"])
			}
			bpriv, err := BlindPrivateKey(st, priv, bt, date, secret)
			if err != nil || !bytes.Equal(bpriv, v.bytes(t, "blindedPriv")) {
				t.Errorf("blinded private %x (%v), want %s", bpriv, err, v["blindedPriv"])
			}
			bpub, err := BlindPublicKey(st, pub, bt, date, secret)
			if err != nil || !bytes.Equal(bpub, v.bytes(t, "blindedPub")) {
				t.Errorf("blinded public %x (%v), want %s", bpub, err, v["blindedPub"])
			}
			cred, err := Credential(st, pub, bt)
			if err != nil || !bytes.Equal(cred[:], v.bytes(t, "credential")) {
				t.Errorf("credential %x (%v), want %s", cred, err, v["credential"])
			}
			sub, err := Subcredential(cred, bpub)
			if err != nil || !bytes.Equal(sub[:], v.bytes(t, "subcredential")) {
				t.Errorf("subcredential %x (%v), want %s", sub, err, v["subcredential"])
			}

			// The blinded key pair signs and verifies as RedDSA.
			bs := sigMustSigner(t, bt, bpriv)
			if !bytes.Equal(bs.Public(), bpub) {
				t.Fatalf("DERIVE_PUBLIC(a') %x, want A' %x", bs.Public(), bpub)
			}
			msg := []byte("encrypted LeaseSet2 outer layer")
			sig, _ := bs.Sign(msg)
			if err := Verify(bt, bpub, msg, sig); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBlindingErrors(t *testing.T) {
	ed := sigMustSigner(t, SigEdDSASHA512, bytes.Repeat([]byte{1}, 32))
	pub, priv := ed.Public(), ed.Private()
	tests := []struct {
		name        string
		st, bt      SigType
		key         []byte
		date        string
		unsupported bool
	}{
		{"ecdsa source", SigECDSASHA256P256, SigRedDSASHA512, make([]byte, 64), "20260101", true},
		{"blind to ed25519", SigEdDSASHA512, SigEdDSASHA512, pub, "20260101", true},
		{"unknown type", 9, SigRedDSASHA512, pub, "20260101", true},
		{"short date", SigEdDSASHA512, SigRedDSASHA512, pub, "2026011", false},
		{"iso date", SigEdDSASHA512, SigRedDSASHA512, pub, "2026-01-01", false},
		{"month 13", SigEdDSASHA512, SigRedDSASHA512, pub, "20261301", false},
		{"feb 30", SigEdDSASHA512, SigRedDSASHA512, pub, "20260230", false},
		{"signs", SigEdDSASHA512, SigRedDSASHA512, pub, "+2026010", false},
		{"short key", SigEdDSASHA512, SigRedDSASHA512, pub[:31], "20260101", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				if err == nil {
					t.Errorf("%s: accepted", what)
				} else if tc.unsupported != errors.Is(err, ErrUnsupportedSigType) {
					t.Errorf("%s: %v", what, err)
				}
			}
			_, err := GenerateAlpha(tc.st, tc.key, tc.bt, tc.date, "")
			check("alpha", err)
			_, err = BlindPublicKey(tc.st, tc.key, tc.bt, tc.date, "")
			check("public", err)
			k := priv
			if len(tc.key) != len(pub) {
				k = tc.key
			}
			_, err = BlindPrivateKey(tc.st, k, tc.bt, tc.date, "")
			check("private", err)
		})
	}
	// A y-coordinate with no point on the curve.
	bad := make([]byte, 32)
	bad[0] = 2
	if _, err := BlindPublicKey(SigRedDSASHA512, bad, SigRedDSASHA512, "20260101", ""); err == nil ||
		!strings.Contains(err.Error(), "bad public key") {
		t.Errorf("off-curve key: %v", err)
	}
	if _, err := Credential(SigEdDSASHA512, pub[:31], SigRedDSASHA512); err == nil {
		t.Error("credential: short key accepted")
	}
	if _, err := Subcredential([32]byte{}, pub[:31]); err == nil {
		t.Error("subcredential: short key accepted")
	}
}

func TestBlindingDate(t *testing.T) {
	// 23:30 on 31 Dec in UTC-5 is already 1 Jan in UTC.
	at := time.Date(2025, 12, 31, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))
	if got := BlindingDate(at); got != "20260101" {
		t.Fatalf("BlindingDate = %q", got)
	}
}

// TestRapidBlinding: for random keys, dates and secrets, the owner's blinded
// private key and a client's blinded public key agree, signatures by the
// former verify under the latter, and a different day or secret yields a
// different key.
func TestRapidBlinding(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		st := rapid.SampledFrom([]SigType{SigEdDSASHA512, SigRedDSASHA512}).Draw(t, "type")
		s, err := GenerateSigner(st, bytes.NewReader(rapid.SliceOfN(rapid.Byte(), 64, 64).Draw(t, "entropy")))
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rapid.IntRange(0, 40000).Draw(t, "day"))
		date := BlindingDate(day)
		secret := rapid.String().Draw(t, "secret")

		bpriv, err := BlindPrivateKey(st, s.Private(), SigRedDSASHA512, date, secret)
		if err != nil {
			t.Fatal(err)
		}
		bpub, err := BlindPublicKey(st, s.Public(), SigRedDSASHA512, date, secret)
		if err != nil {
			t.Fatal(err)
		}
		bs, err := NewSigner(SigRedDSASHA512, bpriv)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bs.Public(), bpub) {
			t.Fatalf("DERIVE_PUBLIC(a') %x != A' %x", bs.Public(), bpub)
		}
		msg := rapid.SliceOf(rapid.Byte()).Draw(t, "msg")
		sig, _ := bs.Sign(msg)
		if err := Verify(SigRedDSASHA512, bpub, msg, sig); err != nil {
			t.Fatal(err)
		}
		if Verify(st, s.Public(), msg, sig) == nil {
			t.Fatal("blinded signature verified under the unblinded key")
		}
		next, _ := BlindPublicKey(st, s.Public(), SigRedDSASHA512, BlindingDate(day.AddDate(0, 0, 1)), secret)
		other, _ := BlindPublicKey(st, s.Public(), SigRedDSASHA512, date, secret+"x")
		if bytes.Equal(next, bpub) || bytes.Equal(other, bpub) {
			t.Fatal("blinded key did not change with the date or secret")
		}
	})
}
