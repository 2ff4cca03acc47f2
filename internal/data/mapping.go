package data

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
)

// Mapping is I2P's key/value Mapping (common-structures.rst, "Mapping"):
// a 2-byte size, then "key=value;" pairs of I2P Strings. Parse keeps the
// order it read; Append writes keys sorted in Java String.compareTo order
// (UTF-16 code units) because signed structures require it. Duplicate
// keys are rejected both ways.
type Mapping struct {
	pairs []Pair
}

// Pair is one key/value entry of a Mapping.
type Pair struct{ Key, Value string }

// maxMappingSize is the largest size field a Mapping can carry.
const maxMappingSize = 65535

// NewMapping builds a Mapping from m.
func NewMapping(m map[string]string) Mapping {
	var mp Mapping
	for k, v := range m {
		mp.pairs = append(mp.pairs, Pair{k, v})
	}
	mp.sort()
	return mp
}

// Get returns the value for key and whether it exists.
func (m Mapping) Get(key string) (string, bool) {
	for _, p := range m.pairs {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Value returns the value for key, or "".
func (m Mapping) Value(key string) string { v, _ := m.Get(key); return v }

// Set adds or replaces key.
func (m *Mapping) Set(key, value string) {
	for i := range m.pairs {
		if m.pairs[i].Key == key {
			m.pairs[i].Value = value
			return
		}
	}
	m.pairs = append(m.pairs, Pair{key, value})
}

// Delete removes key if present.
func (m *Mapping) Delete(key string) {
	m.pairs = slices.DeleteFunc(m.pairs, func(p Pair) bool { return p.Key == key })
}

// Pairs returns the entries in their current order (parse order, or
// sorted after Append).
func (m Mapping) Pairs() []Pair { return slices.Clone(m.pairs) }

// Len is the number of entries.
func (m Mapping) Len() int { return len(m.pairs) }

// Map returns the entries as a Go map.
func (m Mapping) Map() map[string]string {
	out := make(map[string]string, len(m.pairs))
	for _, p := range m.pairs {
		out[p.Key] = p.Value
	}
	return out
}

// javaCompare orders strings as Java's String.compareTo: by UTF-16 code
// unit, which differs from byte order only above U+FFFF vs U+E000–U+FFFF.
func javaCompare(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	return slices.Compare(ua, ub)
}

func (m *Mapping) sort() {
	slices.SortStableFunc(m.pairs, func(x, y Pair) int { return javaCompare(x.Key, y.Key) })
}

// Append sorts m and appends its wire form to b.
func (m *Mapping) Append(b []byte) ([]byte, error) {
	m.sort()
	start := len(b)
	b = append(b, 0, 0)
	for i, p := range m.pairs {
		if i > 0 && p.Key == m.pairs[i-1].Key {
			return b[:start], fmt.Errorf("data: mapping: duplicate key %q", p.Key)
		}
		if strings.ContainsAny(p.Key, "=;") || strings.ContainsAny(p.Value, ";") {
			return b[:start], fmt.Errorf("data: mapping: key %q or its value contains '=' or ';'", p.Key)
		}
		var err error
		if b, err = appendString(b, p.Key); err != nil {
			return b[:start], fmt.Errorf("data: mapping: key: %w", err)
		}
		b = append(b, '=')
		if b, err = appendString(b, p.Value); err != nil {
			return b[:start], fmt.Errorf("data: mapping: value of %q: %w", p.Key, err)
		}
		b = append(b, ';')
	}
	size := len(b) - start - 2
	if size > maxMappingSize {
		return b[:start], fmt.Errorf("data: mapping: %d bytes exceeds 65535", size)
	}
	binary.BigEndian.PutUint16(b[start:], uint16(size))
	return b, nil
}

// ParseMapping parses a Mapping at the start of b and returns the rest.
func ParseMapping(b []byte) (Mapping, []byte, error) {
	r := &reader{b: b}
	m, err := r.mapping()
	if err != nil {
		return Mapping{}, nil, perr("Mapping", "", err)
	}
	return m, r.rest(), nil
}

func (r *reader) mapping() (Mapping, error) {
	size, err := r.u16()
	if err != nil {
		return Mapping{}, err
	}
	body, err := r.bytes(int(size))
	if err != nil {
		return Mapping{}, err
	}
	br := &reader{b: body}
	var m Mapping
	seen := make(map[string]struct{})
	for br.remaining() > 0 {
		k, err := br.str()
		if err != nil {
			return Mapping{}, fmt.Errorf("key %d: %w", len(m.pairs), err)
		}
		if c, err := br.u8(); err != nil || c != '=' {
			return Mapping{}, invalidf("key %q: missing '='", k)
		}
		v, err := br.str()
		if err != nil {
			return Mapping{}, fmt.Errorf("value of %q: %w", k, err)
		}
		if c, err := br.u8(); err != nil || c != ';' {
			return Mapping{}, invalidf("value of %q: missing ';'", k)
		}
		if _, dup := seen[k]; dup {
			return Mapping{}, invalidf("duplicate key %q", k)
		}
		seen[k] = struct{}{}
		m.pairs = append(m.pairs, Pair{k, v})
	}
	return m, nil
}
