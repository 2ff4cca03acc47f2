package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// env is a fake environment with HOME set to home.
func env(home string) func(string) string {
	return func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
}

// writeFiles creates files (relative path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loadIn runs Load with HOME=<tmp>/home and the files placed under <tmp>;
// "$T" in args is replaced by <tmp>.
func loadIn(t *testing.T, args []string, files map[string]string) (*Options, string, error) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	a := make([]string, len(args))
	for i, s := range args {
		a[i] = strings.ReplaceAll(s, "$T", dir)
	}
	o, err := Load(a, env(filepath.Join(dir, "home")))
	return o, dir, err
}

func TestDefaults(t *testing.T) {
	o, dir, err := loadIn(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home", ".veil")
	checks := []struct {
		name      string
		got, want any
	}{
		{"datadir", o.DataDir, home},
		{"conf", o.Conf, ""},
		{"tunconf", o.TunConf, filepath.Join(home, "tunnels.conf")},
		{"tunnelsdir", o.TunnelsDir, filepath.Join(home, "tunnels.d")},
		{"certsdir", o.CertsDir, filepath.Join(home, "certificates")},
		{"netid", o.NetID, 2},
		{"loglevel", o.LogLevel, "warn"},
		{"port", o.Port, 0},
		{"ipv4", o.IPv4, true},
		{"ipv6", o.IPv6, false},
		{"nat", o.NAT, true},
		{"share", o.Share, 100},
		{"floodfill", o.Floodfill, false},
		{"bandwidth", o.Bandwidth, ""},
		{"ntcp2", o.NTCP2, NTCP2{Enabled: true, Published: true, AddressV6: "::"}},
		{"ssu2", o.SSU2, SSU2{Enabled: true, Published: true}},
		{"http", o.HTTP.Listener, Listener{true, "127.0.0.1", 7070}},
		{"httpproxy", o.HTTPProxy.Listener, Listener{true, "127.0.0.1", 4444}},
		{"httpproxy.keys", o.HTTPProxy.Keys, "transient-proxy"},
		{"httpproxy.pool", o.HTTPProxy.TunnelPool, TunnelPool{InboundLength: 3, InboundQuantity: 5, OutboundLength: 3, OutboundQuantity: 5}},
		{"httpproxy.leaseSetEncType", o.HTTPProxy.LeaseSetEncType, []string{"0", "4"}},
		{"socksproxy", o.SOCKSProxy.Listener, Listener{true, "127.0.0.1", 4447}},
		{"socksproxy.outproxyport", o.SOCKSProxy.OutProxyPort, 9050},
		{"sam", o.SAM, SAM{Listener{true, "127.0.0.1", 7656}, true, 0}},
		{"bob", o.BOB, Listener{false, "127.0.0.1", 2827}},
		{"i2cp", o.I2CP, I2CP{Listener{false, "127.0.0.1", 7654}, true}},
		{"i2pcontrol", o.I2PControl.Listener, Listener{false, "127.0.0.1", 7650}},
		{"reseed.verify", o.Reseed.Verify, false},
		{"reseed.threshold", o.Reseed.Threshold, 25},
		{"reseed.urls", len(o.Reseed.URLs), 11},
		{"addressbook.subscriptions", o.AddressBook.Subscriptions, []string{"http://reg.i2p/hosts.txt"}},
		{"limits", o.Limits, Limits{TransitTunnels: 5000}},
		{"exploratory", o.Exploratory, Exploratory{2, 3, 2, 3}},
		{"persist", o.Persist, Persist{true, true}},
		{"nettime", o.NetTime.NTPSyncInterval, 72},
		{"trust.routers", o.Trust.Routers, []string(nil)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if o.IsSet("netid") || o.Source("netid") != "" {
		t.Error("netid is set without being given")
	}
}

// Every local service defaults to loopback.
func TestLocalServicesOnLoopback(t *testing.T) {
	o := Default()
	for _, l := range []Listener{o.HTTP.Listener, o.HTTPProxy.Listener, o.SOCKSProxy.Listener, o.SAM.Listener, o.BOB, o.I2CP.Listener, o.I2PControl.Listener} {
		if l.Address != "127.0.0.1" {
			t.Errorf("listener %+v not on 127.0.0.1", l)
		}
	}
}

func TestCommandLineForms(t *testing.T) {
	cases := []struct {
		args  []string
		check func(o *Options) bool
	}{
		{[]string{"--netid=7"}, func(o *Options) bool { return o.NetID == 7 }},
		{[]string{"--netid", "7"}, func(o *Options) bool { return o.NetID == 7 }},
		{[]string{"-netid=7"}, func(o *Options) bool { return o.NetID == 7 }},
		{[]string{"--floodfill"}, func(o *Options) bool { return o.Floodfill }},
		{[]string{"--floodfill", "false"}, func(o *Options) bool { return !o.Floodfill && o.IsSet("floodfill") }},
		{[]string{"--floodfill", "--netid=3"}, func(o *Options) bool { return o.Floodfill && o.NetID == 3 }},
		{[]string{"--ntcp2.enabled=no", "--ssu2.published", "OFF"}, func(o *Options) bool { return !o.NTCP2.Enabled && !o.SSU2.Published }},
		{[]string{"--http.enabled="}, func(o *Options) bool { return o.HTTP.Enabled }},
		{[]string{"--httpproxy.inbound.lengthVariance", "-2"}, func(o *Options) bool { return o.HTTPProxy.TunnelPool.InboundLengthVariance == -2 }},
		{[]string{"--loglevel=DEBUG"}, func(o *Options) bool { return o.LogLevel == "debug" }},
		{[]string{"--reseed.urls= https://a/ ,, https://b/"}, func(o *Options) bool {
			return reflect.DeepEqual(o.Reseed.URLs, []string{"https://a/", "https://b/"})
		}},
		{[]string{"--datadir=$T/d", "--tunconf=/etc/t.conf"}, func(o *Options) bool {
			return strings.HasSuffix(o.DataDir, "/d") && o.TunConf == "/etc/t.conf" && o.TunnelsDir == filepath.Join(o.DataDir, "tunnels.d")
		}},
		{[]string{"--service"}, func(o *Options) bool { return o.DataDir == "/var/lib/veil" }},
		{[]string{"--ntcp"}, func(o *Options) bool { return !o.IsSet("ntcp") }}, // ignored, accepted
		{[]string{"--bandwidth=X", "--share", "50"}, func(o *Options) bool { return o.Bandwidth == "X" && o.Share == 50 }},
		{[]string{"--bandwidth=2048"}, func(o *Options) bool { return o.Bandwidth == "2048" }},
		{[]string{"--ssu2.mtu4=1280", "--ssu2.mtu6=1500"}, func(o *Options) bool { return o.SSU2.MTU4 == 1280 && o.SSU2.MTU6 == 1500 }},
		{[]string{"--"}, func(o *Options) bool { return true }},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			o, _, err := loadIn(t, c.args, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(o) {
				t.Errorf("unexpected options: %+v", o)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, c := range []struct {
		args []string
		want error
	}{
		{[]string{"--help"}, ErrHelp},
		{[]string{"-h"}, ErrHelp},
		{[]string{"--netid=3", "--version"}, ErrVersion},
	} {
		if _, err := Load(c.args, env("/nonexistent")); err != c.want {
			t.Errorf("%v: err = %v, want %v", c.args, err, c.want)
		}
	}
	if _, err := Load([]string{"--help", "--bogus"}, env("/x")); !errors.Is(err, ErrUnknownOption) {
		t.Errorf("--help --bogus: %v, want unknown option", err)
	}
}

const sampleConf = `## comment
ipv6 = true   # trailing comment
; veil also takes this as a comment
ntcp2.port = 4567

[ntcp2]
published = false
[ssu2]
port=4568
mtu4 = 1440
[httpproxy]
inbound.length = 2
i2cp.leaseSetEncType = 4
[reseed]
urls = https://a.example/,https://b.example/
[sam]
enabled = 0
`

func TestConfigFile(t *testing.T) {
	o, dir, err := loadIn(t, nil, map[string]string{"home/.veil/i2pd.conf": sampleConf})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.IPv6 = true
	want.NTCP2.Port, want.NTCP2.Published = 4567, false
	want.SSU2.Port, want.SSU2.MTU4 = 4568, 1440
	want.HTTPProxy.TunnelPool.InboundLength = 2
	want.HTTPProxy.LeaseSetEncType = []string{"4"}
	want.Reseed.URLs = []string{"https://a.example/", "https://b.example/"}
	want.SAM.Enabled = false
	home := filepath.Join(dir, "home", ".veil")
	want.DataDir, want.Conf = home, filepath.Join(home, "i2pd.conf")
	want.TunConf, want.TunnelsDir, want.CertsDir = filepath.Join(home, "tunnels.conf"), filepath.Join(home, "tunnels.d"), filepath.Join(home, "certificates")
	if !equalOptions(o, want) {
		t.Errorf("got\n%s\nwant\n%s", Dump(o), Dump(want))
	}
	if got := o.Source("ssu2.mtu4"); got != want.Conf+":10" {
		t.Errorf("Source(ssu2.mtu4) = %q", got)
	}
}

func TestPrecedence(t *testing.T) {
	files := map[string]string{"c.conf": "netid = 5\nloglevel = info\n[ntcp2]\nport = 1000\n"}
	o, _, err := loadIn(t, []string{"--conf=$T/c.conf", "--netid=9", "--ntcp2.port", "2000"}, files)
	if err != nil {
		t.Fatal(err)
	}
	if o.NetID != 9 || o.NTCP2.Port != 2000 || o.LogLevel != "info" {
		t.Errorf("netid %d ntcp2.port %d loglevel %s: want 9 2000 info", o.NetID, o.NTCP2.Port, o.LogLevel)
	}
	if o.Source("netid") != SourceCommandLine || !strings.HasSuffix(o.Source("loglevel"), "c.conf:2") {
		t.Errorf("sources: netid %q loglevel %q", o.Source("netid"), o.Source("loglevel"))
	}
}

func TestConfSearch(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		files   map[string]string
		netid   int
		wantErr string
	}{
		{"i2pd.conf in default datadir", nil, map[string]string{"home/.veil/i2pd.conf": "netid=3"}, 3, ""},
		{"veil.conf in default datadir", nil, map[string]string{"home/.veil/veil.conf": "netid=4"}, 4, ""},
		{"both", nil, map[string]string{"home/.veil/veil.conf": "netid=4", "home/.veil/i2pd.conf": "netid=3"}, 0, "i2pd.conf exists too"},
		{"in --datadir", []string{"--datadir=$T/d"}, map[string]string{"d/i2pd.conf": "netid=6", "home/.veil/i2pd.conf": "netid=3"}, 6, ""},
		{"--conf wins over datadir", []string{"--conf=$T/x.conf"}, map[string]string{"x.conf": "netid=8", "home/.veil/i2pd.conf": "netid=3"}, 8, ""},
		{"--conf sets datadir", []string{"--conf=$T/x.conf"}, map[string]string{"x.conf": "datadir=/srv/veil\nnetid=8"}, 8, ""},
		{"found file may not move datadir", nil, map[string]string{"home/.veil/i2pd.conf": "netid=1\ndatadir=/elsewhere"}, 0, `i2pd.conf:2: datadir: moves the data folder to "/elsewhere"`},
		{"found file may not switch to service", nil, map[string]string{"home/.veil/i2pd.conf": "service=true"}, 0, `i2pd.conf:1: service: moves the data folder to "/var/lib/veil"`},
		{"found file may name its own folder", []string{"--datadir=$T/d"}, map[string]string{"d/i2pd.conf": "datadir=$T/d/"}, 2, ""},
		{"missing --conf", []string{"--conf=$T/none.conf"}, nil, 0, "config: command line: --conf: open "},
		{"no HOME", []string{"--netid=3"}, nil, 0, "config: command line: --datadir: not given, and $HOME is not set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for k, v := range c.files {
				files[k] = strings.ReplaceAll(v, "$T", dir)
			}
			writeFiles(t, dir, files)
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.ReplaceAll(a, "$T", dir)
			}
			home := filepath.Join(dir, "home")
			if c.name == "no HOME" {
				home = ""
			}
			o, err := Load(args, env(home))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.NetID != c.netid {
				t.Errorf("netid = %d, want %d (conf %q)", o.NetID, c.netid, o.Conf)
			}
		})
	}
}

// equalOptions compares values, ignoring where options came from.
func equalOptions(a, b *Options) bool {
	x, y := *a, *b
	x.set, y.set = nil, nil
	return reflect.DeepEqual(x, y)
}
