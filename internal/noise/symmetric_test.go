package noise

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
)

func hexOf(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestInit(t *testing.T) {
	t.Run("short name is padded", func(t *testing.T) {
		const name = "Noise_N_25519_ChaChaPoly_SHA256" // 31 bytes
		var s SymmetricState
		s.Init(name)
		var want [32]byte
		copy(want[:], name)
		if s.Hash() != want || s.ChainingKey() != want {
			t.Fatalf("h %x ck %x, want %x", s.Hash(), s.ChainingKey(), want)
		}
		if s.HasKey() || s.Nonce() != 0 {
			t.Fatal("fresh state has a key")
		}
	})
	t.Run("32-byte name is used as is", func(t *testing.T) {
		const name = "Noise_XK_25519_ChaChaPoly_SHA256"
		var s SymmetricState
		s.Init(name)
		if h := s.Hash(); string(h[:]) != name {
			t.Fatalf("h %x", h)
		}
	})
	t.Run("NTCP2 name is hashed", func(t *testing.T) {
		const name = "Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256" // 48 bytes
		var s SymmetricState
		s.Init(name)
		want := sha256.Sum256([]byte(name))
		if s.Hash() != want || s.ChainingKey() != want {
			t.Fatalf("h %x, want %x", s.Hash(), want)
		}
	})
	t.Run("Init resets", func(t *testing.T) {
		var s SymmetricState
		s.Init("a")
		s.MixKey(make([]byte, 32))
		s.SetNonce(9)
		s.Init("a")
		var fresh SymmetricState
		fresh.Init("a")
		if s != fresh {
			t.Fatal("Init did not reset the state")
		}
	})
}

// MixHash and MixKey against direct computation from ntcp2.rst's text.
func TestMixHashMixKey(t *testing.T) {
	var s SymmetricState
	s.Init("Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256")
	h0 := s.Hash()

	s.MixHash(nil) // NTCP2's empty prologue: h = SHA256(h)
	if want := sha256.Sum256(h0[:]); s.Hash() != want {
		t.Fatalf("MixHash(empty) %x, want %x", s.Hash(), want)
	}
	data := []byte("rs: Bob's static key, 32 bytes..")
	h1 := s.Hash()
	s.MixHash(data)
	if want := sha256.Sum256(append(h1[:], data...)); s.Hash() != want {
		t.Fatalf("MixHash %x, want %x", s.Hash(), want)
	}

	ck0 := s.ChainingKey()
	ikm := bytes.Repeat([]byte{0x5a}, 32)
	s.SetNonce(7)
	s.MixKey(ikm)
	temp := crypto.HMACSHA256(ck0[:], ikm)
	wantCK := crypto.HMACSHA256(temp[:], []byte{1})
	wantK := crypto.HMACSHA256(temp[:], wantCK[:], []byte{2})
	if s.ChainingKey() != wantCK || s.k != wantK {
		t.Fatalf("MixKey: ck %x k %x, want %x %x", s.ChainingKey(), s.k, wantCK, wantK)
	}
	if !s.HasKey() || s.Nonce() != 0 {
		t.Fatalf("after MixKey: hasKey %v n %d", s.HasKey(), s.Nonce())
	}
}

func TestEncryptDecryptAndHash(t *testing.T) {
	var a SymmetricState
	a.Init("Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256")
	b := a

	// Without a key the payload goes through in clear and is still hashed.
	ct := a.EncryptAndHash(nil, []byte("clear"))
	if string(ct) != "clear" {
		t.Fatalf("keyless EncryptAndHash changed the data: %q", ct)
	}
	pt, err := b.DecryptAndHash(nil, ct)
	if err != nil || string(pt) != "clear" || a.Hash() != b.Hash() {
		t.Fatalf("keyless DecryptAndHash: %q %v", pt, err)
	}

	a.MixKey(bytes.Repeat([]byte{1}, 32))
	b.MixKey(bytes.Repeat([]byte{1}, 32))
	for i, msg := range []string{"", "options block...", "third"} {
		h := a.Hash()
		ct := a.EncryptAndHash(nil, []byte(msg))
		// ENCRYPT(k, n=i, ad=h, plaintext), then h = SHA256(h || ct).
		want := crypto.ChaChaPolySeal(&a.k, uint64(i), nil, []byte(msg), h[:])
		if !bytes.Equal(ct, want) {
			t.Fatalf("message %d: ciphertext %x, want %x", i, ct, want)
		}
		if wantH := sha256.Sum256(append(h[:], ct...)); a.Hash() != wantH {
			t.Fatalf("message %d: h not mixed with the ciphertext", i)
		}
		// Decrypt in place.
		buf := bytes.Clone(ct)
		pt, err := b.DecryptAndHash(buf[:0], buf)
		if err != nil || string(pt) != msg {
			t.Fatalf("message %d: %q, %v", i, pt, err)
		}
		if a.Hash() != b.Hash() || a.Nonce() != uint64(i+1) || b.Nonce() != uint64(i+1) {
			t.Fatalf("message %d: states diverged", i)
		}
	}

	// A failure leaves h and n alone.
	ct = a.EncryptAndHash(nil, []byte("x"))
	ct[0] ^= 1
	before := b
	if _, err := b.DecryptAndHash(nil, ct); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("tampered: %v", err)
	}
	if b != before {
		t.Fatal("failed DecryptAndHash changed the state")
	}
}

// NTCP2 SessionConfirmed part 1 reuses the SessionCreated key with n=1.
func TestSetNonce(t *testing.T) {
	var s SymmetricState
	s.Init("n")
	s.MixKey(make([]byte, 32))
	peer := s
	s.SetNonce(1)
	h := s.Hash()
	ct := s.EncryptAndHash(nil, make([]byte, 32))
	if want := crypto.ChaChaPolySeal(&s.k, 1, nil, make([]byte, 32), h[:]); !bytes.Equal(ct, want) {
		t.Fatal("SetNonce(1) not used")
	}
	if s.Nonce() != 2 {
		t.Fatalf("nonce %d after one message from 1", s.Nonce())
	}
	if _, err := peer.DecryptAndHash(nil, ct); err == nil {
		t.Fatal("peer at n=0 accepted an n=1 message")
	}
	peer.SetNonce(1)
	if _, err := peer.DecryptAndHash(nil, ct); err != nil {
		t.Fatal(err)
	}

	peer.SetNonce(1<<64 - 1)
	if _, err := peer.DecryptAndHash(nil, ct); !errors.Is(err, ErrNonceExhausted) {
		t.Fatalf("n=2^64-1: %v", err)
	}
}

func TestSplit(t *testing.T) {
	var s SymmetricState
	s.Init("Noise_XKchaobfse+hs1+hs2+hs3_25519_ChaChaPoly_SHA256")
	s.MixKey(bytes.Repeat([]byte{9}, 32))
	ck := s.ChainingKey()
	k1, k2 := s.Split()

	temp := crypto.HMACSHA256(ck[:], nil)
	wantAB := crypto.HMACSHA256(temp[:], []byte{1})
	wantBA := crypto.HMACSHA256(temp[:], append(wantAB[:], 2))
	if k1 != wantAB || k2 != wantBA {
		t.Fatalf("Split %x %x, want %x %x", k1, k2, wantAB, wantBA)
	}
	// SSU2 writes the same step as HKDF(ck, "", "", 64).
	if kd := crypto.HKDF(ck[:], nil, "", 64); !bytes.Equal(kd[:32], k1[:]) || !bytes.Equal(kd[32:], k2[:]) {
		t.Fatal("Split differs from HKDF(ck, \"\", \"\", 64)")
	}
	if s.ChainingKey() != ck {
		t.Fatal("Split changed ck")
	}
}

func TestZero(t *testing.T) {
	var s SymmetricState
	s.Init("z")
	s.MixKey(bytes.Repeat([]byte{1}, 32))
	s.EncryptAndHash(nil, []byte("x"))
	s.Zero()
	if s != (SymmetricState{}) {
		t.Fatalf("Zero left %+v", s)
	}
}

func FuzzDecryptAndHash(f *testing.F) {
	var base SymmetricState
	base.Init("Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256")
	base.MixKey(bytes.Repeat([]byte{4}, 32))
	enc := base
	f.Add(enc.EncryptAndHash(nil, []byte("options")))
	f.Add([]byte{})
	f.Add(make([]byte, 15))
	f.Fuzz(func(t *testing.T, ct []byte) {
		s := base
		pt, err := s.DecryptAndHash(nil, ct)
		if err != nil {
			if s != base {
				t.Fatal("state changed on failure")
			}
			return
		}
		if len(pt) != len(ct)-crypto.ChaChaPolyOverhead {
			t.Fatalf("plaintext %d bytes from %d", len(pt), len(ct))
		}
	})
}

func BenchmarkMixKey(b *testing.B) {
	var s SymmetricState
	s.Init("Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256")
	ikm := make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		s.MixKey(ikm)
	}
}

func BenchmarkEncryptAndHash64(b *testing.B) {
	var s SymmetricState
	s.Init("Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256")
	s.MixKey(make([]byte, 32))
	pt := make([]byte, 64)
	buf := make([]byte, 0, 80)
	b.ReportAllocs()
	for b.Loop() {
		s.SetNonce(0)
		s.EncryptAndHash(buf[:0], pt)
	}
}
