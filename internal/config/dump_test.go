package config

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// i2pdOptions are the option names of i2pd 2.45.1 (libi2pd/Config.cpp, a
// Linux build), less help and version. Each must be known, and nothing
// else may be, so an i2pd.conf loads in veil exactly when it loads in i2pd
// (values aside).
const i2pdOptions = `conf tunconf tunnelsdir certsdir pidfile log logfile loglevel logclftime family datadir host
ifname ifname4 ifname6 nat port ipv4 address4 ipv6 address6 reservedrange netid daemon service notransit floodfill
bandwidth share ntcp ssu ntcpproxy
limits.coresize limits.openfiles limits.transittunnels limits.ntcpsoft limits.ntcphard limits.ntcpthreads
http.enabled http.address http.port http.auth http.user http.pass http.strictheaders http.hostname http.webroot http.lang
httpproxy.enabled httpproxy.address httpproxy.port httpproxy.keys httpproxy.signaturetype httpproxy.inbound.length
httpproxy.outbound.length httpproxy.inbound.quantity httpproxy.outbound.quantity httpproxy.inbound.lengthVariance
httpproxy.outbound.lengthVariance httpproxy.latency.min httpproxy.latency.max httpproxy.outproxy httpproxy.addresshelper
httpproxy.i2cp.leaseSetType httpproxy.i2cp.leaseSetEncType httpproxy.i2cp.leaseSetPrivKey
socksproxy.enabled socksproxy.address socksproxy.port socksproxy.keys socksproxy.signaturetype socksproxy.inbound.length
socksproxy.outbound.length socksproxy.inbound.quantity socksproxy.outbound.quantity socksproxy.inbound.lengthVariance
socksproxy.outbound.lengthVariance socksproxy.latency.min socksproxy.latency.max socksproxy.outproxy.enabled
socksproxy.outproxy socksproxy.outproxyport socksproxy.i2cp.leaseSetType socksproxy.i2cp.leaseSetEncType
socksproxy.i2cp.leaseSetPrivKey
sam.enabled sam.address sam.port sam.singlethread bob.enabled bob.address bob.port
i2cp.enabled i2cp.address i2cp.port i2cp.singlethread
i2pcontrol.enabled i2pcontrol.address i2pcontrol.port i2pcontrol.password i2pcontrol.cert i2pcontrol.key
upnp.enabled upnp.name precomputation.elgamal
reseed.verify reseed.threshold reseed.floodfill reseed.file reseed.zipfile reseed.proxy reseed.urls reseed.yggurls
addressbook.enabled addressbook.defaulturl addressbook.subscriptions addressbook.hostsfile
trust.enabled trust.family trust.routers trust.hidden websockets.enabled websockets.address websockets.port
exploratory.inbound.length exploratory.outbound.length exploratory.inbound.quantity exploratory.outbound.quantity
ntcp2.enabled ntcp2.published ntcp2.port ntcp2.addressv6 ntcp2.proxy
ssu2.enabled ssu2.published ssu2.port ssu2.mtu4 ssu2.mtu6 ssu2.proxy
nettime.enabled nettime.ntpservers nettime.ntpsyncinterval nettime.frompeers persist.profiles persist.addressbook
cpuext.aesni cpuext.avx cpuext.force meshnets.yggdrasil meshnets.yggaddress unix.handle_sigtstp`

// veilOptions are veil's own options, which i2pd does not know: an
// i2pd.conf without them loads in both.
const veilOptions = `metrics.enabled metrics.address metrics.port socksproxy.user socksproxy.password sam.portudp`

func TestTableMatchesI2pd(t *testing.T) {
	want := strings.Fields(i2pdOptions)
	var got []string
	for i := range optionTable {
		got = append(got, optionTable[i].name)
	}
	for _, n := range want {
		if lookupOption(n) == nil {
			t.Errorf("i2pd option %s is not registered", n)
		}
	}
	for _, n := range got {
		if !slices.Contains(want, n) && !slices.Contains(strings.Fields(veilOptions), n) {
			t.Errorf("option %s is not an i2pd 2.45.1 option", n)
		}
	}
}

func TestTableInvariants(t *testing.T) {
	def := Default()
	seen := map[string]bool{}
	last := ""
	for i := range optionTable {
		d := &optionTable[i]
		sec, _ := d.section()
		if sec != last {
			if seen[sec] {
				t.Errorf("section [%s] is split in the table at %s", sec, d.name)
			}
			seen[sec], last = true, sec
		}
		if d.doc == "" {
			t.Errorf("%s has no doc", d.name)
		}
		if !d.stored() {
			continue
		}
		fields := 0
		for _, f := range []bool{d.b != nil, d.i != nil, d.s != nil, d.l != nil} {
			if f {
				fields++
			}
		}
		if fields != 1 {
			t.Errorf("%s has %d fields", d.name, fields)
		}
		if got := d.get(def); got != d.def {
			t.Errorf("%s: default %q reads back as %q", d.name, d.def, got)
		}
		if !d.representable(def) {
			t.Errorf("%s: default %q cannot be written to a file", d.name, d.def)
		}
	}
	if seen[""] && optionTable[0].name != "conf" {
		t.Error("top-level options must come first")
	}
}

func TestUsageListsEverything(t *testing.T) {
	u := Usage()
	for i := range optionTable {
		if d := &optionTable[i]; !strings.Contains(u, "--"+d.name+"="+d.def+"\n") {
			t.Errorf("Usage lacks --%s", d.name)
		}
	}
	for _, s := range []string{"--help", "--version", "[ntcp2]", "127.0.0.1"} {
		if !strings.Contains(u, s) {
			t.Errorf("Usage lacks %q", s)
		}
	}
}

// fataler is what reload needs of *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// reload writes Dump(o) to a file and loads it with --conf alone.
func reload(t fataler, dir string, o *Options) *Options {
	t.Helper()
	p := filepath.Join(dir, "dump.conf")
	if err := os.WriteFile(p, []byte(Dump(o)), 0o644); err != nil {
		t.Fatalf("%v", err)
	}
	o2, err := Load([]string{"--conf=" + p}, env(filepath.Join(dir, "home")))
	if err != nil {
		t.Fatalf("reloading the dump: %v\n%s", err, Dump(o))
	}
	return o2
}

func TestDumpDefaults(t *testing.T) {
	dir := t.TempDir()
	o, err := Load(nil, env(filepath.Join(dir, "home")))
	if err != nil {
		t.Fatal(err)
	}
	d := Dump(o)
	for _, line := range strings.Split(d, "\n") {
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		if k, _, _ := strings.Cut(line, " ="); !slices.Contains([]string{"datadir", "tunconf", "tunnelsdir", "certsdir"}, k) {
			t.Errorf("default written as a live line: %q", line)
		}
	}
	o2 := reload(t, dir, o)
	o.Conf = o2.Conf
	if !equalOptions(o, o2) {
		t.Errorf("defaults changed in a round trip:\n%s", Dump(o2))
	}
}

// A value i2pd.conf cannot hold is written as a comment, not cut short.
func TestDumpUnrepresentable(t *testing.T) {
	dir := t.TempDir()
	o, err := Load([]string{"--datadir=" + dir, "--http.pass=a#b", "--family= x"}, env(dir))
	if err != nil {
		t.Fatal(err)
	}
	o.Trust.Routers = []string{"a,b"}
	d := Dump(o)
	for _, k := range []string{"pass", "family", "routers"} {
		if !strings.Contains(d, "# "+k+": not written: i2pd.conf cannot hold its value\n") {
			t.Errorf("%s not commented out:\n%s", k, d)
		}
	}
	if o2 := reload(t, dir, o); o2.HTTP.Pass != "" || o2.Family != "" || o2.Trust.Routers != nil {
		t.Errorf("reloaded %q %q %q", o2.HTTP.Pass, o2.Family, o2.Trust.Routers)
	}
}

// valueGen draws a valid command-line value for an option.
func valueGen(d *option) *rapid.Generator[string] {
	ips4 := []string{"127.0.0.1", "10.1.2.3", "192.0.2.200", "0.0.0.0"}
	ips6 := []string{"::", "::1", "2001:db8::7", "fe80::1", "200:1234::1"}
	switch d.name {
	case "loglevel":
		return rapid.SampledFrom([]string{"debug", "INFO", "Warn", "error", "critical", "none"})
	case "log":
		return rapid.SampledFrom([]string{"", "stdout", "FILE", "syslog"})
	case "bandwidth":
		return rapid.OneOf(rapid.SampledFrom(strings.Split(",K,L,M,N,O,P,X", ",")), rapid.Map(rapid.IntRange(1, 1<<20), strconv.Itoa))
	case "host":
		return rapid.SampledFrom(append(append([]string{""}, ips4...), ips6...))
	case "address4":
		return rapid.SampledFrom(append([]string{""}, ips4...))
	case "address6", "meshnets.yggaddress":
		return rapid.SampledFrom(append([]string{""}, ips6...))
	case "ntcp2.addressv6":
		return rapid.SampledFrom(ips6)
	}
	if strings.HasSuffix(d.name, ".address") {
		return rapid.OneOf(rapid.SampledFrom(append(ips4, ips6...)), rapid.StringMatching(`[a-z][a-z0-9.-]{0,20}`))
	}
	switch d.kind {
	case kindBool:
		return rapid.SampledFrom([]string{"true", "false", "yes", "NO", "on", "Off", "1", "0", ""})
	case kindInt:
		if d.intOK != nil { // the MTUs
			return rapid.Map(rapid.OneOf(rapid.Just(0), rapid.IntRange(1280, 1500)), strconv.Itoa)
		}
		return rapid.Map(rapid.IntRange(d.lo, d.hi), strconv.Itoa)
	case kindList:
		elem := plainString(1)
		if d.check != nil { // lists of crypto type numbers
			elem = rapid.Map(rapid.IntRange(0, 65535), strconv.Itoa)
		}
		return rapid.Map(rapid.SliceOfN(elem, 0, 4), func(s []string) string { return strings.Join(s, ",") })
	}
	if d.check != nil {
		panic("no generator for checked option " + d.name)
	}
	return plainString(0)
}

// plainString draws a string i2pd.conf can hold (see plainValue), at
// least minLen runes, without ',' when it is a list element.
func plainString(minLen int) *rapid.Generator[string] {
	r := rapid.Rune().Filter(func(r rune) bool { return !isControl(r) && r != '#' && (minLen == 0 || r != ',') })
	return rapid.StringOfN(r, minLen, 24, -1).Filter(func(s string) bool { return trim(s) == s && s != "" || minLen == 0 && s == "" })
}

// Load(args) → Dump → Load(--conf=dump) gives the same options, and the
// same answer from IsSet for every option except the paths Load resolves,
// which a dump pins.
func TestDumpLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.conf")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(rt *rapid.T) {
		args := []string{"--conf=" + empty}
		for i := range optionTable {
			d := &optionTable[i]
			if d.cmdOnly || !rapid.Bool().Draw(rt, "set "+d.name) {
				continue
			}
			args = append(args, "--"+d.name+"="+valueGen(d).Draw(rt, d.name))
		}
		o1, err := Load(args, env(filepath.Join(dir, "home")))
		if err != nil {
			rt.Fatalf("Load(%q): %v", args, err)
		}
		o2 := reload(rt, dir, o1)
		o1.Conf = o2.Conf
		if !equalOptions(o1, o2) {
			rt.Fatalf("round trip changed options\nfirst:\n%s\nsecond:\n%s", Dump(o1), Dump(o2))
		}
		for i := range optionTable {
			n := optionTable[i].name
			switch n {
			case "conf", "datadir", "tunconf", "tunnelsdir", "certsdir":
				if o1.IsSet(n) && !o2.IsSet(n) {
					rt.Errorf("%s was set, is not after the round trip", n)
				}
			default:
				if o1.IsSet(n) != o2.IsSet(n) {
					rt.Errorf("IsSet(%s): %v before, %v after", n, o1.IsSet(n), o2.IsSet(n))
				}
			}
		}
	})
}
