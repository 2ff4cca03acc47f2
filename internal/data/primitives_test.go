package data

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// i2pdDestinations are Destinations written by i2pd 2.45.1 (the public
// first part of its keys files) and the .b32.i2p address i2pd logged for
// each, an answer computed by another implementation.
var i2pdDestinations = []struct {
	file, b32 string
	size      int
}{
	{"i2pd-ed25519.dat", "7fo4vspsdfmyijehwnfoxhbk5vlsbq7bbt6qvtmqyevxz5cwlseq.b32.i2p", 391},
	{"i2pd-dsa.dat", "2wghksaj7pdw2el5elt6dtxqbafm5bqekdmlzkggs2f3y3i7lala.b32.i2p", 387},
}

// base32Lower is RFC 4648's Base32 alphabet in lower case (naming.html).
const base32Lower = "abcdefghijklmnopqrstuvwxyz234567"

func readTestdata(tb testing.TB, parts ...string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDestinationB32(t *testing.T) {
	for _, tt := range i2pdDestinations {
		t.Run(tt.file, func(t *testing.T) {
			raw := readTestdata(t, "destination", tt.file)
			d, rest, err := ParseKeysAndCert(raw)
			if err != nil || len(rest) != 0 || d.Len() != tt.size {
				t.Fatalf("ParseKeysAndCert: len %d, rest %d, err %v", d.Len(), len(rest), err)
			}
			// Computed here from the bytes: SHA-256, RFC 4648 Base32,
			// lower case, no padding.
			sum := sha256.Sum256(raw)
			var b32 strings.Builder
			var acc, nbits uint
			for _, c := range sum {
				acc, nbits = acc<<8|uint(c), nbits+8
				for nbits >= 5 {
					nbits -= 5
					b32.WriteByte(base32Lower[acc>>nbits&31])
				}
			}
			b32.WriteByte(base32Lower[acc<<(5-nbits)&31]) // 256 = 51*5 + 1
			mine := b32.String() + ".b32.i2p"
			if mine != tt.b32 {
				t.Fatalf("test's own Base32 %q disagrees with i2pd's %q", mine, tt.b32)
			}
			if got := d.Hash().B32(); got != tt.b32 {
				t.Fatalf("B32() = %q, want %q", got, tt.b32)
			}
			h, err := ParseB32(strings.ToUpper(tt.b32))
			if err != nil || h != d.Hash() {
				t.Fatalf("ParseB32(upper) = %v, %v; want %v", h, err, d.Hash())
			}
		})
	}
}

func TestParseB32(t *testing.T) {
	var h Hash
	for i := range h {
		h[i] = byte(i * 7)
	}
	good := h.B32()
	bare := strings.TrimSuffix(good, ".b32.i2p")
	last := bare[len(bare)-1:]
	// The last character carries 1 data bit and 4 unused bits; flipping
	// an unused bit gives another spelling of the same hash.
	alias := bare[:len(bare)-1] + string(base32Lower[strings.Index(base32Lower, last)^1])
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"full", good, false},
		{"bare", bare, false},
		{"upper", strings.ToUpper(good), false},
		{"too short", bare[1:], true},
		{"too long", bare + "a", true},
		{"b33 length", bare + "aaaaaaaa", true},
		{"bad character", "1" + bare[1:], true},
		{"padding", bare[:51] + "=", true},
		{"newlines hide a short address", bare[:50] + "\n\n", true},
		{"carriage return", bare[:51] + "\r", true},
		{"unused bits set", alias, true},
		{"wrong suffix", bare + ".b32.i2q", true},
		{"empty", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseB32(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseB32(%q) = %v, error %v; wantErr %v", tt.in, got, err, tt.wantErr)
			}
			if !tt.wantErr && got != h {
				t.Fatalf("ParseB32(%q) = %v, want %v", tt.in, got, h)
			}
		})
	}
}

func TestHashBase64(t *testing.T) {
	var h Hash
	for i := range h {
		h[i] = 0xff - byte(i)
	}
	s := h.String()
	if len(s) != 44 || !strings.HasSuffix(s, "=") {
		t.Fatalf("String() = %q, want 44 characters ending in '='", s)
	}
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"padded", s, false},
		{"unpadded", strings.TrimSuffix(s, "="), false},
		{"31 bytes", EncodeBase64(h[:31]), true},
		{"33 bytes", EncodeBase64(append(h[:], 0)), true},
		{"standard alphabet", strings.NewReplacer("-", "+", "~", "/").Replace(s), strings.ContainsAny(s, "-~")},
		{"garbage", "not base64 at all!", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHashBase64(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseHashBase64(%q) error %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && got != h {
				t.Fatalf("ParseHashBase64(%q) = %v, want %v", tt.in, got, h)
			}
		})
	}
	if (Hash{}).IsZero() != true || h.IsZero() {
		t.Error("IsZero wrong")
	}
	if HashOf([]byte("abc")).String() != "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD~YfIAFa0=" {
		t.Errorf("HashOf(abc) = %v", HashOf([]byte("abc")))
	}
}

func TestDate(t *testing.T) {
	tm := time.Date(2026, 11, 25, 19, 34, 6, 123e6, time.UTC)
	d := DateOf(tm)
	if d != 1795635246123 {
		t.Fatalf("DateOf = %d", d)
	}
	if !d.Time().Equal(tm) {
		t.Fatalf("Time() = %v, want %v", d.Time(), tm)
	}
	if !Date(0).Time().IsZero() {
		t.Fatal("Date(0).Time() is not the zero time")
	}
	if got := appendDate(nil, d); !bytes.Equal(got, []byte{0, 0, 0x01, 0xa2, 0x14, 0x33, 0x74, 0x2b}) {
		t.Fatalf("appendDate = %x", got)
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		name    string
		s       string
		want    []byte
		wantErr bool
	}{
		{"empty", "", []byte{0}, false},
		{"ascii", "NTCP2", []byte("\x05NTCP2"), false},
		{"utf8 counts bytes", "é", []byte("\x02\xc3\xa9"), false},
		{"255 bytes", strings.Repeat("x", 255), append([]byte{255}, strings.Repeat("x", 255)...), false},
		{"256 bytes", strings.Repeat("x", 256), nil, true},
		{"invalid utf8", "\xff", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appendString([]byte{0xaa}, tt.s)
			if (err != nil) != tt.wantErr {
				t.Fatalf("appendString error %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if !bytes.Equal(got, []byte{0xaa}) {
					t.Fatalf("failed appendString changed the buffer: %x", got)
				}
				return
			}
			if !bytes.Equal(got[1:], tt.want) {
				t.Fatalf("appendString = %x, want %x", got[1:], tt.want)
			}
			r := &reader{b: got[1:]}
			back, err := r.str()
			if err != nil || back != tt.s || r.remaining() != 0 {
				t.Fatalf("str() = %q, %v, %d left", back, err, r.remaining())
			}
			for n := range len(tt.want) {
				r := &reader{b: tt.want[:n]}
				if _, err := r.str(); !errors.Is(err, ErrTruncated) {
					t.Fatalf("str() of %d-byte prefix: %v, want ErrTruncated", n, err)
				}
			}
		})
	}
	r := &reader{b: []byte("\x01\xff")}
	if _, err := r.str(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("str() of invalid UTF-8: %v, want ErrInvalid", err)
	}
}
