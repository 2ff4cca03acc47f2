package crypto

import (
	"bytes"
	"testing"
)

func seqBytes(from byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = from + byte(i)
	}
	return b
}

// RFC 5869 appendix A, test cases 1-3 (the SHA-256 ones).
func TestHKDFRFC5869(t *testing.T) {
	for _, tc := range []struct {
		name            string
		ikm, salt, info []byte
		okm             string
	}{
		{"case1", bytes.Repeat([]byte{0x0b}, 22), seqBytes(0x00, 13), seqBytes(0xf0, 10),
			"3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
		{"case2", seqBytes(0x00, 80), seqBytes(0x60, 80), seqBytes(0xb0, 80),
			"b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c" +
				"59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71" +
				"cc30c58179ec3e87c14c01d5c1f3434f1d87"},
		{"case3", bytes.Repeat([]byte{0x0b}, 22), nil, nil,
			"8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := hexOf(t, tc.okm)
			got := HKDF(tc.salt, tc.ikm, string(tc.info), len(want))
			if !bytes.Equal(got, want) {
				t.Fatalf("got %x\nwant %x", got, want)
			}
		})
	}
}

// I2P's KDFs are HKDF with a 32-byte salt and a 64-byte output, which is
// the same as the two-step HMAC chain ntcp2.rst spells out.
func TestHKDFMatchesHMACChain(t *testing.T) {
	salt := seqBytes(1, 32)
	for _, ikm := range [][]byte{nil, seqBytes(9, 32)} {
		prk := HMACSHA256(salt, ikm)
		t1 := HMACSHA256(prk[:], []byte("info"), []byte{1})
		t2 := HMACSHA256(prk[:], t1[:], []byte("info"), []byte{2})
		got := HKDF(salt, ikm, "info", 64)
		if !bytes.Equal(got[:32], t1[:]) || !bytes.Equal(got[32:], t2[:]) {
			t.Fatalf("ikm %x: HKDF %x, HMAC chain %x%x", ikm, got, t1, t2)
		}
	}
	if got := HKDF(salt, nil, "", 0); len(got) != 0 {
		t.Fatalf("zero-length output: %x", got)
	}
}

func TestHKDFPanicsOnBadLength(t *testing.T) {
	for _, n := range []int{-1, HKDFMaxLen + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("n=%d did not panic", n)
				}
			}()
			HKDF(nil, nil, "", n)
		}()
	}
}

// RFC 4231 test cases 1 and 2.
func TestHMACSHA256RFC4231(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  []byte
		data [][]byte
		want string
	}{
		{"case1", bytes.Repeat([]byte{0x0b}, 20), [][]byte{[]byte("Hi There")},
			"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"case2", []byte("Jefe"), [][]byte{[]byte("what do ya want for nothing?")},
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"case2-split", []byte("Jefe"), [][]byte{[]byte("what do ya "), nil, []byte("want for nothing?")},
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := HMACSHA256(tc.key, tc.data...)
			if want := hexOf(t, tc.want); !bytes.Equal(got[:], want) {
				t.Fatalf("got %x, want %x", got, want)
			}
		})
	}
}

func BenchmarkHKDF64(b *testing.B) {
	ck := make([]byte, 32)
	ikm := make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		HKDF(ck, ikm, "", 64)
	}
}
