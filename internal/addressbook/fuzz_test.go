package addressbook

import (
	"bytes"
	"strings"
	"testing"
)

// fuzzSeeds are hosts.txt lines of every kind, signed ones included.
func fuzzSeeds(t testing.TB) []string {
	a, b := newTestDest(t), newTestDest(t)
	return []string{
		"example.i2p=" + a.b64,
		"# comment",
		"",
		sign(t, "a.i2p", a, nil, nil),
		sign(t, "a.i2p", b, map[string]string{"action": "changedest", "olddest": a.b64}, &a),
		sign(t, "x.a.i2p", b, map[string]string{"action": "addsubdomain", "oldname": "a.i2p", "olddest": a.b64}, &a),
		sign(t, "n.i2p", a, map[string]string{"action": "changename", "oldname": "a.i2p"}, nil),
		sign(t, "", a, map[string]string{"action": "remove", "name": "a.i2p", "dest": a.b64}, nil),
		sign(t, "", a, map[string]string{"action": "removeall", "dest": a.b64}, nil),
		"#!action=remove#name=a.i2p",
		"a.i2p=" + a.b64 + "#!sig=",
	}
}

// FuzzParseHostsTxt feeds whole files to the parser and merge: no
// panic, the book stays within its cap, and what was kept reads back.
func FuzzParseHostsTxt(f *testing.F) {
	seeds := fuzzSeeds(f)
	f.Add([]byte(strings.Join(seeds, "\n")))
	f.Add([]byte(strings.Join(seeds, "\r\n")))
	f.Add([]byte("a.i2p=\n\n\n#!\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		b := NewBook(8)
		var st Stats
		m := merger{book: b, st: &st}
		if err := ParseHostsTxt(bytes.NewReader(in), m.apply, &st); err != nil {
			t.Fatalf("error below the size cap: %v", err)
		}
		if b.Len() > 8 {
			t.Fatalf("book of %d names, cap 8", b.Len())
		}
		var out bytes.Buffer
		if _, err := b.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		again := NewBook(8)
		var st2 Stats
		m2 := merger{book: again, st: &st2}
		if err := ParseHostsTxt(&out, m2.apply, &st2); err != nil || st2.Added != b.Len() {
			t.Fatalf("round trip: %+v %v, want %d names", st2, err, b.Len())
		}
	})
}

// FuzzParseLine checks one line, signed or not: parse and verify
// return errors, never panic; a line that parses re-serializes to a
// line that parses to the same name and destination.
func FuzzParseLine(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLine(s)
		if err != nil {
			return
		}
		if l.Signed() {
			l.Verify() // errors are fine; panics are not
		}
		if l.Name == "" {
			return
		}
		again, err := ParseLine(string(l.signedBytes()))
		if err != nil || again.Name != l.Name || again.Dest.Hash() != l.Dest.Hash() {
			t.Fatalf("re-parse of %q: %v", l.signedBytes(), err)
		}
	})
}
