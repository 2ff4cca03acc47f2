package data

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestMappingWireBytes(t *testing.T) {
	m := NewMapping(map[string]string{"port": "9", "host": "1.2.3.4", "": ""})
	got, err := m.Append([]byte{0xee})
	if err != nil {
		t.Fatal(err)
	}
	// Built by hand from common-structures.rst, "Mapping": 2-byte size,
	// then len|key '=' len|value ';' per pair, keys sorted.
	want := []byte{0xee, 0x00, 0x1c,
		0x00, '=', 0x00, ';',
		0x04, 'h', 'o', 's', 't', '=', 0x07, '1', '.', '2', '.', '3', '.', '4', ';',
		0x04, 'p', 'o', 'r', 't', '=', 0x01, '9', ';',
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Append =\n%x, want\n%x", got, want)
	}
	empty := NewMapping(nil)
	if got, _ := empty.Append(nil); !bytes.Equal(got, []byte{0, 0}) {
		t.Fatalf("empty mapping = %x, want 0000", got)
	}
}

// javaLess orders as Java's String.compareTo: by UTF-16 code unit. It is
// written out by hand (surrogates computed here) to be independent of
// mapping.go's use of unicode/utf16.
func javaLess(a, b string) bool {
	units := func(s string) []uint16 {
		var u []uint16
		for _, r := range s {
			if r >= 0x10000 {
				r -= 0x10000
				u = append(u, uint16(0xd800+(r>>10)), uint16(0xdc00+(r&0x3ff)))
			} else {
				u = append(u, uint16(r))
			}
		}
		return u
	}
	return slices.Compare(units(a), units(b)) < 0
}

func TestMappingJavaOrder(t *testing.T) {
	tests := []struct {
		name string
		keys []string // in Java order
	}{
		{"ascii", []string{"", "A", "B", "a", "aa", "ab", "b"}},
		// U+10000 is D800 DC00 in UTF-16, below U+FFFD; in UTF-8 (F0…)
		// it sorts above U+FFFD (EF…).
		{"supplementary below U+FFFD", []string{"\U00010000", "\ufffd"}},
		{"emoji below private use", []string{"x\U0001F600", "x\ue000"}},
		{"bmp below surrogate range unaffected", []string{"\u00e9", "\ud7ff", "\U00010000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "supplementary below U+FFFD" && !(tt.keys[1] < tt.keys[0]) {
				t.Fatal("test premise: byte order should disagree")
			}
			in := map[string]string{}
			for _, k := range tt.keys {
				in[k] = "v"
			}
			m := NewMapping(in)
			enc, err := m.Append(nil)
			if err != nil {
				t.Fatal(err)
			}
			p, _, err := ParseMapping(enc)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, pr := range p.Pairs() {
				got = append(got, pr.Key)
			}
			if !slices.Equal(got, tt.keys) {
				t.Fatalf("wire order %q, want %q", got, tt.keys)
			}
			if !slices.IsSortedFunc(tt.keys, func(a, b string) int {
				if javaLess(a, b) {
					return -1
				}
				return 1
			}) {
				t.Fatal("test table is not in Java order")
			}
		})
	}
}

func TestMappingAccessors(t *testing.T) {
	var m Mapping
	m.Set("b", "1")
	m.Set("a", "2")
	m.Set("b", "3")
	if m.Len() != 2 || m.Value("b") != "3" || m.Value("zz") != "" {
		t.Fatalf("after Set: %v", m.Pairs())
	}
	if _, ok := m.Get("zz"); ok {
		t.Fatal("Get of absent key reports ok")
	}
	m.Delete("b")
	m.Delete("nope")
	if !maps.Equal(m.Map(), map[string]string{"a": "2"}) {
		t.Fatalf("after Delete: %v", m.Map())
	}
	ps := m.Pairs()
	ps[0].Value = "changed"
	if m.Value("a") != "2" {
		t.Fatal("Pairs aliases the mapping")
	}
}

// mappingBytes builds a raw Mapping from a body, with the right size.
func mappingBytes(body string) []byte {
	return append([]byte{byte(len(body) >> 8), byte(len(body))}, body...)
}

func TestParseMappingErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty input", nil, ErrTruncated},
		{"one byte", []byte{0}, ErrTruncated},
		{"size beyond input", []byte{0, 6, 1, 'a', '=', 1, 'b'}, ErrTruncated},
		{"duplicate key", mappingBytes("\x01a=\x011;\x01a=\x012;"), ErrInvalid},
		{"duplicate key, not adjacent", mappingBytes("\x01a=\x011;\x01b=\x012;\x01a=\x011;"), ErrInvalid},
		{"missing '='", mappingBytes("\x01a:\x011;"), ErrInvalid},
		{"missing ';'", mappingBytes("\x01a=\x011,"), ErrInvalid},
		{"size ends before '='", mappingBytes("\x01a"), ErrInvalid},
		{"size ends before ';'", mappingBytes("\x01a=\x011"), ErrInvalid},
		{"size ends inside value", mappingBytes("\x01a=\x05ab"), ErrTruncated},
		{"key length beyond size", mappingBytes("\x09a=1;"), ErrTruncated},
		{"key not utf-8", mappingBytes("\x01\xff=\x011;"), ErrInvalid},
		{"value not utf-8", mappingBytes("\x01a=\x02\xc3\x28;"), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, rest, err := ParseMapping(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseMapping(%x) = %v, %x, %v; want %v", tt.in, m.Pairs(), rest, err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Struct != "Mapping" || !strings.HasPrefix(err.Error(), "data: Mapping") {
				t.Fatalf("error %q is not a Mapping ParseError", err)
			}
		})
	}
}

// TestParseMappingSeparatorsInStrings: the encoding is length-prefixed, so
// '=' and ';' inside strings parse (common-structures.rst, Mapping notes);
// Append refuses to write them, as Java I2P's writeProperties documents.
func TestParseMappingSeparatorsInStrings(t *testing.T) {
	in := mappingBytes("\x03a=b=\x03c;d;")
	m, _, err := ParseMapping(in)
	if err != nil || m.Value("a=b") != "c;d" {
		t.Fatalf("ParseMapping = %v, %v", m.Pairs(), err)
	}
	if _, err := m.Append(nil); err == nil {
		t.Fatal("Append wrote a key containing '='")
	}
}

func TestMappingAppendErrors(t *testing.T) {
	tests := []struct {
		name  string
		pairs []Pair
	}{
		{"duplicate key", []Pair{{"a", "1"}, {"a", "2"}}},
		{"duplicate key apart", []Pair{{"a", "1"}, {"b", "2"}, {"a", "3"}}},
		{"key with '='", []Pair{{"a=b", "1"}}},
		{"key with ';'", []Pair{{"a;b", "1"}}},
		{"value with ';'", []Pair{{"a", "1;2"}}},
		{"key too long", []Pair{{strings.Repeat("k", 256), "1"}}},
		{"value too long", []Pair{{"k", strings.Repeat("v", 256)}}},
		{"key not utf-8", []Pair{{"\xff", "1"}}},
		{"value not utf-8", []Pair{{"a", "\xc3\x28"}}},
		// Invalid UTF-8 keys all became U+FFFD for the Java sort, which
		// hid this duplicate from the adjacent-pairs check.
		{"duplicate invalid keys", []Pair{{"\xff", "1"}, {"\xfe", "2"}, {"\xff", "3"}}},
		{"over 65535 bytes", tooBigMappingPairs()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Mapping{pairs: slices.Clone(tt.pairs)}
			prefix := []byte("prefix")
			got, err := m.Append(prefix)
			if err == nil {
				t.Fatalf("Append succeeded: %x", got)
			}
			if !bytes.Equal(got, prefix) {
				t.Fatalf("failed Append returned %q, want the input buffer", got)
			}
		})
	}
}

func tooBigMappingPairs() []Pair {
	var ps []Pair
	for i := range 150 { // 150 pairs of 461 bytes > 65535
		ps = append(ps, Pair{strings.Repeat("k", 200) + string(rune('a'+i%26)) + string(rune('a'+i/26)), strings.Repeat("v", 255)})
	}
	return ps
}

func TestMappingTruncatedPrefixes(t *testing.T) {
	m := NewMapping(map[string]string{"caps": "XfR", "netId": "2", "router.version": "0.9.67"})
	enc, err := m.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(enc) {
		if _, _, err := ParseMapping(enc[:n]); err == nil {
			t.Fatalf("%d-byte prefix of a %d-byte mapping parsed", n, len(enc))
		}
	}
}

// mappingKeyRune avoids the separators Append refuses and favours the
// characters where Java and byte order disagree.
func mappingKeyRune() *rapid.Generator[rune] {
	return rapid.OneOf(
		rapid.RuneFrom([]rune("aAzZ09._-\u00e9\ue000\ufffd\U00010000\U0001F600")),
		rapid.Rune(),
	).Filter(func(r rune) bool { return r != '=' && r != ';' })
}

func genMappingMap(t *rapid.T, label string, maxPairs int) map[string]string {
	key := rapid.StringOfN(mappingKeyRune(), 0, 40, 255)
	val := rapid.StringOfN(rapid.Rune().Filter(func(r rune) bool { return r != ';' }), 0, 60, 255)
	return rapid.MapOfN(key, val, 0, maxPairs).Draw(t, label)
}

func TestMappingRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genMappingMap(t, "pairs", 30)
		m := NewMapping(in)
		enc, err := m.Append(nil)
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		trailer := rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "trailer")
		p, rest, err := ParseMapping(append(slices.Clone(enc), trailer...))
		if err != nil {
			t.Fatalf("ParseMapping: %v", err)
		}
		if !bytes.Equal(rest, trailer) {
			t.Fatalf("rest %x, want %x", rest, trailer)
		}
		keys := slices.Collect(maps.Keys(in))
		slices.SortFunc(keys, func(a, b string) int {
			if javaLess(a, b) {
				return -1
			}
			return 1
		})
		got := p.Pairs()
		if len(got) != len(keys) {
			t.Fatalf("%d pairs, want %d", len(got), len(keys))
		}
		for i, k := range keys {
			if got[i] != (Pair{k, in[k]}) {
				t.Fatalf("pair %d = %q, want %q=%q", i, got[i], k, in[k])
			}
		}
		again, err := p.Append(nil)
		if err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("second Append differs (%v):\n%x\n%x", err, again, enc)
		}
	})
}
