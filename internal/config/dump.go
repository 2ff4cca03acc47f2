package config

import (
	"fmt"
	"strings"
)

// Dump writes o as an i2pd.conf that Load (given it with --conf) reads back
// to the same Options.
//
// An option that was given (IsSet) or differs from its default is a live
// "key = value" line. One left at its default is written commented out,
// "# key = value", so that after a reload it is still unset and i2pd's
// "was it given?" rules (IsSet) decide the same way. Paths that Load
// resolved (datadir, tunconf, tunnelsdir, certsdir) are live lines, so the
// dump pins them. conf is a comment: a file cannot set it. Ignored i2pd
// options are left out.
//
// i2pd.conf cannot hold a value with '#' (a comment starts there), a line
// break, or spaces at either end; nor a list element with ','. Such a
// value can come only from the command line or from code; Dump writes a
// comment in its place, so the reload falls back to the default.
func Dump(o *Options) string {
	var b strings.Builder
	b.WriteString("# veil options in i2pd.conf format; a line \"# key = value\" is a default.\n")
	section := ""
	for i := range optionTable {
		d := &optionTable[i]
		if !d.stored() {
			continue
		}
		sec, key := d.section()
		if sec != section {
			fmt.Fprintf(&b, "\n[%s]\n", sec)
			section = sec
		}
		v := d.get(o)
		switch {
		case d.cmdOnly:
			if v != "" {
				fmt.Fprintf(&b, "# %s = %s (command line only)\n", key, v)
			}
		case !d.representable(o):
			fmt.Fprintf(&b, "# %s: not written: i2pd.conf cannot hold its value\n", key)
		case o.IsSet(d.name) || v != d.def:
			if v == "" {
				fmt.Fprintf(&b, "%s =\n", key)
			} else {
				fmt.Fprintf(&b, "%s = %s\n", key, v)
			}
		case v == "":
			fmt.Fprintf(&b, "# %s =\n", key)
		default:
			fmt.Fprintf(&b, "# %s = %s\n", key, v)
		}
	}
	return b.String()
}

// representable reports whether the option's value in o survives being
// written to i2pd.conf and read back.
func (d *option) representable(o *Options) bool {
	if d.l != nil {
		for _, e := range *d.l(o) {
			if e == "" || strings.ContainsRune(e, ',') || !plainValue(e) {
				return false
			}
		}
		return true
	}
	return plainValue(d.get(o))
}

// plainValue: no comment character, no control character, no spaces at
// the ends.
func plainValue(v string) bool {
	return !strings.ContainsRune(v, '#') && strings.IndexFunc(v, isControl) < 0 && trim(v) == v
}

// Usage lists every option with its default and meaning, grouped as in
// i2pd.conf.
func Usage() string {
	var b strings.Builder
	b.WriteString(`Usage: veil [--name=value ...]

Options are i2pd's. On the command line: --name=value, --name value, or a
bare --name for true. In the config file (i2pd.conf, see --conf): a line
"name = value"; "[section]" followed by "key = value" is --section.key.
The command line wins over the file. Local services listen on 127.0.0.1.

  --help, -h
        print this and exit
  --version
        print the version and exit
`)
	section := ""
	for i := range optionTable {
		d := &optionTable[i]
		if sec, _ := d.section(); sec != section {
			fmt.Fprintf(&b, "\n[%s]\n", sec)
			section = sec
		}
		fmt.Fprintf(&b, "  --%s=%s\n        %s\n", d.name, d.def, d.doc)
	}
	return b.String()
}
