package data

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"pgregory.net/rapid"
)

func TestCertificateKnownAnswers(t *testing.T) {
	tests := []struct {
		name   string
		cert   Certificate
		want   []byte
		st     crypto.SigType
		et     crypto.EncType
		String string
	}{
		{"NULL", Certificate{Type: CertNull}, []byte{0, 0, 0},
			crypto.SigDSASHA1, crypto.EncElGamal, "cert(type=0,len=0)"},
		// The key certificate of every current router identity.
		{"KEY Ed25519/X25519 router", NewKeyCertificate(crypto.SigEdDSASHA512, crypto.EncX25519, nil),
			[]byte{0x05, 0x00, 0x04, 0x00, 0x07, 0x00, 0x04},
			crypto.SigEdDSASHA512, crypto.EncX25519, "KEY(EdDSA_SHA512_Ed25519,X25519)"},
		// And of every current destination (ElGamal field unused).
		{"KEY Ed25519/ElGamal destination", NewKeyCertificate(crypto.SigEdDSASHA512, crypto.EncElGamal, nil),
			[]byte{0x05, 0x00, 0x04, 0x00, 0x07, 0x00, 0x00},
			crypto.SigEdDSASHA512, crypto.EncElGamal, "KEY(EdDSA_SHA512_Ed25519,ElGamal)"},
		{"KEY P521 with excess", NewKeyCertificate(crypto.SigECDSASHA512P521, crypto.EncElGamal, []byte{1, 2, 3, 4}),
			[]byte{0x05, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 1, 2, 3, 4},
			crypto.SigECDSASHA512P521, crypto.EncElGamal, "KEY(ECDSA_SHA512_P521,ElGamal)"},
		{"HIDDEN", Certificate{Type: CertHidden}, []byte{2, 0, 0},
			crypto.SigDSASHA1, crypto.EncElGamal, "cert(type=2,len=0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cert.Append([]byte{0xaa})
			if !bytes.Equal(got[1:], tt.want) || got[0] != 0xaa {
				t.Fatalf("Append = %x, want aa%x", got, tt.want)
			}
			if tt.cert.Len() != len(tt.want) {
				t.Fatalf("Len = %d, want %d", tt.cert.Len(), len(tt.want))
			}
			c, rest, err := ParseCertificate(append(slices.Clone(tt.want), 0xbb))
			if err != nil || !bytes.Equal(rest, []byte{0xbb}) {
				t.Fatalf("ParseCertificate: rest %x, err %v", rest, err)
			}
			if c.Type != tt.cert.Type || !bytes.Equal(c.Payload, tt.cert.Payload) {
				t.Fatalf("parsed %v, want %v", c, tt.cert)
			}
			if st, et := c.KeyTypes(); st != tt.st || et != tt.et {
				t.Fatalf("KeyTypes = %v, %v; want %v, %v", st, et, tt.st, tt.et)
			}
			if c.String() != tt.String {
				t.Fatalf("String = %q, want %q", c.String(), tt.String)
			}
		})
	}
}

func TestParseCertificateErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"type only", []byte{5}, ErrTruncated},
		{"half a length", []byte{5, 0}, ErrTruncated},
		{"payload short", []byte{5, 0, 4, 0, 7, 0}, ErrTruncated},
		{"NULL with payload", []byte{0, 0, 1, 0}, ErrInvalid},
		{"KEY without payload", []byte{5, 0, 0}, ErrInvalid},
		{"KEY with 3 bytes", []byte{5, 0, 3, 0, 7, 0}, ErrInvalid},
		{"unknown type 6", []byte{6, 0, 0}, ErrInvalid},
		{"unknown type 255", []byte{255, 0, 1, 0}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rest, err := ParseCertificate(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseCertificate(%x) = %v, %x, %v; want %v", tt.in, c, rest, err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Struct != "Certificate" {
				t.Fatalf("error %v is not a Certificate ParseError", err)
			}
		})
	}
}

func TestCertificateDeprecatedTypesParse(t *testing.T) {
	for _, ct := range []CertType{CertHashcash, CertHidden, CertSigned, CertMultiple} {
		c := Certificate{Type: ct, Payload: []byte("0:1:2")}
		got, _, err := ParseCertificate(c.Append(nil))
		if err != nil || got.Type != ct {
			t.Errorf("type %d: %v, %v", ct, got, err)
		}
		if st, et := got.KeyTypes(); st != crypto.SigDSASHA1 || et != crypto.EncElGamal {
			t.Errorf("type %d: KeyTypes = %v, %v", ct, st, et)
		}
	}
}

func TestCertificateTruncatedPrefixes(t *testing.T) {
	for _, c := range []Certificate{
		{Type: CertNull},
		NewKeyCertificate(crypto.SigEdDSASHA512, crypto.EncX25519, nil),
		NewKeyCertificate(crypto.SigRSASHA5124096, crypto.EncElGamal, make([]byte, 384)),
	} {
		enc := c.Append(nil)
		for n := range len(enc) {
			if _, _, err := ParseCertificate(enc[:n]); !errors.Is(err, ErrTruncated) {
				t.Fatalf("%v: %d-byte prefix: %v, want ErrTruncated", c, n, err)
			}
		}
	}
}

func genCertificate(t *rapid.T) Certificate {
	ct := CertType(rapid.IntRange(0, 5).Draw(t, "type"))
	var payload []byte
	switch ct {
	case CertNull:
	case CertKey:
		payload = rapid.SliceOfN(rapid.Byte(), 4, 600).Draw(t, "payload")
	default:
		payload = rapid.SliceOfN(rapid.Byte(), 0, 600).Draw(t, "payload")
	}
	return Certificate{Type: ct, Payload: payload}
}

func TestCertificateRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCertificate(t)
		trailer := rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "trailer")
		enc := c.Append(nil)
		if len(enc) != c.Len() {
			t.Fatalf("Append wrote %d bytes, Len says %d", len(enc), c.Len())
		}
		got, rest, err := ParseCertificate(append(slices.Clone(enc), trailer...))
		if err != nil {
			t.Fatalf("ParseCertificate: %v", err)
		}
		if got.Type != c.Type || !bytes.Equal(got.Payload, c.Payload) || !bytes.Equal(rest, trailer) {
			t.Fatalf("got %v rest %x, want %v rest %x", got, rest, c, trailer)
		}
		if !bytes.Equal(got.Append(nil), enc) {
			t.Fatal("re-encoding differs")
		}
	})
}
