package i2np

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestStandardHeaderKnownAnswer(t *testing.T) {
	// type 10, id 0x01020304, expiration 0x0000018b_cfe56800 ms, a
	// 12-byte payload; the checksum is checked against crypto/sha256.
	payload, _ := hex.DecodeString("deadbeef000001881234abcd")
	h := Header{Type: TypeDeliveryStatus, ID: 0x01020304, Expiration: time.UnixMilli(0x18bcfe56800)}
	b, err := AppendStandard(nil, h, payload)
	if err != nil {
		t.Fatal(err)
	}
	want := "0a" + "01020304" + "0000018bcfe56800" + "000c"
	if got := hex.EncodeToString(b[:15]); got != want {
		t.Fatalf("header %s, want %s", got, want)
	}
	if b[15] != sha256First(payload) {
		t.Fatalf("checksum %#x", b[15])
	}
	g, p, rest, err := ParseStandard(append(b, 0xee))
	if err != nil {
		t.Fatal(err)
	}
	if g.Type != h.Type || g.ID != h.ID || !g.Expiration.Equal(h.Expiration) || !bytes.Equal(p, payload) || !bytes.Equal(rest, []byte{0xee}) {
		t.Fatalf("parsed %+v %x %x", g, p, rest)
	}
}

func TestStandardHeaderErrors(t *testing.T) {
	b, _ := AppendStandard(nil, Header{Type: 1, ID: 7, Expiration: time.UnixMilli(1e12)}, []byte("hello"))
	for n := range len(b) {
		if _, _, _, err := ParseStandard(b[:n]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("prefix %d: %v", n, err)
		}
	}
	bad := bytes.Clone(b)
	bad[15] ^= 1
	if _, _, _, err := ParseStandard(bad); !errors.Is(err, ErrChecksum) {
		t.Fatalf("checksum: %v", err)
	}
	bad = bytes.Clone(b)
	bad[5] = 0x80
	if _, _, _, err := ParseStandard(bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("expiration: %v", err)
	}
	if _, err := AppendStandard(nil, Header{}, make([]byte, MaxPayloadLen+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
}

func TestShortHeaderKnownAnswer(t *testing.T) {
	h := Header{Type: TypeDatabaseStore, ID: 0xfffffffe, Expiration: time.Unix(1700000000, 999e6)}
	b := AppendShortHeader(nil, h)
	if got, want := hex.EncodeToString(b), "01"+"fffffffe"+"6553f100"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	g, rest, err := ParseShortHeader(append(b, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if g.Type != 1 || g.ID != 0xfffffffe || !g.Expiration.Equal(time.Unix(1700000000, 0)) || !bytes.Equal(rest, []byte{1, 2}) {
		t.Fatalf("parsed %+v %x", g, rest)
	}
	for n := range ShortHeaderLen {
		if _, _, err := ParseShortHeader(b[:n]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("prefix %d: %v", n, err)
		}
	}
}

func TestZeroExpiration(t *testing.T) {
	b, _ := AppendStandard(nil, Header{Type: 20}, nil)
	if !bytes.Equal(b[5:13], make([]byte, 8)) {
		t.Fatalf("zero time encodes as %x", b[5:13])
	}
	h, _, _, err := ParseStandard(b)
	if err != nil || !h.Expiration.IsZero() {
		t.Fatalf("%v %v", h.Expiration, err)
	}
	if s := AppendShortHeader(nil, Header{}); !bytes.Equal(s[5:], make([]byte, 4)) {
		t.Fatalf("short zero time encodes as %x", s[5:])
	}
}

func TestExpired(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, c := range []struct {
		exp  time.Time
		want bool
	}{
		{time.Time{}, false},
		{now, false},
		{now.Add(-59 * time.Second), false},
		{now.Add(-61 * time.Second), true},
	} {
		if got := Expired(c.exp, now, time.Minute); got != c.want {
			t.Errorf("Expired(%v) = %v", c.exp, got)
		}
	}
}

func TestTypeNames(t *testing.T) {
	if TypeName(TypeShortTunnelBuild) != "ShortTunnelBuild" || TypeName(99) != "type 99" {
		t.Fatal(TypeName(TypeShortTunnelBuild), TypeName(99))
	}
	n := 0
	for i := range 256 {
		if KnownType(uint8(i)) {
			n++
		}
	}
	if n != 14 {
		t.Fatalf("%d known types, the spec lists 14", n)
	}
}

func genHeader(t *rapid.T, ms bool) Header {
	h := Header{
		Type: rapid.Uint8().Draw(t, "type"),
		ID:   rapid.Uint32().Draw(t, "id"),
	}
	if ms {
		if v := rapid.Int64Range(0, 1<<50).Draw(t, "ms"); v != 0 {
			h.Expiration = time.UnixMilli(v)
		}
	} else if v := rapid.Uint32().Draw(t, "s"); v != 0 {
		h.Expiration = time.Unix(int64(v), 0)
	}
	return h
}

func TestHeaderRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := genHeader(t, true)
		payload := rapid.SliceOfN(rapid.Byte(), 0, 2000).Draw(t, "payload")
		b, err := AppendStandard(nil, h, payload)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != StandardHeaderLen+len(payload) {
			t.Fatalf("length %d", len(b))
		}
		g, p, rest, err := ParseStandard(b)
		if err != nil || g != h || !bytes.Equal(p, payload) || len(rest) != 0 {
			t.Fatalf("%+v != %+v (%v)", g, h, err)
		}

		s := genHeader(t, false)
		sb := AppendShortHeader(nil, s)
		gs, rest, err := ParseShortHeader(sb)
		if err != nil || gs != s || len(rest) != 0 {
			t.Fatalf("%+v != %+v (%v)", gs, s, err)
		}
	})
}

func FuzzParseStandard(f *testing.F) {
	b, _ := AppendStandard(nil, Header{Type: 10, ID: 1, Expiration: time.UnixMilli(1e12)}, DeliveryStatus{MsgID: 5, Timestamp: time.UnixMilli(2e12)}.Append(nil))
	f.Add(b)
	f.Add(append(bytes.Clone(b), b...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, p, rest, err := ParseStandard(b)
		if err != nil {
			return
		}
		if len(p)+len(rest)+StandardHeaderLen != len(b) {
			t.Fatalf("lengths %d+%d+16 != %d", len(p), len(rest), len(b))
		}
		again, err := AppendStandard(nil, h, p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, b[:len(b)-len(rest)]) {
			t.Fatalf("re-encoded %x, parsed from %x", again, b)
		}
	})
}

func FuzzParseShortHeader(f *testing.F) {
	f.Add(AppendShortHeader(nil, Header{Type: 1, ID: 2, Expiration: time.Unix(1700000000, 0)}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, rest, err := ParseShortHeader(b)
		if err != nil {
			return
		}
		again := append(AppendShortHeader(nil, h), rest...)
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoded %x, parsed from %x", again, b)
		}
	})
}
