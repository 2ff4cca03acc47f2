package crypto

import (
	"crypto/rand"
	"testing"
)

func TestLegacySigners(t *testing.T) {
	for _, st := range []SigType{SigDSASHA1, SigECDSASHA256P256, SigECDSASHA384P384, SigECDSASHA512P521} {
		t.Run(st.String(), func(t *testing.T) {
			s, err := GenerateSigner(st, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Public()) != st.PubLen() || len(s.Private()) != st.PrivLen() {
				t.Fatalf("lengths %d/%d", len(s.Public()), len(s.Private()))
			}
			msg := []byte("sign me")
			sig, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(st, s.Public(), msg, sig); err != nil {
				t.Fatal(err)
			}
			if Verify(st, s.Public(), []byte("other"), sig) == nil {
				t.Fatal("verified another message")
			}
			s2, err := NewSigner(st, s.Private())
			if err != nil {
				t.Fatal(err)
			}
			if string(s2.Public()) != string(s.Public()) {
				t.Fatal("reloaded key has another public key")
			}
			sig2, _ := s2.Sign(msg)
			if err := Verify(st, s.Public(), msg, sig2); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := GenerateSigner(SigRSASHA2562048, rand.Reader); err == nil {
		t.Fatal("RSA signer generated")
	}
	if _, err := NewSigner(SigDSASHA1, make([]byte, 20)); err == nil {
		t.Fatal("zero DSA key accepted")
	}
}
