package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Caps on what LoadTunnels reads: *.conf files in the tunnels folder, and
// bytes in all the files together.
const (
	maxTunnelFiles = 1024
	maxTunnelBytes = 8 << 20
)

// tunnelKey is how ParseTunnels checks a known key.
type tunnelKey struct {
	kind   kind
	lo, hi int
}

// tunnelKeys are the keys i2pd 2.45.1 reads from a tunnel section
// (libi2pd_client/ClientContext.cpp) other than the I2CP families.
var tunnelKeys = map[string]tunnelKey{
	"type":              {kind: kindString},
	"address":           {kind: kindString},
	"host":              {kind: kindString},
	"destination":       {kind: kindString},
	"keys":              {kind: kindString},
	"hostoverride":      {kind: kindString},
	"accesslist":        {kind: kindString},
	"whitelist":         {kind: kindString},
	"webircpassword":    {kind: kindString},
	"outproxy":          {kind: kindString},
	"port":              {kind: kindInt, hi: 65535},
	"destinationport":   {kind: kindInt, hi: 65535},
	"inport":            {kind: kindInt, hi: 65535},
	"signaturetype":     {kind: kindInt, hi: 65535},
	"cryptotype":        {kind: kindInt, hi: 65535},
	"connecttimeout":    {kind: kindInt, hi: maxInt32},
	"keepaliveinterval": {kind: kindInt, hi: maxInt32},
	"gzip":              {kind: kindBool},
	"matchtunnels":      {kind: kindBool},
	"enableuniquelocal": {kind: kindBool},
	"ssl":               {kind: kindBool},
	"addresshelper":     {kind: kindBool},
	"enabledcc":         {kind: kindBool}, // veil: an irc client tunnel passes DCC
}

// tunnelRequired lists, per type, the keys i2pd refuses to start without.
var tunnelRequired = map[string][]string{
	TunnelClient:    {"destination", "port"},
	TunnelUDPClient: {"destination", "port"},
	TunnelSOCKS:     {"port"},
	TunnelHTTPProxy: {"port"},
	TunnelWebSOCKS:  {"port"},
	TunnelServer:    {"host", "port", "keys"},
	TunnelHTTP:      {"host", "port", "keys"},
	TunnelIRC:       {"host", "port", "keys"},
	TunnelUDPServer: {"host", "port", "keys"},
}

func isI2CPKey(k string) bool {
	for _, p := range [...]string{"inbound.", "outbound.", "latency.", "i2cp.", "i2p.", "crypto."} {
		if strings.HasPrefix(k, p) && len(k) > len(p) {
			return true
		}
	}
	return k == "explicitPeers"
}

// ParseTunnels reads one tunnels.conf. Each [name] section is a tunnel;
// keys are case-sensitive, comments are whole lines starting with '#' or
// ';' (a '#' inside a value is kept, as i2pd keeps it), and a section with
// no keys is skipped, as i2pd skips it. Errors (all *Error naming the
// file, line and tunnel): a key outside a section, a section or key given
// twice, a missing or unknown type, a missing required key, a known key
// with a bad value, and a key i2pd does not know — i2pd ignores that
// silently, veil refuses it so a typo cannot change where traffic goes.
func ParseTunnels(source string, data []byte) ([]Tunnel, error) {
	entries, err := parseINI(source, data, dialectTunnels)
	if err != nil {
		return nil, err
	}
	var tunnels []Tunnel
	seen := make(map[string]int) // name → header line
	for i := 0; i < len(entries); {
		e := entries[i]
		if !e.Header {
			return nil, &Error{Source: source, Line: e.Line, Option: e.Key, Err: errorf(ErrSyntax, "key outside a [tunnel] section")}
		}
		j := i + 1
		for j < len(entries) && !entries[j].Header {
			j++
		}
		pairs := entries[i+1 : j]
		i = j
		if len(pairs) == 0 {
			continue
		}
		if first, dup := seen[e.Section]; dup {
			return nil, &Error{Source: source, Line: e.Line, Option: "[" + e.Section + "]", Err: errorf(ErrDuplicate, "tunnel given twice (first on line %d)", first)}
		}
		seen[e.Section] = e.Line
		t := Tunnel{Name: e.Section, Source: source, Line: e.Line,
			Options: make(map[string]string, len(pairs)), lines: make(map[string]int, len(pairs))}
		for _, p := range pairs {
			if _, dup := t.Options[p.Key]; dup {
				return nil, &Error{Source: source, Line: p.Line, Option: "[" + t.Name + "] " + p.Key,
					Err: errorf(ErrDuplicate, "given twice (first on line %d)", t.lines[p.Key])}
			}
			t.Options[p.Key], t.lines[p.Key] = p.Value, p.Line
		}
		if err := t.validate(); err != nil {
			return nil, err
		}
		tunnels = append(tunnels, t)
	}
	return tunnels, nil
}

// validate checks type, required keys and the values of known keys.
func (t *Tunnel) validate() error {
	t.Type = t.Options["type"]
	required, ok := tunnelRequired[t.Type]
	if t.IsIRCClient() {
		required = tunnelRequired[TunnelClient]
	}
	switch {
	case t.Type == "":
		return t.err("type", errorf(ErrInvalidValue, "missing; one of client, server, http, irc, udpclient, udpserver, socks, httpproxy"))
	case !ok:
		return t.err("type", errorf(ErrInvalidValue, "unknown tunnel type %s", quoteShort(t.Type)))
	}
	for _, k := range required {
		if t.Options[k] == "" {
			return t.err(k, errorf(ErrInvalidValue, "required for type %s", t.Type))
		}
	}
	for k, v := range t.Options {
		spec, known := tunnelKeys[k]
		switch {
		case known && spec.kind == kindInt:
			if _, err := parseInt(v, spec.lo, spec.hi); err != nil {
				return t.err(k, err)
			}
		case known && spec.kind == kindBool:
			if _, err := parseBool(v); err != nil {
				return t.err(k, err)
			}
		case !known && !isI2CPKey(k):
			return t.err(k, unknownOption(k, k, tunnelKeyNames, " in tunnel ["+t.Name+"]"))
		}
	}
	return nil
}

func tunnelKeyNames(yield func(string) bool) {
	for k := range tunnelKeys {
		if !yield(k) {
			return
		}
	}
}

// LoadTunnels reads o.TunConf and then every *.conf file in o.TunnelsDir
// (in name order), as i2pd does. A missing tunnels file or folder is no
// tunnels, unless the option naming it was given (IsSet). Tunnel names
// must be unique across all the files.
func LoadTunnels(o *Options) ([]Tunnel, error) {
	files := []string{o.TunConf}
	ents, err := os.ReadDir(o.TunnelsDir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !o.IsSet("tunnelsdir"):
	case err != nil:
		return nil, &Error{Source: o.TunnelsDir, Err: err}
	}
	for _, e := range ents {
		p := filepath.Join(o.TunnelsDir, e.Name())
		if !strings.HasSuffix(e.Name(), ".conf") {
			continue
		}
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			continue // i2pd reads regular files (through links) only
		}
		if len(files) > maxTunnelFiles {
			return nil, &Error{Source: o.TunnelsDir, Err: errorf(ErrSyntax, "more than %d tunnel files", maxTunnelFiles)}
		}
		files = append(files, p)
	}
	var all []Tunnel
	byName := make(map[string]int)
	total := 0
	for i, f := range files {
		data, err := readFile(f)
		if i == 0 && errors.Is(err, fs.ErrNotExist) && !o.IsSet("tunconf") {
			continue
		}
		if err != nil {
			return nil, &Error{Source: f, Err: err}
		}
		if total += len(data); total > maxTunnelBytes {
			return nil, &Error{Source: f, Err: errorf(ErrSyntax, "tunnel files hold more than %d bytes in all", maxTunnelBytes)}
		}
		ts, err := ParseTunnels(f, data)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if j, dup := byName[t.Name]; dup {
				return nil, &Error{Source: t.Source, Line: t.Line, Option: "[" + t.Name + "]",
					Err: errorf(ErrDuplicate, "tunnel also defined at %s:%d", all[j].Source, all[j].Line)}
			}
			byName[t.Name] = len(all)
			all = append(all, t)
		}
	}
	return all, nil
}
