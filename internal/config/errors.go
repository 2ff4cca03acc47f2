package config

import (
	"errors"
	"fmt"
	"iter"
	"strings"
)

// Sentinel errors. Every error Load, ParseTunnels and LoadTunnels return
// for bad input is an *Error wrapping one of the first four.
var (
	ErrSyntax        = errors.New("syntax error")
	ErrUnknownOption = errors.New("unknown option")
	ErrDuplicate     = errors.New("given twice")
	ErrInvalidValue  = errors.New("invalid value")

	// ErrHelp and ErrVersion are returned by Load, unwrapped, when the
	// command line asks for --help (or -h) or --version; the caller prints
	// Usage or its version and exits 0.
	ErrHelp    = errors.New("config: help requested")
	ErrVersion = errors.New("config: version requested")
)

// SourceCommandLine is Error.Source for options given as arguments.
const SourceCommandLine = "command line"

// Error is a bad option or line, located where the user wrote it.
//
//	config: /home/u/.veil/i2pd.conf:12: unknown option "ntcp2.prot" (did you mean "ntcp2.port"?)
//	config: command line: --netid: "abc" is not an integer
type Error struct {
	Source string // a file path, or SourceCommandLine
	Line   int    // 1-based line in Source; 0 on the command line
	Option string // as written: "--netid", "ntcp2.port", "[web] port"; "" for a bad line
	Err    error  // wraps one of the sentinel errors
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	b.WriteString(e.Source)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	// An unknown option's message already quotes the name.
	if e.Option != "" && !errors.Is(e.Err, ErrUnknownOption) {
		b.WriteString(e.Option)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// detail is an error message that matches a sentinel with errors.Is
// without repeating the sentinel's text.
type detail struct {
	kind error
	msg  string
}

func (d *detail) Error() string { return d.msg }
func (d *detail) Unwrap() error { return d.kind }

func errorf(kind error, format string, args ...any) error {
	return &detail{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// unknownOption builds the message for a name that is not registered,
// with the closest registered name when one is near; where says where the
// name was looked up (" in tunnel [web]"), if not among the options.
func unknownOption(written, name string, names iter.Seq[string], where string) error {
	msg := fmt.Sprintf("unknown option %q%s", written, where)
	if s := suggest(name, names); s != "" {
		prefix := ""
		if strings.HasPrefix(written, "-") {
			prefix = "--"
		}
		msg += fmt.Sprintf(" (did you mean %q?)", prefix+s)
	}
	return &detail{kind: ErrUnknownOption, msg: msg}
}

// suggest returns the candidate nearest to name (case-insensitive edit
// distance at most 2), or "".
func suggest(name string, candidates iter.Seq[string]) string {
	const maxName = 64 // a long key is no typo; keep the work small
	if name == "" || len(name) > maxName {
		return ""
	}
	best, bestD := "", 3
	lower := strings.ToLower(name)
	for c := range candidates {
		if d := editDistance(lower, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
