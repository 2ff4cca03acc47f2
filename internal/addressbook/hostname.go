package addressbook

import (
	"errors"
	"fmt"
	"strings"
)

// maxNameLen is naming.html's limit: 67 characters, ".i2p" included.
const maxNameLen = 67

// reservedNames may not be imported or added, nor any name under them
// (naming.html, "Naming Rules": names reserved for project use).
var reservedNames = []string{"b32.i2p", "proxy.i2p", "router.i2p", "console.i2p", "localhost.i2p"}

// ErrBadName is wrapped by every hostname refusal.
var ErrBadName = errors.New("addressbook: bad host name")

// NormalizeName lowercases name and checks naming.html's rules for
// host names: only a–z, 0–9, '.' and '-'; not starting with '.' or '-';
// ending in ".i2p"; at most 67 characters; no "..", ".-", "-."; no
// "--" but in an IDN label's "xn--"; not a Base32 address; not a
// reserved name.
func NormalizeName(name string) (string, error) {
	n := strings.ToLower(name)
	bad := func(why string) (string, error) {
		if len(name) > maxNameLen+8 {
			name = name[:maxNameLen] + "…"
		}
		return "", fmt.Errorf("%w %q: %s", ErrBadName, name, why)
	}
	switch {
	case len(n) > maxNameLen:
		return bad("longer than 67 characters")
	case !strings.HasSuffix(n, ".i2p") || len(n) == len(".i2p"):
		return bad("must end in .i2p")
	case n[0] == '.' || n[0] == '-':
		return bad("starts with '.' or '-'")
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("only a-z, 0-9, '.' and '-' are allowed")
		}
	}
	if strings.Contains(n, "..") || strings.Contains(n, ".-") || strings.Contains(n, "-.") {
		return bad("contains \"..\", \".-\" or \"-.\"")
	}
	for i := strings.Index(n, "--"); i >= 0; {
		// Only an IDN label "xn--…" may hold "--", at offset 2 of its label.
		if i < 2 || n[i-2:i] != "xn" || (i > 2 && n[i-3] != '.') {
			return bad("contains \"--\" outside an xn-- label")
		}
		j := strings.Index(n[i+2:], "--")
		if j < 0 {
			break
		}
		i += 2 + j
	}
	for _, r := range reservedNames {
		if n == r || strings.HasSuffix(n, "."+r) {
			return bad("reserved")
		}
	}
	return n, nil
}
