package config

import (
	"strconv"
	"strings"
)

// kind is an option's value type.
type kind uint8

const (
	kindBool kind = iota
	kindInt
	kindString
	kindList // comma-separated strings
)

// option describes one i2pd option: its name as --name and in the file,
// its default as it would be written in i2pd.conf, and where it lives in
// Options. The table in table.go holds one per option; nothing writes to
// it after init.
type option struct {
	name    string
	def     string
	doc     string
	kind    kind
	lo, hi  int             // kindInt: the accepted range
	intOK   func(int) error // kindInt: extra rule, may be nil
	check   check           // kindString, kindList: validates the raw value, may be nil
	cmdOnly bool            // only on the command line (conf)
	ignored bool            // accepted and validated for i2pd compatibility, not stored
	b       func(*Options) *bool
	i       func(*Options) *int
	s       func(*Options) *string
	l       func(*Options) *[]string
}

func boolOpt(name string, def bool, doc string, f func(*Options) *bool) option {
	return option{name: name, def: strconv.FormatBool(def), doc: doc, kind: kindBool, b: f}
}

func intOpt(name string, def, lo, hi int, doc string, f func(*Options) *int) option {
	return option{name: name, def: strconv.Itoa(def), doc: doc, kind: kindInt, lo: lo, hi: hi, i: f}
}

func portOpt(name string, def int, doc string, f func(*Options) *int) option {
	return intOpt(name, def, 0, 65535, doc, f)
}

func strOpt(name, def, doc string, f func(*Options) *string) option {
	return option{name: name, def: def, doc: doc, kind: kindString, s: f}
}

func listOpt(name, def, doc string, f func(*Options) *[]string) option {
	return option{name: name, def: def, doc: doc, kind: kindList, l: f}
}

// ignoredOpt is an option i2pd 2.45.1 itself documents as ignored or
// deprecated; a file that sets it still loads.
func ignoredOpt(name string, k kind, def, doc string) option {
	return option{name: name, def: def, doc: doc + " (ignored, as by i2pd)", kind: k, lo: 0, hi: 65535, ignored: true}
}

// with returns o with a check on its string value.
func (o option) with(c check) option { o.check = c; return o }

// withInt returns o with an extra rule on its integer value.
func (o option) withInt(f func(int) error) option { o.intOK = f; return o }

// commandLineOnly marks an option that has no meaning in a file.
func (o option) commandLineOnly() option { o.cmdOnly = true; return o }

// set parses raw and stores it in opts. It does not record where the value
// came from; see Options.set.
func (d *option) set(opts *Options, raw string) error {
	switch d.kind {
	case kindBool:
		v := true // boost takes an empty value as true
		if raw != "" {
			var err error
			if v, err = parseBool(raw); err != nil {
				return err
			}
		}
		if d.b != nil {
			*d.b(opts) = v
		}
	case kindInt:
		v, err := parseInt(raw, d.lo, d.hi)
		if err == nil && d.intOK != nil {
			err = d.intOK(v)
		}
		if err != nil {
			return err
		}
		if d.i != nil {
			*d.i(opts) = v
		}
	case kindString, kindList:
		if d.check != nil {
			var err error
			if raw, err = d.check(raw); err != nil {
				return err
			}
		}
		if d.s != nil {
			*d.s(opts) = raw
		}
		if d.l != nil {
			*d.l(opts) = splitList(raw)
		}
	}
	return nil
}

// get formats the value in opts as it would be written in i2pd.conf.
func (d *option) get(opts *Options) string {
	switch {
	case d.b != nil:
		return strconv.FormatBool(*d.b(opts))
	case d.i != nil:
		return strconv.Itoa(*d.i(opts))
	case d.s != nil:
		return *d.s(opts)
	case d.l != nil:
		return strings.Join(*d.l(opts), ",")
	}
	return d.def
}

// stored reports whether the option has a field in Options.
func (d *option) stored() bool { return !d.ignored }

// section splits "ntcp2.port" into "ntcp2" and "port", and "httpproxy.
// inbound.length" into "httpproxy" and "inbound.length"; a top-level
// option has section "".
func (d *option) section() (section, key string) {
	if s, k, ok := strings.Cut(d.name, "."); ok {
		return s, k
	}
	return "", d.name
}

// optionIndex maps names to entries of optionTable. Built once at init and
// only read afterwards.
var optionIndex = func() map[string]*option {
	m := make(map[string]*option, len(optionTable))
	for i := range optionTable {
		d := &optionTable[i]
		if _, dup := m[d.name]; dup {
			panic("config: option registered twice: " + d.name)
		}
		m[d.name] = d
	}
	return m
}()

func lookupOption(name string) *option { return optionIndex[name] }

// optionNames yields every option name, for suggestions.
func optionNames(yield func(string) bool) {
	for i := range optionTable {
		if !yield(optionTable[i].name) {
			return
		}
	}
}
