package data

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"pgregory.net/rapid"
)

// seededReader is a deterministic io.Reader for keys and padding in tests.
func seededReader(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return mrand.NewChaCha8(s)
}

func randBytes(r io.Reader, n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		panic(err)
	}
	return b
}

// knownSigTypes and knownEncTypes list every type code the crypto
// registry knows.
func knownSigTypes() []crypto.SigType {
	var ts []crypto.SigType
	for t := range 1 << 16 {
		if crypto.SigType(t).Known() {
			ts = append(ts, crypto.SigType(t))
		}
	}
	return ts
}

func knownEncTypes() []crypto.EncType {
	var ts []crypto.EncType
	for t := range 1 << 16 {
		if crypto.EncType(t).Known() {
			ts = append(ts, crypto.EncType(t))
		}
	}
	return ts
}

// TestKeysAndCertSpecLayouts follows the table "Example layouts using an
// ElGamal Crypto Public Key" in common-structures.rst, Key Certificates.
func TestKeysAndCertSpecLayouts(t *testing.T) {
	tests := []struct {
		st              crypto.SigType
		padding, excess int
	}{
		{crypto.SigDSASHA1, 0, 0},
		{crypto.SigECDSASHA256P256, 64, 0},
		{crypto.SigECDSASHA384P384, 32, 0},
		{crypto.SigECDSASHA512P521, 0, 4},
		{crypto.SigRSASHA2562048, 0, 128},
		{crypto.SigRSASHA3843072, 0, 256},
		{crypto.SigRSASHA5124096, 0, 384},
		{crypto.SigEdDSASHA512, 96, 0},
		{crypto.SigEdDSASHA512ph, 96, 0},
	}
	for _, tt := range tests {
		t.Run(tt.st.String(), func(t *testing.T) {
			r := seededReader(byte(tt.st))
			enc, sig := randBytes(r, 256), randBytes(r, tt.st.PubLen())
			k, err := NewKeysAndCert(crypto.EncElGamal, enc, tt.st, sig, r)
			if err != nil {
				t.Fatal(err)
			}
			raw := k.Bytes()
			inBody := min(len(sig), 128)
			wantCert := []byte{0, 0, 0} // DSA/ElGamal keeps the NULL certificate
			if tt.st != crypto.SigDSASHA1 {
				n := 4 + tt.excess
				wantCert = append([]byte{5, byte(n >> 8), byte(n), 0, byte(tt.st), 0, 0}, sig[inBody:]...)
			}
			if want := 384 + len(wantCert); k.Len() != want || len(raw) != want {
				t.Fatalf("Len = %d, want %d", k.Len(), want)
			}
			if !bytes.Equal(raw[384:], wantCert) {
				t.Fatalf("certificate %x, want %x", raw[384:], wantCert)
			}
			if !bytes.Equal(raw[:256], enc) {
				t.Fatal("encryption key is not at the start")
			}
			if !bytes.Equal(raw[384-inBody:384], sig[:inBody]) {
				t.Fatal("signing key (first part) is not at the end of the 384 bytes")
			}
			if got := len(sig) - inBody; got != tt.excess {
				t.Fatalf("excess %d, want %d", got, tt.excess)
			}
			if got := 128 - inBody; got != tt.padding {
				t.Fatalf("padding %d, want %d", got, tt.padding)
			}
			if k.SigType() != tt.st || k.EncType() != crypto.EncElGamal ||
				!bytes.Equal(k.SigningPublicKey(), sig) || !bytes.Equal(k.EncryptionPublicKey(), enc) {
				t.Fatalf("keys or types differ: %v %v", k.SigType(), k.EncType())
			}
		})
	}
}

// TestKeysAndCertHandBuilt parses layouts assembled byte by byte, without
// NewKeysAndCert.
func TestKeysAndCertHandBuilt(t *testing.T) {
	r := seededReader(1)
	elg, x25519 := randBytes(r, 256), randBytes(r, 32)
	p521, rsa4096, dsa := randBytes(r, 132), randBytes(r, 512), randBytes(r, 128)
	pad := randBytes(r, 224)
	cat := func(parts ...[]byte) []byte { return slices.Concat(parts...) }
	tests := []struct {
		name     string
		raw      []byte
		st       crypto.SigType
		et       crypto.EncType
		sig, enc []byte
	}{
		{"DSA/ElGamal NULL cert is 387 bytes", cat(elg, dsa, []byte{0, 0, 0}),
			crypto.SigDSASHA1, crypto.EncElGamal, dsa, elg},
		{"P521 4 excess bytes", cat(elg, p521[:128], []byte{5, 0, 8, 0, 3, 0, 0}, p521[128:]),
			crypto.SigECDSASHA512P521, crypto.EncElGamal, p521, elg},
		{"P521 with X25519", cat(x25519, pad, p521[:128], []byte{5, 0, 8, 0, 3, 0, 4}, p521[128:]),
			crypto.SigECDSASHA512P521, crypto.EncX25519, p521, x25519},
		{"RSA-4096 384 excess bytes", cat(elg, rsa4096[:128], []byte{5, 0x01, 0x84, 0, 6, 0, 0}, rsa4096[128:]),
			crypto.SigRSASHA5124096, crypto.EncElGamal, rsa4096, elg},
		{"KEY cert declaring DSA/ElGamal", cat(elg, dsa, []byte{5, 0, 4, 0, 0, 0, 0}),
			crypto.SigDSASHA1, crypto.EncElGamal, dsa, elg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, rest, err := ParseKeysAndCert(append(slices.Clone(tt.raw), 0xcc))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rest, []byte{0xcc}) || !bytes.Equal(k.Bytes(), tt.raw) || k.Len() != len(tt.raw) {
				t.Fatalf("Bytes/rest wrong: len %d rest %x", k.Len(), rest)
			}
			if k.SigType() != tt.st || k.EncType() != tt.et {
				t.Fatalf("types %v/%v, want %v/%v", k.SigType(), k.EncType(), tt.st, tt.et)
			}
			if !bytes.Equal(k.SigningPublicKey(), tt.sig) || !bytes.Equal(k.EncryptionPublicKey(), tt.enc) {
				t.Fatal("keys differ")
			}
			if k.Hash() != sha256.Sum256(tt.raw) {
				t.Fatal("Hash is not SHA-256 of the bytes")
			}
			for n := range len(tt.raw) {
				if _, _, err := ParseKeysAndCert(tt.raw[:n]); !errors.Is(err, ErrTruncated) {
					t.Fatalf("%d-byte prefix: %v, want ErrTruncated", n, err)
				}
			}
		})
	}
}

func TestParseKeysAndCertErrors(t *testing.T) {
	body := randBytes(seededReader(2), 384)
	kac := func(cert ...byte) []byte { return append(slices.Clone(body), cert...) }
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"Ed25519 with 1 excess byte", kac(5, 0, 5, 0, 7, 0, 4, 9), ErrInvalid},
		{"P521 with 3 excess bytes", kac(5, 0, 7, 0, 3, 0, 0, 1, 2, 3), ErrInvalid},
		{"P521 with 5 excess bytes", kac(5, 0, 9, 0, 3, 0, 0, 1, 2, 3, 4, 5), ErrInvalid},
		{"RSA-4096 without excess", kac(5, 0, 4, 0, 6, 0, 0), ErrInvalid},
		{"reserved GOST sig type 9", kac(5, 0, 4, 0, 9, 0, 4), ErrInvalid},
		{"sig type 65535", kac(5, 0, 4, 0xff, 0xff, 0, 4), ErrInvalid},
		{"enc type 8", kac(5, 0, 4, 0, 7, 0, 8), ErrInvalid},
		{"enc type 65535", kac(5, 0, 4, 0, 7, 0xff, 0xff), ErrInvalid},
		{"NULL cert with payload", kac(0, 0, 1, 0), ErrInvalid},
		{"unknown cert type", kac(7, 0, 0), ErrInvalid},
		{"KEY cert too short", kac(5, 0, 2, 0, 7), ErrInvalid},
		{"certificate missing", kac(), ErrTruncated},
		{"body short", body[:383], ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, _, err := ParseKeysAndCert(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseKeysAndCert = %v, want %v", err, tt.want)
			}
			if !k.IsZero() {
				t.Fatal("failed parse returned a non-zero KeysAndCert")
			}
		})
	}
}

// TestKeysAndCertProposal161 checks the padding of proposal 161: one
// 32-byte random block repeated, 10 times in an X25519/Ed25519 router
// identity and 11 times in an Ed25519 destination whose ElGamal field is
// unused.
func TestKeysAndCertProposal161(t *testing.T) {
	sig := randBytes(seededReader(3), 32)
	tests := []struct {
		name     string
		et       crypto.EncType
		enc      []byte
		padStart int
		copies   int
		cert     []byte
	}{
		{"router identity", crypto.EncX25519, randBytes(seededReader(4), 32), 32, 10,
			[]byte{0x05, 0x00, 0x04, 0x00, 0x07, 0x00, 0x04}},
		{"destination", crypto.EncElGamal, nil, 0, 11,
			[]byte{0x05, 0x00, 0x04, 0x00, 0x07, 0x00, 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := seededReader(5)
			k, err := NewKeysAndCert(tt.et, tt.enc, crypto.SigEdDSASHA512, sig, r)
			if err != nil {
				t.Fatal(err)
			}
			raw := k.Bytes()
			block := randBytes(seededReader(5), 32) // what the reader gave first
			want := bytes.Repeat(block, tt.copies)
			if got := raw[tt.padStart:352]; !bytes.Equal(got, want) {
				t.Fatalf("padding is not %d copies of the random block:\n%x", tt.copies, got)
			}
			if !bytes.Equal(raw[352:384], sig) || !bytes.Equal(raw[384:], tt.cert) || len(raw) != 391 {
				t.Fatalf("key or certificate wrong: %x", raw[352:])
			}
			if tt.enc != nil && !bytes.Equal(raw[:32], tt.enc) {
				t.Fatal("X25519 key not at the start")
			}
			other, _ := NewKeysAndCert(tt.et, tt.enc, crypto.SigEdDSASHA512, sig, seededReader(6))
			if bytes.Equal(other.Bytes(), raw) {
				t.Fatal("padding does not depend on the random reader")
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestNewKeysAndCertErrors(t *testing.T) {
	r := seededReader(7)
	tests := []struct {
		name string
		et   crypto.EncType
		enc  []byte
		st   crypto.SigType
		sig  []byte
		rand io.Reader
	}{
		{"short X25519 key", crypto.EncX25519, make([]byte, 31), crypto.SigEdDSASHA512, make([]byte, 32), r},
		{"long Ed25519 key", crypto.EncX25519, make([]byte, 32), crypto.SigEdDSASHA512, make([]byte, 33), r},
		{"unknown sig type", crypto.EncX25519, make([]byte, 32), crypto.SigType(9), make([]byte, 64), r},
		{"unknown enc type", crypto.EncType(8), nil, crypto.SigEdDSASHA512, make([]byte, 32), r},
		{"unknown enc type, empty key", crypto.EncType(8), []byte{}, crypto.SigEdDSASHA512, make([]byte, 32), r},
		{"reader fails", crypto.EncX25519, make([]byte, 32), crypto.SigEdDSASHA512, make([]byte, 32), failingReader{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if k, err := NewKeysAndCert(tt.et, tt.enc, tt.st, tt.sig, tt.rand); err == nil {
				t.Fatalf("NewKeysAndCert succeeded: %x", k.Bytes())
			}
		})
	}
}

func TestKeysAndCertVerify(t *testing.T) {
	signer, err := crypto.GenerateSigner(crypto.SigEdDSASHA512, seededReader(8))
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeysAndCert(crypto.EncX25519, randBytes(seededReader(9), 32), signer.Type(), signer.Public(), seededReader(10))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("veil")
	sig, err := signer.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Verify(msg, sig); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if err := k.Verify([]byte("vail"), sig); err == nil {
		t.Fatal("Verify accepted a signature over another message")
	}
	if err := (KeysAndCert{}).Verify(msg, sig); err == nil {
		t.Fatal("zero KeysAndCert verified a signature")
	}
}

// TestKeysAndCertRoundTripProperty covers every known sig/enc pair with
// random keys and padding.
func TestKeysAndCertRoundTripProperty(t *testing.T) {
	sigs, encs := knownSigTypes(), knownEncTypes()
	rapid.Check(t, func(t *rapid.T) {
		st := rapid.SampledFrom(sigs).Draw(t, "sig")
		et := rapid.SampledFrom(encs).Draw(t, "enc")
		sig := rapid.SliceOfN(rapid.Byte(), st.PubLen(), st.PubLen()).Draw(t, "sigPub")
		enc := rapid.SliceOfN(rapid.Byte(), et.PubLen(), et.PubLen()).Draw(t, "encPub")
		seed := rapid.Byte().Draw(t, "padSeed")
		k, err := NewKeysAndCert(et, enc, st, sig, seededReader(seed))
		if err != nil {
			t.Fatalf("NewKeysAndCert(%v, %v): %v", et, st, err)
		}
		trailer := rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "trailer")
		p, rest, err := ParseKeysAndCert(append(slices.Clone(k.Bytes()), trailer...))
		if err != nil {
			t.Fatalf("ParseKeysAndCert: %v", err)
		}
		if p.SigType() != st || p.EncType() != et {
			t.Fatalf("types %v/%v, want %v/%v", p.SigType(), p.EncType(), st, et)
		}
		if !bytes.Equal(p.SigningPublicKey(), sig) || !bytes.Equal(p.EncryptionPublicKey(), enc) {
			t.Fatal("keys differ")
		}
		if !bytes.Equal(p.Bytes(), k.Bytes()) || !bytes.Equal(rest, trailer) || p.Hash() != k.Hash() {
			t.Fatal("bytes differ")
		}
		wantLen := 387
		if st != crypto.SigDSASHA1 || et != crypto.EncElGamal {
			wantLen += 4 + max(0, st.PubLen()-128) + max(0, et.PubLen()-256)
		}
		if p.Len() != wantLen {
			t.Fatalf("Len %d, want %d", p.Len(), wantLen)
		}
	})
}
