package console

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/veil-i2p/veil/internal/atomicfile"
)

// maxConfFile bounds the configuration file read back for editing.
const maxConfFile = 1 << 20

// WriteSettings saves s into the i2pd.conf-style file at path: each of
// bandwidth, share, notransit and floodfill replaces its line in the
// top-level part (before the first [section]), or is added at the end
// of that part; every other line, comments included, is kept. The file
// is replaced atomically (internal/atomicfile), and created if missing.
func WriteSettings(path string, s Settings) error {
	if path == "" {
		return errors.New("console: no configuration file to save to (start veil with --conf or a datadir)")
	}
	if !ValidBandwidth(s.Bandwidth) || s.Share < 0 || s.Share > 100 {
		return fmt.Errorf("console: settings out of range: bandwidth %q, share %d", s.Bandwidth, s.Share)
	}
	old, err := os.ReadFile(path)
	mode := fs.FileMode(0o600)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		return fmt.Errorf("console: read %s: %w", path, err)
	case len(old) > maxConfFile:
		return fmt.Errorf("console: %s is larger than %d bytes; not editing it", path, maxConfFile)
	default:
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	}
	out := setTopLevel(string(old), []kv{
		{"bandwidth", s.Bandwidth},
		{"share", strconv.Itoa(s.Share)},
		{"notransit", strconv.FormatBool(s.NoTransit)},
		{"floodfill", strconv.FormatBool(s.Floodfill)},
	})
	if err := atomicfile.Write(path, []byte(out), mode); err != nil {
		return fmt.Errorf("console: save %s: %w", path, err)
	}
	return nil
}

type kv struct{ key, value string }

// setTopLevel sets keys in the top-level part of an INI text.
func setTopLevel(text string, set []kv) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if text == "" {
		lines = nil
	}
	end := len(lines) // first [section] line
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "[") {
			end = i
			break
		}
	}
	var add []string
	for _, p := range set {
		line := p.key + " = " + p.value
		if p.value == "" {
			line = p.key + " ="
		}
		found := false
		for i := 0; i < end; i++ {
			k, _, ok := strings.Cut(lines[i], "=")
			if ok && strings.TrimSpace(k) == p.key {
				if !found {
					lines[i] = line
				} else {
					lines[i] = "# " + lines[i] + " (replaced by the console)"
				}
				found = true
			}
		}
		if !found {
			add = append(add, line)
		}
	}
	at := end // after the last top-level line that is not blank
	for at > 0 && strings.TrimSpace(lines[at-1]) == "" {
		at--
	}
	out := append(append(append([]string{}, lines[:at]...), add...), lines[at:]...)
	return strings.Join(out, "\n") + "\n"
}
