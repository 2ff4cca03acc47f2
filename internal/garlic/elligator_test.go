package garlic

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Known answers from i2pd's tests/test-elligator.cpp (PurpleI2P/i2pd),
// published reference data for the same map and root choice: keys and
// representatives are little-endian.
//
// i2pd's encoding test key is 33 95 … d8 80, whose top bit is set; i2pd
// reads all 256 bits and reduces them mod p, giving 46 95 … d8 00 (2^255 ≡
// 19), which is the point its expected representatives decode to. veil
// refuses keys with the top bit set (X25519 never makes them), so the
// test encodes the reduced key.
var (
	kaKey        = hx("46951964003c940878063ccfd0348af42150ca16d2646f2c5856e8338377d800")
	kaKeyTopBit  = hx("33951964003c940878063ccfd0348af42150ca16d2646f2c5856e8338377d880")
	kaEncoded    = hx("2820b6b241e0f68a6c4a7fee3d978228ef3ae45533cd410aa91a415331d8612d")
	kaEncodedAlt = hx("3cfb87c46c0b4575ca8175e0ed1c0ae9dae79db78df86997c4847b9f20b27718")
	kaDecodes    = []struct{ rep, key [32]byte }{
		{hx("e73507d38bae63992b3f57aac48c0abc14509589288457995a2b4ca3490aa207"),
			hx("1e8afffed6bf53fe271ad572473262ded8faec68e5e67ef45ebb82eeba52604f")},
		{hx("95a16019041dbefed9832048ede11928d90365f24a38aa7aef1b97e23954101b"),
			hx("794f05ba3e3a72958022468c88981e0be5782be1e1145ce2c3c6fde16ded5363")},
		// (p-1)/2, the largest representative.
		{hx("f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f"),
			hx("9cdb525555555555555555555555555555555555555555555555555555555555")},
	}
	kaNotEncodable = hx("e6f66fdf6e230c603c5e6e59a254ea1476a13eb9511b9549846781e12e52230a")
)

func hx(s string) [32]byte {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		panic("bad hex " + s)
	}
	return [32]byte(b)
}

func TestElligatorKnownAnswers(t *testing.T) {
	if rep, ok := elligatorEncode(&kaKey, false); !ok || rep != kaEncoded {
		t.Errorf("encode = %x, %v; want %x", rep, ok, kaEncoded)
	}
	if rep, ok := elligatorEncode(&kaKey, true); !ok || rep != kaEncodedAlt {
		t.Errorf("encode alt = %x, %v; want %x", rep, ok, kaEncodedAlt)
	}
	for _, c := range kaDecodes {
		if key, ok := elligatorDecode(&c.rep); !ok || key != c.key {
			t.Errorf("decode %x = %x, %v; want %x", c.rep, key, ok, c.key)
		}
	}
	for _, alt := range []bool{false, true} {
		if _, ok := elligatorEncode(&kaNotEncodable, alt); ok {
			t.Errorf("encode(not encodable, alt=%v) succeeded", alt)
		}
		if _, ok := elligatorEncode(&kaKeyTopBit, alt); ok {
			t.Errorf("encode(top bit set, alt=%v) succeeded", alt)
		}
	}
	for _, rep := range [][32]byte{kaEncoded, kaEncodedAlt} {
		if key, ok := elligatorDecode(&rep); !ok || key != kaKey {
			t.Errorf("decode %x = %x, %v; want %x", rep, key, ok, kaKey)
		}
	}
}

func TestElligatorRoundTrip(t *testing.T) {
	encodable := 0
	for i := range 200 {
		_, pub, err := crypto.GenerateX25519(nil)
		if err != nil {
			t.Fatal(err)
		}
		rep, ok := elligatorEncode(&pub, i%2 == 1)
		if !ok {
			if _, ok2 := elligatorEncode(&pub, i%2 == 0); ok2 {
				t.Fatalf("key %x encodable one way only", pub)
			}
			continue
		}
		encodable++
		if rep[31]&0xc0 != 0 {
			t.Fatalf("representative %x has top bits set", rep)
		}
		for hi := range 4 { // the two random top bits are ignored
			r := rep
			r[31] |= byte(hi) << 6
			got, ok := elligatorDecode(&r)
			if !ok || got != pub {
				t.Fatalf("decode(encode(%x)) = %x, %v", pub, got, ok)
			}
		}
	}
	// About half the keys are encodable.
	if encodable < 60 || encodable > 140 {
		t.Errorf("%d of 200 keys encodable", encodable)
	}
}

func TestElligatorDecodeRange(t *testing.T) {
	above := hx("f7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f")
	if _, ok := elligatorDecode(&above); ok {
		t.Error("decoded a representative above (p-1)/2")
	}
	above[31] |= 0xc0 // top bits do not matter
	if _, ok := elligatorDecode(&above); ok {
		t.Error("decoded a representative above (p-1)/2 with top bits")
	}
	zero := [32]byte{}
	if _, ok := elligatorDecode(&zero); !ok {
		t.Error("zero representative refused")
	}
}

func TestGenerateElligatorKey(t *testing.T) {
	var tops [4]int
	for range 64 {
		k, err := generateElligatorKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(k.priv.PublicKey().Bytes(), k.pub[:]) {
			t.Fatalf("public key %x does not match private key", k.pub)
		}
		got, ok := elligatorDecode(&k.rep)
		if !ok || got != k.pub {
			t.Fatalf("representative decodes to %x, want %x", got, k.pub)
		}
		tops[k.rep[31]>>6]++
	}
	for i, n := range tops {
		if n == 0 {
			t.Errorf("top bits %02b never drawn in 64 keys", i)
		}
	}
	// A reader of zeros gives the same unencodable key forever.
	if _, err := generateElligatorKey(bytes.NewReader(make([]byte, 1<<16))); err == nil {
		zero := [32]byte{}
		pub, _ := crypto.X25519Public(zero[:])
		if _, ok := elligatorEncode(&pub, false); !ok {
			t.Error("zero reader: no error")
		}
	}
}

func BenchmarkGenerateElligatorKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := generateElligatorKey(nil); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzElligatorDecode(f *testing.F) {
	f.Add(kaEncoded[:])
	f.Add(kaDecodes[2].rep[:])
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != 32 {
			return
		}
		rep := [32]byte(b)
		pub, ok := elligatorDecode(&rep)
		if !ok {
			return
		}
		// Every decoded point re-encodes to a representative of itself
		// (the same one, up to the top bits and the choice of the two).
		r1, ok1 := elligatorEncode(&pub, false)
		r2, ok2 := elligatorEncode(&pub, true)
		if !ok1 || !ok2 {
			t.Fatalf("decoded key %x not encodable", pub)
		}
		rep[31] &= 0x3f
		if rep != r1 && rep != r2 {
			t.Fatalf("representative %x re-encodes to %x / %x", rep, r1, r2)
		}
	})
}
