package tunnel

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/veil-i2p/veil/internal/data"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

var testHash = data.Hash(seq(0xa0, 32))

const testHashHex = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"

// TestInstructionsLayout checks each form against tunnel-message.rst's
// drawings, written out by hand.
func TestInstructionsLayout(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Instructions
		enc  string
	}{
		{"local", Instructions{Size: 0x0123}, "00 0123"},
		{"local fragmented", Instructions{Fragmented: true, MsgID: 0x01020304, Size: 5}, "08 01020304 0005"},
		{"router", Instructions{Delivery: Delivery{Type: DeliveryRouter, To: testHash}, Size: 960}, "40" + testHashHex + "03c0"},
		{"tunnel", Instructions{Delivery: Delivery{Type: DeliveryTunnel, TunnelID: 0xdeadbeef, To: testHash}, Size: 1}, "20 deadbeef" + testHashHex + "0001"},
		{"tunnel fragmented", Instructions{Delivery: Delivery{Type: DeliveryTunnel, TunnelID: 7, To: testHash}, Fragmented: true, MsgID: 9, Size: 956}, "28 00000007" + testHashHex + "00000009 03bc"},
		{"follow-on", Instructions{FollowOn: true, MsgID: 0xcafe, Number: 1, Size: 996}, "82 0000cafe 03e4"},
		{"follow-on last 63", Instructions{FollowOn: true, MsgID: 1, Number: 63, Last: true, Size: 2}, "ff 00000001 0002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(tc.enc)
			got := tc.in.Append(nil)
			if !bytes.Equal(got, want) {
				t.Fatalf("Append = %x, want %x", got, want)
			}
			if tc.in.Len() != len(want) {
				t.Fatalf("Len = %d, want %d", tc.in.Len(), len(want))
			}
			in, n, err := ParseInstructions(append(want, 0xee))
			if err != nil || n != len(want) || in != tc.in {
				t.Fatalf("Parse = %+v, %d, %v", in, n, err)
			}
		})
	}
}

func TestParseInstructionsRejects(t *testing.T) {
	for _, tc := range []struct{ name, enc string }{
		{"empty", ""},
		{"type 3", "60 0001"},
		{"delay flag", "10 00 0001"},
		{"extended options", "04 00 0001"},
		{"follow-on number 0", "80 00000001 0001"},
		{"follow-on number 0 last", "81 00000001 0001"},
		{"local truncated", "00 01"},
		{"router truncated", "40" + testHashHex},
		{"tunnel truncated", "20 00000001" + testHashHex[:62]},
		{"fragmented truncated", "08 000000 01"},
		{"follow-on truncated", "82 00000001 00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if in, n, err := ParseInstructions(unhex(tc.enc)); !errors.Is(err, ErrBadFragment) {
				t.Fatalf("got %+v, %d, %v", in, n, err)
			}
		})
	}
	// Reserved bits 1–0 of a first fragment are ignored.
	if in, _, err := ParseInstructions(unhex("03 0005")); err != nil || in != (Instructions{Size: 5}) {
		t.Fatalf("reserved bits: %+v, %v", in, err)
	}
}

func genDelivery(t *rapid.T) Delivery {
	d := Delivery{Type: DeliveryType(rapid.IntRange(0, 2).Draw(t, "type"))}
	if d.Type == DeliveryTunnel {
		d.TunnelID = data.TunnelID(rapid.Uint32Min(1).Draw(t, "tunnel"))
	}
	if d.Type != DeliveryLocal {
		d.To = data.Hash(rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "to"))
	}
	return d
}

func genInstructions(t *rapid.T) Instructions {
	if rapid.Bool().Draw(t, "followOn") {
		return Instructions{
			FollowOn: true,
			MsgID:    rapid.Uint32().Draw(t, "id"),
			Number:   uint8(rapid.IntRange(1, MaxFragmentNumber).Draw(t, "num")),
			Last:     rapid.Bool().Draw(t, "last"),
			Size:     rapid.Uint16().Draw(t, "size"),
		}
	}
	in := Instructions{Delivery: genDelivery(t), Fragmented: rapid.Bool().Draw(t, "fragmented"), Size: rapid.Uint16().Draw(t, "size")}
	if in.Fragmented {
		in.MsgID = rapid.Uint32().Draw(t, "id")
	}
	return in
}

// TestInstructionsRoundTrip: what Append writes parses back equal, at the
// length Len says, and no shorter prefix parses.
func TestInstructionsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInstructions(t)
		b := in.Append(nil)
		if len(b) != in.Len() {
			t.Fatalf("Append wrote %d bytes, Len %d", len(b), in.Len())
		}
		got, n, err := ParseInstructions(b)
		if err != nil || n != len(b) || got != in {
			t.Fatalf("Parse(%x) = %+v, %d, %v; want %+v", b, got, n, err, in)
		}
		for i := range b {
			if _, _, err := ParseInstructions(b[:i]); err == nil {
				t.Fatalf("prefix of %d bytes parsed", i)
			}
		}
	})
}

func FuzzDeliveryInstructions(f *testing.F) {
	for i := range 8 {
		in := rapid.Custom(genInstructions).Example(i)
		f.Add(in.Append(nil))
	}
	f.Add([]byte{})
	f.Add(unhex("60 0001"))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, n, err := ParseInstructions(b)
		if err != nil {
			if n != 0 || in != (Instructions{}) {
				t.Fatal("value with error")
			}
			return
		}
		if n != in.Len() || n > len(b) {
			t.Fatalf("consumed %d of %d, Len %d", n, len(b), in.Len())
		}
		again := in.Append(nil)
		if g, m, err := ParseInstructions(again); err != nil || m != n || g != in {
			t.Fatalf("re-parse: %+v, %v", g, err)
		}
		// Only the reserved bits of a first fragment may differ.
		if !in.FollowOn {
			again[0] |= b[0] & 3
		}
		if !bytes.Equal(again, b[:n]) {
			t.Fatalf("re-encoded %x from %x", again, b[:n])
		}
	})
}
