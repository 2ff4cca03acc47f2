package addressbook

import (
	"io"
	"strings"
	"testing"
)

func feed(lines ...string) *strings.Reader {
	return strings.NewReader(strings.Join(lines, "\n") + "\n")
}

func TestMergeRules(t *testing.T) {
	a, b, c := newTestDest(t), newTestDest(t), newTestDest(t)
	ab, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	look := func(name string) string {
		d, ok := ab.Lookup(name)
		switch {
		case !ok:
			return "-"
		case d.Hash() == a.dest.Hash():
			return "a"
		case d.Hash() == b.dest.Hash():
			return "b"
		case d.Hash() == c.dest.Hash():
			return "c"
		}
		return "?"
	}
	steps := []struct {
		name  string
		line  string
		check map[string]string
	}{
		{"plain add", "one.i2p=" + a.b64, map[string]string{"one.i2p": "a"}},
		{"first name kept wins", "one.i2p=" + b.b64, map[string]string{"one.i2p": "a"}},
		{"signed add does not take over", sign(t, "one.i2p", b, nil, nil), map[string]string{"one.i2p": "a"}},
		{"changedest with wrong olddest", sign(t, "one.i2p", c, map[string]string{"action": "changedest", "olddest": b.b64}, &b), map[string]string{"one.i2p": "a"}},
		{"changedest", sign(t, "one.i2p", b, map[string]string{"action": "changedest", "olddest": a.b64}, &a), map[string]string{"one.i2p": "b"}},
		{"forged changedest", strings.Replace(sign(t, "one.i2p", c, map[string]string{"action": "changedest", "olddest": b.b64}, &c), "oldsig=", "oldsig=A", 1), map[string]string{"one.i2p": "b"}},
		{"changedest of free name adds", sign(t, "two.i2p", c, map[string]string{"action": "changedest", "olddest": a.b64}, &a), map[string]string{"two.i2p": "c"}},
		{"addname", sign(t, "alias.i2p", b, map[string]string{"action": "addname", "oldname": "one.i2p"}, nil), map[string]string{"alias.i2p": "b"}},
		{"changename", sign(t, "renamed.i2p", c, map[string]string{"action": "changename", "oldname": "two.i2p"}, nil), map[string]string{"two.i2p": "-", "renamed.i2p": "c"}},
		{"changename by other key", sign(t, "stolen.i2p", a, map[string]string{"action": "changename", "oldname": "renamed.i2p"}, nil), map[string]string{"renamed.i2p": "c", "stolen.i2p": "a"}},
		{"remove with wrong dest", sign(t, "", a, map[string]string{"action": "remove", "name": "one.i2p", "dest": a.b64}, nil), map[string]string{"one.i2p": "b"}},
		{"remove", sign(t, "", b, map[string]string{"action": "remove", "name": "one.i2p", "dest": b.b64}, nil), map[string]string{"one.i2p": "-", "alias.i2p": "b"}},
		{"unsigned remove", "#!action=remove#name=alias.i2p#dest=" + b.b64, map[string]string{"alias.i2p": "b"}},
		{"removeall", sign(t, "", b, map[string]string{"action": "removeall", "dest": b.b64}, nil), map[string]string{"alias.i2p": "-"}},
		{"addsubdomain", sign(t, "sub.renamed.i2p", a, map[string]string{"action": "addsubdomain", "oldname": "renamed.i2p", "olddest": c.b64}, &c), map[string]string{"sub.renamed.i2p": "a"}},
		{"adddest keeps the name", sign(t, "renamed.i2p", b, map[string]string{"action": "adddest", "olddest": c.b64}, &c), map[string]string{"renamed.i2p": "c"}},
	}
	for _, s := range steps {
		st, err := ab.Merge(feed(s.line))
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for n, want := range s.check {
			if got := look(n); got != want {
				t.Errorf("%s: %s is %s, want %s (stats %+v)", s.name, n, got, want, st)
			}
		}
	}
	if n, ok := ab.Reverse(a.dest.Hash()); !ok || n != "stolen.i2p" && n != "sub.renamed.i2p" {
		t.Errorf("Reverse(a) = %q %v", n, ok)
	}
	// The router book survives a reopen.
	again, err := Open(ab.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if again.Router().Len() != ab.Router().Len() || again.Router().Len() == 0 {
		t.Errorf("reopened book has %d names, want %d", again.Router().Len(), ab.Router().Len())
	}
}

func TestPrivateBookFirst(t *testing.T) {
	a, b := newTestDest(t), newTestDest(t)
	dir := t.TempDir()
	ab, err := Open(Config{Dir: dir, HostsFile: dir + "/export.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ab.Merge(feed("site.i2p=" + a.b64)); err != nil {
		t.Fatal(err)
	}
	if err := ab.AddPrivate("Site.i2p", b.dest, false); err != nil {
		t.Fatal(err)
	}
	if h, err := ab.Resolve(t.Context(), "SITE.i2p"); err != nil || h != b.dest.Hash() {
		t.Fatalf("Resolve = %v, %v; want the private one", h, err)
	}
	if err := ab.AddPrivate("site.i2p", a.dest, false); err == nil {
		t.Fatal("AddPrivate over a held name without replace succeeded")
	}
	if err := ab.AddPrivate("bad..i2p", a.dest, false); err == nil {
		t.Fatal("AddPrivate of a bad name succeeded")
	}
	if ok, err := ab.Remove("site.i2p"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if h, _ := ab.Resolve(t.Context(), "site.i2p"); h != a.dest.Hash() {
		t.Fatal("router book's name not found after removing the private one")
	}
	if _, err := ab.Resolve(t.Context(), "nothere.i2p"); err == nil {
		t.Fatal("unknown name resolved")
	}
	// The published copy (addressbook.hostsfile) has the router book.
	pub := NewBook(0)
	if st, err := pub.Load(dir + "/export.txt"); err != nil || st.Added != 1 {
		t.Fatalf("export: %+v %v", st, err)
	}
}

func TestHostileHostsTxt(t *testing.T) {
	a, b := newTestDest(t), newTestDest(t)
	var sb strings.Builder
	sb.WriteString("good.i2p=" + a.b64 + "\n")
	sb.WriteString(strings.Repeat("x", 3*MaxLineLen) + "\n") // huge line
	sb.WriteString("\x00\xff garbage=\n=\n==\n#!\n#!=\n")
	sb.WriteString(strings.Replace(sign(t, "forged.i2p", b, nil, nil), "sig=", "sig=AAAA", 1) + "\n")
	sb.WriteString(sign(t, "good.i2p", b, map[string]string{"action": "changedest", "olddest": a.b64}, &b) + "\n") // oldsig by b: forged
	sb.WriteString("after.i2p=" + b.b64)                                                                           // no final newline
	ab, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	st, err := ab.Merge(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 2 || st.BadSig != 2 || st.Bad < 4 {
		t.Errorf("stats %+v", st)
	}
	if h, _ := ab.Resolve(t.Context(), "good.i2p"); h != a.dest.Hash() {
		t.Error("forged changedest applied")
	}
	if _, ok := ab.Lookup("forged.i2p"); ok {
		t.Error("badly signed add applied")
	}

	// Bigger than MaxFileSize: the lines before the cap count, then an error.
	big := &repeatReader{line: []byte("# padding padding padding padding padding padding\n"), n: MaxFileSize + 100}
	if _, err := ab.Merge(big); err == nil {
		t.Error("oversized feed accepted")
	}

	// A book is capped.
	small := NewBook(2)
	var st2 Stats
	m := merger{book: small, st: &st2}
	for i, d := range []testDest{a, b, newTestDest(t)} {
		l, _ := ParseLine(string(rune('a'+i)) + ".i2p=" + d.b64)
		m.apply(l)
	}
	if small.Len() != 2 || st2.Conflicts != 1 {
		t.Errorf("capped book: %d names, stats %+v", small.Len(), st2)
	}
}

// repeatReader yields line again and again, n bytes in all.
type repeatReader struct {
	line []byte
	off  int
	n    int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.n > 0 {
		c := copy(p[k:min(len(p), k+r.n)], r.line[r.off:])
		k += c
		r.n -= c
		r.off = (r.off + c) % len(r.line)
	}
	return k, nil
}
