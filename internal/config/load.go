package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Default data folders. i2pd uses ~/.i2pd and /var/lib/i2pd; veil keeps
// its own so the two can run side by side (point --datadir at a copy of an
// i2pd folder to move a router).
const (
	homeDataDir    = ".veil"
	serviceDataDir = "/var/lib/veil"
)

// confNames are the files Load looks for in the data folder, in order.
var confNames = [...]string{"i2pd.conf", "veil.conf"}

// Default returns i2pd's defaults (see Usage). DataDir, TunConf,
// TunnelsDir and CertsDir are empty: they depend on the environment, and
// Load fills them in.
func Default() *Options {
	o := new(Options)
	for i := range optionTable {
		d := &optionTable[i]
		if err := d.set(o, d.def); err != nil {
			panic("config: bad default for " + d.name + ": " + err.Error()) // a table bug; tests load every default
		}
	}
	return o
}

// Load builds the options from the command line and a config file, the
// way i2pd does:
//
//  1. Parse args: --name=value, --name value, -name=value, and a bare
//     --name for a boolean (also "--name false": a following true/false,
//     yes/no, on/off or 1/0 is the flag's value, where i2pd would
//     silently drop it). --help or -h returns ErrHelp, --version
//     ErrVersion. Other arguments are an error.
//  2. Find the file: --conf if given (it must exist); otherwise
//     <datadir>/i2pd.conf, else <datadir>/veil.conf (both present is an
//     error), else none. <datadir> is --datadir, else /var/lib/veil with
//     --service, else $HOME/.veil.
//  3. Start from Default, apply the file, then the command line, which
//     wins. An option given twice in one place is an error.
//  4. Resolve DataDir (a file given with --conf may set datadir; a file
//     found in the data folder may not move it elsewhere), then TunConf,
//     TunnelsDir and CertsDir under it when they were not given.
//
// getenv looks up HOME; nil means os.Getenv. Errors are *Error naming the
// option and where it was given, except ErrHelp and ErrVersion.
func Load(args []string, getenv func(string) string) (*Options, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	cmd, request, err := parseArgs(args)
	if err != nil {
		return nil, err
	}
	if request != nil {
		return nil, request
	}
	// The command line alone decides where the file is.
	first := Default()
	if err := apply(first, cmd); err != nil {
		return nil, err
	}
	conf, foundIn := first.Conf, ""
	if conf == "" {
		dir, err := dataDir(first, getenv)
		if err != nil {
			return nil, err
		}
		if conf, err = findConf(dir); err != nil {
			return nil, err
		}
		if conf != "" {
			foundIn = dir
		}
	}
	var file []setting
	if conf != "" {
		data, err := readFile(conf)
		if err != nil {
			if foundIn == "" {
				return nil, &Error{Source: SourceCommandLine, Option: "--conf", Err: err}
			}
			return nil, &Error{Source: conf, Err: err}
		}
		if file, err = parseConfFile(conf, data); err != nil {
			return nil, err
		}
	}
	o := Default()
	if err := apply(o, file); err != nil {
		return nil, err
	}
	if err := apply(o, cmd); err != nil {
		return nil, err
	}
	o.Conf = conf
	if o.DataDir, err = dataDir(o, getenv); err != nil {
		return nil, err
	}
	if foundIn != "" && filepath.Clean(o.DataDir) != filepath.Clean(foundIn) {
		// Only the file can have moved it: the command line chose foundIn.
		s := fileSetting(file, "datadir", "service")
		return nil, s.err(errorf(ErrInvalidValue, "moves the data folder to %q, but this file was found in %q; give --datadir or --conf",
			o.DataDir, foundIn))
	}
	for _, p := range [...]struct {
		path *string
		name string
	}{{&o.TunConf, "tunnels.conf"}, {&o.TunnelsDir, "tunnels.d"}, {&o.CertsDir, "certificates"}} {
		if *p.path == "" {
			*p.path = filepath.Join(o.DataDir, p.name)
		}
	}
	return o, nil
}

// setting is one option as given on the command line or in a file.
type setting struct {
	opt     *option
	value   string
	source  string // SourceCommandLine or a path
	line    int    // 0 on the command line
	written string // "--netid", "ntcp2.port"
}

func (s setting) err(err error) error {
	return &Error{Source: s.source, Line: s.line, Option: s.written, Err: err}
}

func (s setting) where() string {
	if s.line == 0 {
		return s.source
	}
	return s.source + ":" + strconv.Itoa(s.line)
}

// apply stores each setting in o and records where it came from.
func apply(o *Options, settings []setting) error {
	for _, s := range settings {
		if err := s.opt.set(o, s.value); err != nil {
			return s.err(err)
		}
		if s.opt.stored() {
			if o.set == nil {
				o.set = make(map[string]string)
			}
			o.set[s.opt.name] = s.where()
		}
	}
	return nil
}

// fileSetting returns the first of the named options set in the file.
func fileSetting(file []setting, names ...string) setting {
	for _, n := range names {
		for _, s := range file {
			if s.opt.name == n {
				return s
			}
		}
	}
	return setting{source: "config file"} // not reached: Load checks first
}

// parseArgs reads the command line. request is ErrHelp or ErrVersion when
// asked for.
func parseArgs(args []string) (settings []setting, request, err error) {
	seen := make(map[string]bool)
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			if i+1 < len(args) {
				return nil, nil, &Error{Source: SourceCommandLine, Err: errorf(ErrSyntax, "unexpected argument %s", quoteShort(args[i+1]))}
			}
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			return nil, nil, &Error{Source: SourceCommandLine, Err: errorf(ErrSyntax, "unexpected argument %s", quoteShort(arg))}
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg[1:], "-"), "=")
		written, _, _ := strings.Cut(arg, "=")
		switch name {
		case "help", "h", "version":
			if hasValue {
				return nil, nil, &Error{Source: SourceCommandLine, Option: written, Err: errorf(ErrSyntax, "takes no value")}
			}
			request = ErrHelp
			if name == "version" {
				request = ErrVersion
			}
			continue
		}
		d := lookupOption(name)
		if d == nil {
			return nil, nil, &Error{Source: SourceCommandLine, Option: written, Err: unknownOption(written, name, optionNames, "")}
		}
		if !hasValue {
			switch next := i + 1; {
			case d.kind == kindBool:
				value = "true"
				if next < len(args) && isBoolWord(args[next]) {
					value, i = args[next], next
				}
			case next < len(args) && !looksLikeOption(args[next]):
				value, i = args[next], next
			default:
				return nil, nil, &Error{Source: SourceCommandLine, Option: written, Err: errorf(ErrSyntax, "needs a value")}
			}
		}
		if strings.IndexFunc(value, isControl) >= 0 {
			return nil, nil, &Error{Source: SourceCommandLine, Option: written, Err: errorf(ErrInvalidValue, "value has a control character")}
		}
		if seen[d.name] {
			return nil, nil, &Error{Source: SourceCommandLine, Option: written, Err: errorf(ErrDuplicate, "given twice")}
		}
		seen[d.name] = true
		settings = append(settings, setting{opt: d, value: value, source: SourceCommandLine, written: written})
	}
	return settings, request, nil
}

// looksLikeOption tells "--next-option" from a value such as "-1".
func looksLikeOption(s string) bool {
	if len(s) < 2 || s[0] != '-' {
		return false
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err != nil
}

// parseConfFile reads an i2pd.conf: "[section]" then "key = value" is the
// option section.key; a top-level "section.key = value" is the same.
func parseConfFile(path string, data []byte) ([]setting, error) {
	entries, err := parseINI(path, data, dialectConf)
	if err != nil {
		return nil, err
	}
	var settings []setting
	seen := make(map[string]int)
	for _, e := range entries {
		if e.Header {
			continue
		}
		name := e.Key
		if e.Section != "" {
			name = e.Section + "." + e.Key
		}
		s := setting{value: e.Value, source: path, line: e.Line, written: name}
		d := lookupOption(name)
		switch {
		case d == nil:
			return nil, s.err(unknownOption(name, name, optionNames, ""))
		case d.cmdOnly:
			return nil, s.err(errorf(ErrInvalidValue, "can be given only on the command line"))
		case seen[d.name] > 0:
			return nil, s.err(errorf(ErrDuplicate, "given twice (first on line %d)", seen[d.name]))
		}
		seen[d.name] = e.Line
		s.opt = d
		settings = append(settings, s)
	}
	return settings, nil
}

// dataDir is o.DataDir, or the default for o.Service.
func dataDir(o *Options, getenv func(string) string) (string, error) {
	switch {
	case o.DataDir != "":
		return o.DataDir, nil
	case o.Service:
		return serviceDataDir, nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", &Error{Source: SourceCommandLine, Option: "--datadir", Err: errorf(ErrInvalidValue, "not given, and $HOME is not set")}
	}
	return filepath.Join(home, homeDataDir), nil
}

// findConf returns the config file in dir, or "" if there is none.
func findConf(dir string) (string, error) {
	found := ""
	for _, n := range confNames {
		p := filepath.Join(dir, n)
		_, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return "", &Error{Source: p, Err: err}
		case found != "":
			return "", &Error{Source: p, Err: errorf(ErrDuplicate, "%s exists too; remove one, or choose with --conf", found)}
		}
		found = p
	}
	return found, nil
}

// readFile reads at most maxFileSize+1 bytes, so parseINI can refuse a
// larger file without this holding it.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxFileSize+1))
}
