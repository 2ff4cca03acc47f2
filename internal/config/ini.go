package config

import (
	"bytes"
	"fmt"
	"strings"
)

// Limits on what a configuration file may make this package hold. i2pd's
// own files are a few KiB; these leave room for thousands of tunnels.
const (
	maxFileSize   = 1 << 20 // bytes in one file
	maxINIEntries = 1 << 16 // sections plus key = value lines in one file
)

// iniEntry is one meaningful line of an INI file: a [section] header or a
// key = value pair. Key and Value are substrings of the input, so the
// parser holds at most the input plus one entry per line.
type iniEntry struct {
	Line    int    // 1-based
	Section string // the header's name, or the section a pair is in ("" before any header)
	Header  bool   // a [section] line; Key and Value are empty
	Key     string
	Value   string
}

// iniDialect says how comments work; i2pd reads its two files with two
// different boost parsers and veil reads each file the way i2pd does, so a
// file means the same thing to both.
type iniDialect uint8

const (
	// dialectConf is i2pd.conf (boost::program_options): '#' starts a
	// comment anywhere on a line, so a value cannot hold '#'. veil also
	// takes a line starting with ';' as a comment, which i2pd refuses.
	dialectConf iniDialect = iota
	// dialectTunnels is tunnels.conf (boost::property_tree): a line is a
	// comment only if it starts with '#' or ';'; elsewhere '#' is data.
	dialectTunnels
)

// parseINI splits data into entries. It checks only the shape of each
// line: a header is "[name]" with a non-empty name, a pair has a non-empty
// key before its first '='. Keys and values are trimmed of spaces and
// tabs; control characters other than tab (and CR at the end of a line)
// are an error. source names the file in errors.
func parseINI(source string, data []byte, d iniDialect) ([]iniEntry, error) {
	if len(data) > maxFileSize {
		return nil, &Error{Source: source, Err: errorf(ErrSyntax, "file is larger than %d bytes", maxFileSize)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM, as Windows editors write
	text := string(data)
	// Every entry has a '=' or a '[': one allocation, at most 64 bytes per
	// input byte and at most maxINIEntries entries.
	entries := make([]iniEntry, 0, min(strings.Count(text, "=")+strings.Count(text, "["), maxINIEntries))
	section := ""
	for n := 1; len(text) > 0; n++ {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		line = strings.TrimSuffix(line, "\r")
		if i := strings.IndexFunc(line, isControl); i >= 0 {
			return nil, &Error{Source: source, Line: n, Err: errorf(ErrSyntax, "control character %#02x in line", line[i])}
		}
		if d == dialectConf {
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
		}
		line = trim(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if len(entries) == maxINIEntries {
			return nil, &Error{Source: source, Line: n, Err: errorf(ErrSyntax, "more than %d entries", maxINIEntries)}
		}
		if line[0] == '[' {
			name, ok := strings.CutSuffix(line[1:], "]")
			name = trim(name)
			if !ok || name == "" || strings.ContainsAny(name, "[]") {
				return nil, &Error{Source: source, Line: n, Err: errorf(ErrSyntax, "bad section header %s", quoteShort(line))}
			}
			section = name
			entries = append(entries, iniEntry{Line: n, Section: name, Header: true})
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = trim(key)
		if !ok || key == "" {
			return nil, &Error{Source: source, Line: n, Err: errorf(ErrSyntax, "line is neither [section] nor key = value: %s", quoteShort(line))}
		}
		entries = append(entries, iniEntry{Line: n, Section: section, Key: key, Value: trim(value)})
	}
	return entries, nil
}

// isControl reports bytes that have no place in a configuration line.
func isControl(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }

func trim(s string) string { return strings.Trim(s, " \t") }

// quoteShort quotes the start of a line for an error message; a whole line
// may be long, or hold a secret further on.
func quoteShort(s string) string {
	const n = 40
	if len(s) > n {
		return fmt.Sprintf("%q…", s[:n])
	}
	return fmt.Sprintf("%q", s)
}
