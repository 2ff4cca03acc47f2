package sam

import (
	"errors"
	"fmt"
	"strings"
)

// The command line (samv3.html, "Encoding and Escaping"): two words, the
// command and its subcommand (one word alone for PING, QUIT, HELP, …),
// then KEY=VALUE pairs separated by spaces. A value is quoted when it
// holds spaces; inside quotes a backslash escapes a quote or a
// backslash (3.2). Real clients differ from the text, and the parser
// takes what they send: several spaces or tabs between pairs, a
// carriage return before the newline, lower-case commands (the spec
// recommends mapping them to upper case), keys of SAM's own options in
// any case, a key without "=" (an empty value), unpadded Base64.
// Values are never case-mapped: they may be I2CP options.

// MaxLine bounds a command line. A SESSION CREATE with an ECDSA-P521
// private key and many I2CP options stays well under it.
const MaxLine = 16 << 10

// maxPairs bounds the KEY=VALUE pairs of one command.
const maxPairs = 128

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("sam: bad command")

// Command is one parsed command line.
type Command struct {
	Verb, Sub string // upper-cased; Sub is empty for one-word commands
	// Pairs are the options in the order given, keys as given.
	Pairs []Pair
	// Text is what follows the verb of a PING or PONG, as given.
	Text string
}

// Pair is one KEY=VALUE option.
type Pair struct{ Key, Value string }

// Get returns the value of SAM option key (matched in any case) and
// whether it was given; the last of repeated keys wins, as with Java's
// Properties.
func (c *Command) Get(key string) (string, bool) {
	for i := len(c.Pairs) - 1; i >= 0; i-- {
		if strings.EqualFold(c.Pairs[i].Key, key) {
			return c.Pairs[i].Value, true
		}
	}
	return "", false
}

// Value returns the value of key, or "" when it is absent.
func (c *Command) Value(key string) string {
	v, _ := c.Get(key)
	return v
}

// ParseCommand parses one line, without its "\n".
func ParseCommand(line string) (Command, error) {
	if len(line) > MaxLine {
		return Command{}, fmt.Errorf("%w: line of %d bytes, at most %d", ErrSyntax, len(line), MaxLine)
	}
	line = strings.TrimRight(line, "\r\n")
	trimmed := strings.TrimLeft(line, " \t")
	// PING and PONG take arbitrary text, echoed as it is.
	verb, rest, _ := strings.Cut(trimmed, " ")
	if u := strings.ToUpper(verb); u == "PING" || u == "PONG" {
		return Command{Verb: u, Text: rest}, nil
	}
	toks, err := tokenize(line)
	if err != nil {
		return Command{}, err
	}
	if len(toks) == 0 {
		return Command{}, fmt.Errorf("%w: empty line", ErrSyntax)
	}
	c := Command{Verb: strings.ToUpper(toks[0].text)}
	if toks[0].quoted || strings.Contains(toks[0].text, "=") {
		return Command{}, fmt.Errorf("%w: %q is not a command", ErrSyntax, toks[0].text)
	}
	toks = toks[1:]
	if len(toks) > 0 && !toks[0].quoted && !strings.Contains(toks[0].text, "=") {
		c.Sub = strings.ToUpper(toks[0].text)
		toks = toks[1:]
	}
	if len(toks) > maxPairs {
		return Command{}, fmt.Errorf("%w: %d options, at most %d", ErrSyntax, len(toks), maxPairs)
	}
	for _, t := range toks {
		k, v, _ := strings.Cut(t.text, "=")
		if t.keyQuoted {
			return Command{}, fmt.Errorf("%w: quoted key in %q", ErrSyntax, t.text)
		}
		if k == "" {
			return Command{}, fmt.Errorf("%w: option %q has no key", ErrSyntax, t.text)
		}
		c.Pairs = append(c.Pairs, Pair{Key: k, Value: v})
	}
	return c, nil
}

// token is one space-separated word, its quotes removed.
type token struct {
	text      string
	quoted    bool // a quote appeared in it
	keyQuoted bool // a quote appeared before its first "="
}

// tokenize splits a line at spaces and tabs outside double quotes.
func tokenize(line string) ([]token, error) {
	var (
		toks    []token
		cur     strings.Builder
		in      bool // inside quotes
		started bool
		t       token
	)
	flush := func() {
		if started {
			t.text = cur.String()
			toks = append(toks, t)
		}
		cur.Reset()
		started, t = false, token{}
	}
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case in && ch == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\'):
			i++
			cur.WriteByte(line[i])
		case ch == '"':
			in = !in
			started, t.quoted = true, true
			if !strings.Contains(cur.String(), "=") {
				t.keyQuoted = true
			}
		case !in && (ch == ' ' || ch == '\t'):
			flush()
		case ch == '\n' || ch == 0:
			return nil, fmt.Errorf("%w: control character in line", ErrSyntax)
		default:
			cur.WriteByte(ch)
			started = true
		}
		if len(toks) > maxPairs+2 {
			return nil, fmt.Errorf("%w: more than %d options", ErrSyntax, maxPairs)
		}
	}
	if in {
		return nil, fmt.Errorf("%w: unterminated quote", ErrSyntax)
	}
	flush()
	return toks, nil
}

// Reply is one line the bridge sends: two words, then KEY=VALUE pairs.
type Reply struct {
	Verb, Sub string
	Pairs     []Pair
}

// reply builds a Reply from alternating keys and values.
func reply(verb, sub string, kv ...string) Reply {
	r := Reply{Verb: verb, Sub: sub}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Pairs = append(r.Pairs, Pair{kv[i], kv[i+1]})
	}
	return r
}

// With returns r with one more pair.
func (r Reply) With(key, value string) Reply {
	r.Pairs = append(r.Pairs[:len(r.Pairs):len(r.Pairs)], Pair{key, value})
	return r
}

// String formats r with its "\n": single spaces, and quotes only around
// a value that needs them (a space, a tab, a quote, a backslash, or
// nothing at all), as libtorrent and other strict readers expect.
func (r Reply) String() string {
	var b strings.Builder
	b.WriteString(r.Verb)
	if r.Sub != "" {
		b.WriteByte(' ')
		b.WriteString(r.Sub)
	}
	for _, p := range r.Pairs {
		b.WriteByte(' ')
		b.WriteString(p.Key)
		b.WriteByte('=')
		b.WriteString(quote(p.Value))
	}
	b.WriteByte('\n')
	return b.String()
}

// quote returns v as a reply value: as it is unless it needs quotes.
// Newlines would end the line early; they become spaces.
func quote(v string) string {
	v = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == 0 {
			return ' '
		}
		return r
	}, v)
	if v != "" && !strings.ContainsAny(v, " \t\"\\") {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}
