package addressbook

import (
	"errors"
	"fmt"
	"strings"

	"github.com/veil-i2p/veil/internal/data"
)

// Limits on one hosts.txt line (naming.html, subscription.rst).
const (
	// MaxLineLen bounds a line: a name, two destinations, two
	// signatures and a few keys fit in well under 4 KiB.
	MaxLineLen = 4096
	// minDestB64 and maxDestB64 bound a Base64 destination: 516
	// characters is the smallest (387 bytes, naming.html); 1400 leaves
	// room for the key certificates of every signature type (RSA-4096
	// spills 384 bytes).
	minDestB64 = 516
	maxDestB64 = 1400
	// maxProps bounds the #! keys of one line.
	maxProps = 16
)

// Actions of subscription.rst's commands. An add line carries none.
const (
	ActionAdd          = ""
	ActionAddName      = "addname"
	ActionAddDest      = "adddest"
	ActionAddSubdomain = "addsubdomain"
	ActionChangeName   = "changename"
	ActionChangeDest   = "changedest"
	ActionUpdate       = "update"
	ActionRemove       = "remove"
	ActionRemoveAll    = "removeall"
)

// Keys of subscription.rst's #! extensions.
const (
	keySig     = "sig"
	keyOldSig  = "oldsig"
	keyAction  = "action"
	keyName    = "name"
	keyDest    = "dest"
	keyOldName = "oldname"
	keyOldDest = "olddest"
)

// ErrSkip is returned by ParseLine for a blank or comment line.
var ErrSkip = errors.New("addressbook: comment or blank line")

// Line is one parsed hosts.txt line: "name=dest", optionally followed by
// "#!key=value#key=value…", or a command "#!key=value…" alone (remove,
// removeall).
type Line struct {
	Name    string           // lower case; "" on a command alone
	Dest    data.Destination // the name's destination; zero on a command alone
	DestB64 string           // Dest as written, which signatures cover
	Props   map[string]string
	Action  string
}

// Signed reports whether the line carries subscription.rst extensions,
// which must then be signed.
func (l Line) Signed() bool { return l.Props != nil }

// ParseLine parses one line (without its newline). It returns ErrSkip
// for blank and ordinary comment lines.
func ParseLine(s string) (Line, error) {
	s = strings.TrimRight(s, "\r")
	if len(s) > MaxLineLen {
		return Line{}, fmt.Errorf("addressbook: line of %d bytes, longer than %d", len(s), MaxLineLen)
	}
	if strings.TrimSpace(s) == "" {
		return Line{}, ErrSkip
	}
	entry, ext, hasExt := strings.Cut(s, "#!")
	if strings.HasPrefix(strings.TrimSpace(entry), "#") {
		return Line{}, ErrSkip // a comment, even one holding "#!"
	}
	if !hasExt {
		entry, _, _ = strings.Cut(entry, "#") // "name=dest # comment"
	}
	var l Line
	if hasExt {
		props, err := parseProps(ext)
		if err != nil {
			return Line{}, err
		}
		l.Props = props
		l.Action = props[keyAction]
	}
	if entry == "" {
		if !hasExt {
			return Line{}, ErrSkip
		}
		// A command alone: the name and destination are keys.
		switch l.Action {
		case ActionRemove, ActionRemoveAll:
		default:
			return Line{}, fmt.Errorf("addressbook: command %q needs name=destination before #!", l.Action)
		}
		d, err := ParseDest(l.Props[keyDest])
		if err != nil {
			return Line{}, fmt.Errorf("addressbook: %s: dest: %w", l.Action, err)
		}
		l.Dest, l.DestB64 = d, l.Props[keyDest]
		if n := l.Props[keyName]; n != "" {
			if l.Name, err = NormalizeName(n); err != nil {
				return Line{}, err
			}
		} else if l.Action == ActionRemove {
			return Line{}, errors.New("addressbook: remove without name")
		}
		return l, nil
	}
	name, dest, ok := strings.Cut(entry, "=")
	if !ok {
		return Line{}, errors.New("addressbook: line is not name=destination")
	}
	switch l.Action {
	case ActionAdd, ActionAddName, ActionAddDest, ActionAddSubdomain, ActionChangeName, ActionChangeDest, ActionUpdate:
	default:
		return Line{}, fmt.Errorf("addressbook: unknown action %q", l.Action)
	}
	// Names are lower case on the wire (subscription.rst): one spelled
	// otherwise is taken lowered, as Java does on import.
	n, err := NormalizeName(strings.TrimSpace(name))
	if err != nil {
		return Line{}, err
	}
	dest = strings.TrimSpace(dest)
	d, err := ParseDest(dest)
	if err != nil {
		return Line{}, fmt.Errorf("addressbook: %s: %w", n, err)
	}
	l.Name, l.Dest, l.DestB64 = n, d, dest
	return l, nil
}

// parseProps reads "k=v#k=v…": keys unique and non-empty, values may
// hold '=' (Base64 padding).
func parseProps(s string) (map[string]string, error) {
	props := make(map[string]string)
	for _, kv := range strings.Split(s, "#") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("addressbook: #! item %q is not key=value", clip(kv))
		}
		if _, dup := props[k]; dup {
			return nil, fmt.Errorf("addressbook: #! key %q twice", clip(k))
		}
		if len(props) == maxProps {
			return nil, fmt.Errorf("addressbook: more than %d #! keys", maxProps)
		}
		props[k] = v
	}
	return props, nil
}

// ParseDest decodes a Base64 destination, refusing trailing bytes and
// lengths naming.html does not allow.
func ParseDest(b64 string) (data.Destination, error) {
	if len(b64) < minDestB64 || len(b64) > maxDestB64 {
		return data.Destination{}, fmt.Errorf("destination of %d Base64 characters, want %d to %d", len(b64), minDestB64, maxDestB64)
	}
	raw, err := data.DecodeBase64(b64)
	if err != nil {
		return data.Destination{}, fmt.Errorf("destination: not I2P Base64: %w", err)
	}
	d, rest, err := data.ParseKeysAndCert(raw)
	if err != nil {
		return data.Destination{}, err
	}
	if len(rest) != 0 {
		return data.Destination{}, fmt.Errorf("destination: %d bytes after it", len(rest))
	}
	return d, nil
}

// clip shortens outside text quoted in errors.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
