package node

import (
	"fmt"
	"strings"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/router"
)

// Options of a router embedded in a program (package veil): the same
// names and files as the veil command, but the local services that i2pd
// runs by default stay off unless asked for, since a program that embeds
// a router does not expect it to open ports of its own.

// defaultOff are the services i2pd enables by default, by option name.
var defaultOff = [...]struct {
	name string
	f    func(*config.Options) *bool
}{
	{"http.enabled", func(o *config.Options) *bool { return &o.HTTP.Enabled }},
	{"httpproxy.enabled", func(o *config.Options) *bool { return &o.HTTPProxy.Enabled }},
	{"socksproxy.enabled", func(o *config.Options) *bool { return &o.SOCKSProxy.Enabled }},
	{"sam.enabled", func(o *config.Options) *bool { return &o.SAM.Enabled }},
}

// EmbeddedOptions loads the options of an embedded router: dataDir (""
// the command's default) and opts, each "name=value" as after -- on the
// command line, over the i2pd.conf or veil.conf found in the data folder,
// as the command reads them. The web console, HTTP and SOCKS proxies and
// SAM are off unless opts or that file set them.
func EmbeddedOptions(dataDir string, opts []string) (*config.Options, error) {
	var args []string
	if dataDir != "" {
		args = append(args, "--datadir="+dataDir)
	}
	for _, kv := range opts {
		name, value, ok := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.HasPrefix(name, "-") {
			return nil, fmt.Errorf("option %q: want name=value, as in i2pd.conf (e.g. netid=99)", kv)
		}
		args = append(args, "--"+name+"="+strings.TrimSpace(value))
	}
	o, err := config.Load(args, nil)
	if err != nil {
		return nil, err
	}
	for _, s := range defaultOff {
		if !o.IsSet(s.name) {
			*s.f(o) = false
		}
	}
	return o, nil
}

// destinationPrefixes are the option names a destination takes: those of
// a tunnels.conf section's destination, less the tunnel's own keys.
var destinationPrefixes = [...]string{"inbound.", "outbound.", "i2cp.", "i2p.streaming.", "explicitPeers"}

// SessionConfig is the configuration of a destination opened at run time
// with name and options opts, each "name=value" with tunnels.conf's
// names: inbound./outbound. length and quantity (i2pd's defaults 3 and
// 5), i2cp.leaseSetEncType, i2cp.leaseSetType and the other encrypted
// LeaseSet keys, i2p.streaming.*. Keys are the caller's.
func SessionConfig(name string, opts []string) (router.SessionConfig, error) {
	t := config.Tunnel{Name: name, Options: make(map[string]string), Source: "destination options"}
	for _, kv := range opts {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		known := false
		for _, p := range destinationPrefixes {
			known = known || strings.HasPrefix(k, p)
		}
		switch {
		case !ok:
			return router.SessionConfig{}, fmt.Errorf("destination option %q: want name=value (e.g. inbound.length=2)", kv)
		case !known:
			return router.SessionConfig{}, fmt.Errorf("destination option %q: not a destination option (inbound.*, outbound.*, i2cp.*, i2p.streaming.*)", k)
		}
		if _, dup := t.Options[k]; dup {
			return router.SessionConfig{}, fmt.Errorf("destination option %s given twice", k)
		}
		t.Options[k] = v
	}
	dc, err := destination(&t)
	if err != nil {
		return router.SessionConfig{}, err
	}
	return router.SessionConfig{Name: name, Pool: dc.Pool, EncTypes: dc.EncTypes, LeaseSet: dc.LeaseSet, Streaming: dc.Streaming}, nil
}
