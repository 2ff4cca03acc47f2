package addressbook

import (
	"errors"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	d := newTestDest(t)
	skip := []string{"", "   ", "# a comment", "#comment with #!action=remove", "  # indented"}
	for _, s := range skip {
		if _, err := ParseLine(s); !errors.Is(err, ErrSkip) {
			t.Errorf("ParseLine(%q) = %v, want ErrSkip", s, err)
		}
	}
	for _, s := range []string{"Example.i2p=" + d.b64, "example.i2p=" + d.b64 + "\r", "example.i2p = " + d.b64 + " # note"} {
		l, err := ParseLine(s)
		if err != nil {
			t.Fatalf("ParseLine(%.30q…): %v", s, err)
		}
		if l.Name != "example.i2p" || l.Dest.Hash() != d.dest.Hash() || l.Signed() {
			t.Errorf("ParseLine(%.30q…) = %s %v signed %v", s, l.Name, l.Dest.Hash(), l.Signed())
		}
	}
	bad := map[string]string{
		"no equals":      "example.i2p",
		"bad name":       "ex..ample.i2p=" + d.b64,
		"short dest":     "example.i2p=" + d.b64[:100],
		"bad base64":     "example.i2p=" + strings.Repeat("!", 520),
		"trailing bytes": "example.i2p=" + d.b64 + "AAAA",
		"unknown action": "example.i2p=" + d.b64 + "#!action=frob#sig=x",
		"dup key":        "example.i2p=" + d.b64 + "#!sig=a#sig=b",
		"empty key":      "example.i2p=" + d.b64 + "#!=a",
		"no value":       "example.i2p=" + d.b64 + "#!sig",
		"command alone":  "#!action=changedest#sig=x",
		"remove no dest": "#!action=remove#name=example.i2p#sig=x",
		"remove no name": "#!action=remove#dest=" + d.b64 + "#sig=x",
		"too long":       "example.i2p=" + d.b64 + "#!x=" + strings.Repeat("a", MaxLineLen),
		"too many keys":  "example.i2p=" + d.b64 + "#!" + strings.Repeat("k=v#", 20) + "sig=x",
		"huge dest":      "example.i2p=" + strings.Repeat("A", 2000),
	}
	for name, s := range bad {
		if _, err := ParseLine(s); err == nil || errors.Is(err, ErrSkip) {
			t.Errorf("%s: ParseLine accepted it (%v)", name, err)
		}
	}
}

func TestSignedLines(t *testing.T) {
	a, b := newTestDest(t), newTestDest(t)
	cases := []struct {
		name string
		line string
		ok   bool
	}{
		{"add", sign(t, "a.i2p", a, nil, nil), true},
		{"add with date", sign(t, "a.i2p", a, map[string]string{"date": "1700000000"}, nil), true},
		{"add signed by other", strings.Replace(sign(t, "a.i2p", b, nil, nil), b.b64, a.b64, 1), false},
		{"changedest", sign(t, "a.i2p", b, map[string]string{"action": "changedest", "olddest": a.b64}, &a), true},
		{"changedest no oldsig", sign(t, "a.i2p", b, map[string]string{"action": "changedest", "olddest": a.b64}, nil), false},
		{"changedest oldsig by wrong key", sign(t, "a.i2p", b, map[string]string{"action": "changedest", "olddest": a.b64}, &b), false},
		{"adddest", sign(t, "a.i2p", b, map[string]string{"action": "adddest", "olddest": a.b64}, &a), true},
		{"addsubdomain", sign(t, "x.a.i2p", b, map[string]string{"action": "addsubdomain", "oldname": "a.i2p", "olddest": a.b64}, &a), true},
		{"addsubdomain not under", sign(t, "x.c.i2p", b, map[string]string{"action": "addsubdomain", "oldname": "a.i2p", "olddest": a.b64}, &a), false},
		{"changename", sign(t, "new.i2p", a, map[string]string{"action": "changename", "oldname": "a.i2p"}, nil), true},
		{"changename no oldname", sign(t, "new.i2p", a, map[string]string{"action": "changename"}, nil), false},
		{"addname", sign(t, "alias.i2p", a, map[string]string{"action": "addname", "oldname": "a.i2p"}, nil), true},
		{"update", sign(t, "a.i2p", a, map[string]string{"action": "update", "k": "v"}, nil), true},
		{"remove", sign(t, "", a, map[string]string{"action": "remove", "name": "a.i2p", "dest": a.b64}, nil), true},
		{"removeall", sign(t, "", a, map[string]string{"action": "removeall", "dest": a.b64}, nil), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := ParseLine(c.line)
			if err != nil {
				if c.ok {
					t.Fatalf("ParseLine: %v", err)
				}
				return
			}
			_, err = l.Verify()
			if (err == nil) != c.ok {
				t.Fatalf("Verify = %v, want ok %v", err, c.ok)
			}
			if err == nil {
				// Any changed byte breaks it.
				for _, mod := range []string{strings.Replace(c.line, "i2p", "i2q", 1), c.line + "#extra=1"} {
					if mod == c.line {
						continue
					}
					if ml, err := ParseLine(mod); err == nil {
						if _, err := ml.Verify(); err == nil {
							t.Errorf("modified line %.60q… verified", mod)
						}
					}
				}
			}
		})
	}
}
