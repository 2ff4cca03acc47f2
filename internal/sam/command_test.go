package sam

import (
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line      string
		verb, sub string
		pairs     []Pair
		text      string
	}{
		{"HELLO VERSION MIN=3.1 MAX=3.1", "HELLO", "VERSION", []Pair{{"MIN", "3.1"}, {"MAX", "3.1"}}, ""},
		{"hello version", "HELLO", "VERSION", nil, ""},
		{"HELLO VERSION\r", "HELLO", "VERSION", nil, ""},
		{"  SESSION   CREATE\tSTYLE=STREAM  ID=a  ", "SESSION", "CREATE", []Pair{{"STYLE", "STREAM"}, {"ID", "a"}}, ""},
		{`HELLO VERSION USER="a b" PASSWORD="q\"uo\\te"`, "HELLO", "VERSION", []Pair{{"USER", "a b"}, {"PASSWORD", `q"uo\te`}}, ""},
		{`NAMING LOOKUP NAME=ME OPTIONS`, "NAMING", "LOOKUP", []Pair{{"NAME", "ME"}, {"OPTIONS", ""}}, ""},
		{`X Y K= L=""`, "X", "Y", []Pair{{"K", ""}, {"L", ""}}, ""},
		{`SESSION CREATE i2cp.leaseSetEncType=4,0 inbound.length=3 V=a=b`, "SESSION", "CREATE",
			[]Pair{{"i2cp.leaseSetEncType", "4,0"}, {"inbound.length", "3"}, {"V", "a=b"}}, ""},
		{"PING hello there", "PING", "", nil, "hello there"},
		{"PING", "PING", "", nil, ""},
		{"QUIT", "QUIT", "", nil, ""},
		{"DATAGRAM SEND DESTINATION=abc SIZE=3", "DATAGRAM", "SEND", []Pair{{"DESTINATION", "abc"}, {"SIZE", "3"}}, ""},
		{"QUIT A=b", "QUIT", "", []Pair{{"A", "b"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			c, err := ParseCommand(tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if c.Verb != tc.verb || c.Sub != tc.sub || c.Text != tc.text || len(c.Pairs) != len(tc.pairs) {
				t.Fatalf("got %+v", c)
			}
			for i := range c.Pairs {
				if c.Pairs[i] != tc.pairs[i] {
					t.Fatalf("pair %d: %+v, want %+v", i, c.Pairs[i], tc.pairs[i])
				}
			}
		})
	}
	for _, bad := range []string{"", "   ", `A B K="unterminated`, "=x", "A B =v", `"A" B`, strings.Repeat("a", MaxLine+1),
		"A B " + strings.Repeat("K=V ", maxPairs+1)} {
		if _, err := ParseCommand(bad); err == nil {
			t.Errorf("%.40q parsed", bad)
		}
	}
	c, _ := ParseCommand("SESSION CREATE id=x ID=y style=raw")
	if c.Value("ID") != "y" || c.Value("STYLE") != "raw" || c.Value("Id") != "y" {
		t.Errorf("Get: %+v", c)
	}
}

func TestReplyString(t *testing.T) {
	tests := []struct {
		r    Reply
		want string
	}{
		{reply("HELLO", "REPLY", "RESULT", "OK", "VERSION", "3.3"), "HELLO REPLY RESULT=OK VERSION=3.3\n"},
		{reply("SESSION", "STATUS", "RESULT", "I2P_ERROR", "MESSAGE", "no such thing"), "SESSION STATUS RESULT=I2P_ERROR MESSAGE=\"no such thing\"\n"},
		{reply("X", "Y", "K", `a"b\c`), `X Y K="a\"b\\c"` + "\n"},
		{reply("X", "Y", "K", "line\nbreak"), "X Y K=\"line break\"\n"},
		{reply("X", "Y", "K", ""), "X Y K=\"\"\n"},
		{reply("STREAM", "STATUS", "RESULT", "OK"), "STREAM STATUS RESULT=OK\n"},
	}
	for _, tc := range tests {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
		// What we write, we read back.
		c, err := ParseCommand(strings.TrimSuffix(tc.r.String(), "\n"))
		if err != nil {
			t.Errorf("%q: %v", tc.want, err)
			continue
		}
		for i, p := range c.Pairs {
			if want := strings.NewReplacer("\n", " ").Replace(tc.r.Pairs[i].Value); p.Value != want {
				t.Errorf("%q: read back %q", tc.want, p.Value)
			}
		}
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		min, max string
		want     string
		ok       bool
	}{
		{"", "", "3.3", true},
		{"3.1", "3.1", "3.1", true},
		{"3", "3", "3.3", true},
		{"3.0", "3.2", "3.2", true},
		{"3.1", "", "3.3", true},
		{"", "3.0", "3.0", true},
		{"1", "2", "", false},
		{"3.4", "4", "", false},
		{"2.0", "3.1", "3.1", true},
		{"", "4.0", "3.3", true},
	}
	for _, tc := range tests {
		v, ok, bad := negotiate(tc.min, tc.max)
		if bad != "" || ok != tc.ok || ok && v.String() != tc.want {
			t.Errorf("MIN=%s MAX=%s: %v %v %q", tc.min, tc.max, v, ok, bad)
		}
	}
	if _, _, bad := negotiate("x", ""); bad == "" {
		t.Error("MIN=x accepted")
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"HELLO VERSION MIN=3.1 MAX=3.3",
		`SESSION CREATE STYLE=STREAM ID=x DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp.leaseSetEncType=4,0`,
		`HELLO VERSION USER="a \"b\"" PASSWORD="c\\d"`,
		"PING 123", "STREAM ACCEPT ID=x SILENT=false", "NAMING LOOKUP NAME=ME OPTIONS=true",
		`X Y K="unterminated`, "", "\t\t", "DATAGRAM SEND DESTINATION=abc SIZE=10",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseCommand(line)
		if err != nil {
			return
		}
		if len(c.Pairs) > maxPairs {
			t.Fatalf("%d pairs", len(c.Pairs))
		}
		// A parsed command formats as a reply and parses back the same.
		if c.Verb == "PING" || c.Verb == "PONG" || strings.ContainsAny(c.Verb+c.Sub, "\"\\ \t\r\n") {
			return
		}
		r := Reply{Verb: c.Verb, Sub: c.Sub, Pairs: c.Pairs}
		c2, err := ParseCommand(strings.TrimSuffix(r.String(), "\n"))
		if err != nil {
			t.Fatalf("%q: re-parse: %v", r.String(), err)
		}
		if len(c2.Pairs) != len(c.Pairs) {
			t.Fatalf("%q: %d pairs, then %d", r.String(), len(c.Pairs), len(c2.Pairs))
		}
		for i := range c.Pairs {
			want := strings.Map(func(r rune) rune {
				if r == '\n' || r == '\r' || r == 0 {
					return ' '
				}
				return r
			}, c.Pairs[i].Value)
			if c2.Pairs[i].Key != c.Pairs[i].Key || c2.Pairs[i].Value != want {
				t.Fatalf("%q: pair %d %+v then %+v", r.String(), i, c.Pairs[i], c2.Pairs[i])
			}
		}
	})
}

// FuzzUDP feeds packets of the UDP port to a bridge with one datagram
// and one raw session: errors, never a panic.
func FuzzUDP(f *testing.F) {
	for _, s := range []string{"3.0 dg AAAA\nhello", "3.3 raw x.b32.i2p FROM_PORT=1 TO_PORT=2 PROTOCOL=18\nx",
		"3.1 dg \"quoted\nx", "no newline", "3.0\n", "2.0 dg a\nb", "3.3 raw a PROTOCOL=6\nx"} {
		f.Add([]byte(s))
	}
	s := &Server{sessions: map[string]*sub{}, sending: make(chan struct{}, 1)}
	d := &dest{srv: s}
	s.sessions["dg"] = &sub{d: d, id: "dg", style: styleDatagram, proto: protoRaw}
	s.sessions["raw"] = &sub{d: d, id: "raw", style: styleRaw, proto: protoRaw}
	s.sending <- struct{}{} // full: nothing is really sent
	f.Fuzz(func(t *testing.T, pkt []byte) {
		s.handleUDP(pkt)
	})
}
