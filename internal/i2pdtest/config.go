package i2pdtest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultNetID is the private network id used when Config.NetID is 0.
const DefaultNetID = 99

// Config describes one i2pd router. The zero value is a usable loopback
// router on netid 99 with free ports in a fresh t.TempDir().
type Config struct {
	// DataDir is i2pd's --datadir; default t.TempDir(). Start writes
	// i2pd.conf, tunnels.conf and tunnels.d/ there; i2pd writes its keys,
	// router.info, netDb/ and i2pd.log.
	DataDir string
	// NetID is the I2P network id, 16..254 (2 is the public network and is
	// refused); default DefaultNetID.
	NetID int
	// Host is the address i2pd publishes and binds; default 127.0.0.1 in
	// loopback mode. In netns mode it must be the namespace's address.
	Host string
	// Port is the NTCP2 and SSU2 port (TCP and UDP); 0 picks one that is free
	// for both (loopback mode) or 20000 (netns mode).
	Port int
	// HTTPPort is the web console's port on Host (loopback: 127.0.0.1); 0 picks
	// a free one (loopback mode) or Port+1 (netns mode).
	HTTPPort int
	// Floodfill makes the router a floodfill.
	Floodfill bool
	// LogLevel is i2pd's loglevel; default "info" (the helpers read info lines).
	LogLevel string
	// Options are extra i2pd.conf options, "section.key" or "key" -> value,
	// written after (and so overriding) the defaults. Keys that would weaken
	// the safety settings are refused (see lockedOptions).
	Options map[string]string
	// Tunnels is the body of tunnels.conf (see ServerTunnel).
	Tunnels string
	// ReseedZip is a local reseed zip (see WriteReseedZip). Empty: no zip;
	// i2pd then tries only https://127.0.0.1:9/ and gives up at once.
	ReseedZip string
	// Netns runs i2pd inside this network namespace ("ip netns exec"), which
	// must have been created by a Network of the same test. Empty: loopback
	// mode.
	Netns string
	// Binary is the i2pd executable; default the one Available finds.
	Binary string
	// StartTimeout bounds the wait for the console to answer after a start;
	// default 30 s, at most MaxWait.
	StartTimeout time.Duration
}

// lockedOptions are the i2pd options Start sets itself and Config.Options may
// not change: the private network and the "contact nobody" settings, and the
// files and addresses the harness relies on.
var lockedOptions = map[string]string{
	"netid":               "use Config.NetID",
	"reseed.urls":         "reseeding from the network is never allowed",
	"reseed.verify":       "fixed to false",
	"reseed.zipfile":      "use Config.ReseedZip",
	"reseed.file":         "reseeding from the network is never allowed",
	"reseed.floodfill":    "reseeding from the network is never allowed",
	"upnp.enabled":        "UPnP stays off",
	"nettime.enabled":     "NTP stays off",
	"addressbook.enabled": "the address book stays off, unless addressbook.subscriptions and addressbook.defaulturl are given too",
	"socksproxy.enabled":  "SOCKS stays off",
	"bob.enabled":         "BOB stays off",
	"i2pcontrol.address":  "I2PControl (off unless a test enables it) stays on i2pd's default, 127.0.0.1",
	"daemon":              "i2pd must stay the direct child",
	"service":             "i2pd must stay the direct child",
	"log":                 "the harness reads the log file",
	"logfile":             "the harness reads the log file",
	"pidfile":             "the harness checks the pid file",
	"datadir":             "use Config.DataDir",
	"host":                "use Config.Host",
	"address4":            "use Config.Host",
	"port":                "use Config.Port",
	"http.enabled":        "the harness needs the console",
	"http.address":        "use Config.Host",
	"http.port":           "use Config.HTTPPort",
	"tunconf":             "use Config.Tunnels",
	"tunnelsdir":          "use Config.Tunnels",
}

// checkNetID refuses the public network and ids outside the private range
// agreed for tests.
func checkNetID(id int) error {
	if id < 16 || id > 254 {
		return fmt.Errorf("i2pdtest: netid %d: want a private id in 16..254 (2 is the public network)", id)
	}
	return nil
}

// addressBookNamed says whether opts name the address book's feeds
// themselves. i2pd 2.45.1's SAM bridge needs the address book: STREAM
// CONNECT and ACCEPT store the peer in it and the process dies when it is
// off. With feeds the test names (fetched through I2P, so on a private
// network nothing leaves it), i2pd's default ones are never asked for.
func addressBookNamed(opts map[string]string) bool {
	n := 0
	for k := range opts {
		switch strings.ToLower(k) {
		case "addressbook.subscriptions", "addressbook.defaulturl":
			n++
		}
	}
	return n == 2
}

// checkOptions refuses locked keys and values that would break the ini file.
func checkOptions(opts map[string]string) error {
	for k, v := range opts {
		if strings.EqualFold(k, "addressbook.enabled") && addressBookNamed(opts) {
			continue
		}
		if why, ok := lockedOptions[strings.ToLower(k)]; ok {
			return fmt.Errorf("i2pdtest: option %q may not be set: %s", k, why)
		}
		if k == "" || strings.ContainsAny(k, "=[]#\r\n \t") || strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("i2pdtest: option %q = %q: not a valid ini entry", k, v)
		}
	}
	return nil
}

// confFile renders i2pd.conf. Top-level options come first, then one
// [section] per prefix; extra options override the defaults.
func confFile(c *Config) string {
	dd := c.DataDir
	onOff := func(b bool) string { return strconv.FormatBool(b) }
	opts := map[string]string{
		"log":      "file",
		"logfile":  filepath.Join(dd, "i2pd.log"),
		"loglevel": c.LogLevel,
		"pidfile":  filepath.Join(dd, "i2pd.pid"),
		"daemon":   "false",
		"service":  "false",
		"certsdir": "/usr/share/i2pd/certificates",
		// Private network: id != 2, so i2pd refuses peers and handshakes of
		// the public network.
		"netid":         strconv.Itoa(c.NetID),
		"tunconf":       filepath.Join(dd, "tunnels.conf"),
		"tunnelsdir":    filepath.Join(dd, "tunnels.d"),
		"ipv4":          "true",
		"ipv6":          "false",
		"nat":           "false",
		"host":          c.Host,
		"address4":      c.Host,
		"port":          strconv.Itoa(c.Port),
		"reservedrange": "false",
		"floodfill":     onOff(c.Floodfill),
		"ssu":           "false",

		"ntcp2.enabled":   "true",
		"ntcp2.published": "true",
		"ntcp2.port":      strconv.Itoa(c.Port),
		"ssu2.enabled":    "true",
		"ssu2.published":  "true",
		"ssu2.port":       strconv.Itoa(c.Port),

		"http.enabled":       "true",
		"http.address":       c.Host,
		"http.port":          strconv.Itoa(c.HTTPPort),
		"http.strictheaders": "false",

		"httpproxy.enabled":   "false",
		"socksproxy.enabled":  "false",
		"sam.enabled":         "false",
		"i2cp.enabled":        "false",
		"bob.enabled":         "false",
		"i2pcontrol.enabled":  "false",
		"upnp.enabled":        "false",
		"nettime.enabled":     "false",
		"addressbook.enabled": "false",
		// Only ever reseed from a local zip; the URL list is a dead loopback
		// address, so nothing outside this machine can be contacted.
		"reseed.verify":         "false",
		"reseed.zipfile":        c.ReseedZip,
		"reseed.urls":           "https://127.0.0.1:9/",
		"persist.profiles":      "false",
		"limits.transittunnels": "200",
	}
	for k, v := range c.Options {
		opts[strings.ToLower(k)] = v
	}

	sections := map[string][]string{}
	for k, v := range opts {
		sec, key, ok := strings.Cut(k, ".")
		if !ok {
			sec, key = "", k
		}
		sections[sec] = append(sections[sec], key+" = "+v)
	}
	names := make([]string, 0, len(sections))
	for s := range sections {
		names = append(names, s)
	}
	sort.Strings(names) // "" (top level) sorts first
	var b strings.Builder
	b.WriteString("# written by veil internal/i2pdtest: private test network, loopback or test namespaces only\n")
	for _, s := range names {
		if s != "" {
			fmt.Fprintf(&b, "\n[%s]\n", s)
		}
		lines := sections[s]
		sort.Strings(lines)
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// ServerTunnel returns a tunnels.conf section for an i2pd server tunnel
// named name that forwards to 127.0.0.1:port and keeps its destination keys
// in keysFile (relative to the data dir). i2pd creates keysFile when the
// tunnel starts if it does not exist. Nothing needs to listen on port.
func ServerTunnel(name, keysFile string, port int) string {
	return fmt.Sprintf("[%s]\ntype = server\nhost = 127.0.0.1\nport = %d\nkeys = %s\ninbound.quantity = 1\noutbound.quantity = 1\n",
		name, port, keysFile)
}

// freePort returns a port on host that is free for TCP and for UDP at the
// time of the call. Another process may still take it before i2pd binds it;
// the tries are bounded.
func freePort(host string) (int, error) {
	var lastErr error
	for range 200 {
		// Below the kernel's ephemeral range (32768 and up), where another
		// test's outgoing connection could take the port before i2pd
		// binds it.
		port := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			lastErr = err
			continue
		}
		u, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		l.Close()
		if err != nil {
			lastErr = err
			continue
		}
		u.Close()
		return port, nil
	}
	return 0, fmt.Errorf("i2pdtest: no port free for TCP and UDP on %s: %w", host, lastErr)
}
