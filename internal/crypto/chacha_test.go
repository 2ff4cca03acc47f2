package crypto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

const rfcSunscreen = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."

func chachaKeyOf(tb testing.TB, s string) *[32]byte {
	tb.Helper()
	return (*[32]byte)(hexOf(tb, s))
}

// RFC 7539 §2.4.2 (same text as RFC 8439 §2.4.2).
func TestChaCha20RFC7539(t *testing.T) {
	key := chachaKeyOf(t, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	nonce := (*[12]byte)(hexOf(t, "000000000000004a00000000"))
	want := hexOf(t, "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"+
		"f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"+
		"07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"+
		"5af90bbf74a35be6b40b8eedf2785e42874d")
	got := make([]byte, len(rfcSunscreen))
	if err := ChaCha20XOR(key, nonce, 1, got, []byte(rfcSunscreen)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x\nwant %x", got, want)
	}
	// In place, back again.
	if err := ChaCha20XOR(key, nonce, 1, got, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != rfcSunscreen {
		t.Fatalf("decrypt: %q", got)
	}

	if err := ChaCha20XOR(key, nonce, 0, make([]byte, 3), make([]byte, 4)); err == nil {
		t.Error("short dst accepted")
	}
	if err := ChaCha20XOR(key, nonce, 0xffffffff, make([]byte, 65), make([]byte, 65)); err == nil {
		t.Error("counter overflow accepted")
	}
	if err := ChaCha20XOR(key, nonce, 0xffffffff, make([]byte, 64), make([]byte, 64)); err != nil {
		t.Errorf("last block refused: %v", err)
	}
}

// RFC 8439 §2.8.2. Its nonce is 07000000 || 4041424344454647. I2P's layout
// keeps the first four bytes zero, so the test sets them by hand and passes
// the last eight as the little-endian counter: that also pins the counter's
// byte order.
func TestChaChaPolyRFC8439(t *testing.T) {
	key := chachaKeyOf(t, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
	ad := hexOf(t, "50515253c0c1c2c3c4c5c6c7")
	want := hexOf(t, "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"+
		"3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"+
		"92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"+
		"3ff4def08e4b7a9de576d26586cec64b6116"+
		"1ae10b594f09e26a7e902ecbd0600691")
	n := binary.LittleEndian.Uint64(hexOf(t, "4041424344454647"))

	c := NewChaChaPoly(key)
	copy(c.nonce[:4], []byte{7, 0, 0, 0})
	got := c.Seal(n, nil, []byte(rfcSunscreen), ad)
	if !bytes.Equal(got, want) {
		t.Fatalf("seal:\n got %x\nwant %x", got, want)
	}
	pt, err := c.Open(n, nil, want, ad)
	if err != nil || string(pt) != rfcSunscreen {
		t.Fatalf("open: %q, %v", pt, err)
	}
}

func TestChaChaNonceLayout(t *testing.T) {
	got := ChaChaNonce(0x0102030405060708)
	want := [12]byte{0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1}
	if got != want {
		t.Fatalf("nonce %x, want %x", got, want)
	}
}

func TestChaChaPolyRoundTrip(t *testing.T) {
	var key [32]byte
	key[0] = 1
	ad := []byte("associated")
	for _, n := range []int{0, 1, 16, 1000} {
		pt := bytes.Repeat([]byte{0xa5}, n)
		ct := ChaChaPolySeal(&key, 5, nil, pt, ad)
		if len(ct) != n+ChaChaPolyOverhead {
			t.Fatalf("len %d, want %d", len(ct), n+ChaChaPolyOverhead)
		}
		got, err := ChaChaPolyOpen(&key, 5, nil, ct, ad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("open %d: %v", n, err)
		}
		// The keyed type and the one-shot functions agree.
		if ct2 := NewChaChaPoly(&key).Seal(5, nil, pt, ad); !bytes.Equal(ct, ct2) {
			t.Fatal("ChaChaPoly.Seal differs from ChaChaPolySeal")
		}

		bad := func(name string, k *[32]byte, nn uint64, c, a []byte) {
			t.Helper()
			if _, err := ChaChaPolyOpen(k, nn, nil, c, a); !errors.Is(err, ErrChaChaPolyOpen) {
				t.Errorf("%s (%d bytes): %v, want ErrChaChaPolyOpen", name, n, err)
			}
		}
		var key2 [32]byte
		bad("wrong key", &key2, 5, ct, ad)
		bad("wrong nonce", &key, 6, ct, ad)
		bad("wrong ad", &key, 5, ct, []byte("other"))
		flipped := bytes.Clone(ct)
		flipped[len(flipped)-1] ^= 1
		bad("flipped tag", &key, 5, flipped, ad)
		bad("truncated", &key, 5, ct[:len(ct)-1], ad)
	}
	if _, err := ChaChaPolyOpen(&key, 0, nil, make([]byte, 15), nil); !errors.Is(err, ErrChaChaPolyOpen) {
		t.Errorf("15-byte frame: %v", err)
	}
}

func TestChaChaPolyZeroAlloc(t *testing.T) {
	var key [32]byte
	c := NewChaChaPoly(&key)
	pt := make([]byte, 1024)
	buf := make([]byte, 0, len(pt)+ChaChaPolyOverhead)
	n := uint64(0)
	allocs := testing.AllocsPerRun(100, func() {
		ct := c.Seal(n, buf[:0], pt, nil)
		if _, err := c.Open(n, ct[:0], ct, nil); err != nil {
			t.Fatal(err)
		}
		n++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per seal+open, want 0", allocs)
	}
}

func BenchmarkChaChaPoly1K(b *testing.B) {
	var key [32]byte
	pt := make([]byte, 1024)
	buf := make([]byte, 0, len(pt)+ChaChaPolyOverhead)
	b.Run("seal", func(b *testing.B) {
		c := NewChaChaPoly(&key)
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		n := uint64(0)
		for b.Loop() {
			c.Seal(n, buf[:0], pt, nil)
			n++
		}
	})
	b.Run("open", func(b *testing.B) {
		c := NewChaChaPoly(&key)
		ct := c.Seal(0, nil, pt, nil)
		out := make([]byte, 0, len(pt))
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Open(0, out, ct, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("oneshot-seal", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			ChaChaPolySeal(&key, 0, buf[:0], pt, nil)
		}
	})
}
