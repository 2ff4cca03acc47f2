package config

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseTunnelsSample(t *testing.T) {
	data, err := os.ReadFile("testdata/tunnels.conf")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := ParseTunnels("testdata/tunnels.conf", data)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tu := range ts {
		names = append(names, tu.Name)
	}
	if got := strings.Join(names, ","); got != "IRC-ILITA,website,irc-server,udp,proxy" {
		t.Fatalf("tunnels %s", got)
	}
	irc, web, ircd, udp, proxy := ts[0], ts[1], ts[2], ts[3], ts[4]
	checks := []struct {
		name      string
		got, want any
	}{
		{"irc type", irc.Type, TunnelClient},
		{"irc client", irc.IsClient(), true},
		{"irc address", irc.Address(), "127.0.0.1"},
		{"irc port", irc.Port(), 6668},
		{"irc destination", irc.Destination(), "irc.ilita.i2p"},
		{"irc destinationport", irc.DestinationPort(), 6667},
		{"irc keys", irc.Keys(), "irc-keys.dat"},
		{"irc source", irc.Source + ":" + strconv.Itoa(irc.Line), "testdata/tunnels.conf:3"},
		{"irc sigtype", irc.SignatureType(), 7},
		{"irc cryptotype", irc.CryptoType(), 0},
		{"web server", web.IsServer(), true},
		{"web host", web.Host(), "127.0.0.1"},
		{"web inport", web.InPort(), 80},
		{"web address", web.Address(), ""},
		{"web gzip", web.GZip(), false},
		{"web unique local", web.EnableUniqueLocal(), true},
		{"web i2cp", len(web.I2CP()), 3},
		{"web i2cp inbound", web.I2CP()["inbound.length"], "2"},
		{"ircd hash kept", ircd.String("webircpassword", ""), "pass#word"},
		{"udp gzip default", udp.GZip(), true},
		{"udp keys default", udp.Keys(), "transient"},
		{"proxy outproxy", proxy.String("outproxy", ""), "http://exit.i2p"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if n, err := web.Int("i2cp.leaseSetType", 1, 0, 255); n != 3 || err != nil {
		t.Errorf("Int(i2cp.leaseSetType) = %d, %v", n, err)
	}
}

func TestParseTunnelsErrors(t *testing.T) {
	const client = "type = client\nport = 1\ndestination = a.i2p\n"
	cases := []struct {
		name, src, want string
		is              error
	}{
		{"outside", "type = client\n", `config: t.conf:1: type: key outside a [tunnel] section`, ErrSyntax},
		{"no type", "[a]\nport = 1\n", `config: t.conf:1: [a] type: missing; one of client, server, http, irc, udpclient, udpserver, socks, httpproxy`, ErrInvalidValue},
		{"bad type", "[a]\ntype = clinet\n", `config: t.conf:2: [a] type: unknown tunnel type "clinet"`, ErrInvalidValue},
		{"type case", "[a]\ntype = Client\n", `config: t.conf:2: [a] type: unknown tunnel type "Client"`, ErrInvalidValue},
		{"client needs destination", "[a]\ntype = client\nport = 1\n", `config: t.conf:1: [a] destination: required for type client`, ErrInvalidValue},
		{"server needs keys", "[a]\ntype = server\nhost = h\nport = 1\n", `config: t.conf:1: [a] keys: required for type server`, ErrInvalidValue},
		{"empty required", "[a]\ntype = socks\nport =\n", `config: t.conf:3: [a] port: required for type socks`, ErrInvalidValue},
		{"port", "[a]\ntype = socks\nport = 70000\n", `config: t.conf:3: [a] port: 70000 is out of range 0..65535`, ErrInvalidValue},
		{"port text", "[a]\n" + client + "destinationport = http\n", `config: t.conf:5: [a] destinationport: "http" is not an integer`, ErrInvalidValue},
		{"bool", "[a]\n" + client + "gzip = maybe\n", `config: t.conf:5: [a] gzip: "maybe" is not a boolean (true/false, yes/no, on/off, 1/0)`, ErrInvalidValue},
		{"unknown key", "[a]\n" + client + "destinaton = b.i2p\n", `config: t.conf:5: unknown option "destinaton" in tunnel [a] (did you mean "destination"?)`, ErrUnknownOption},
		{"dup key", "[a]\n" + client + "port = 2\n", `config: t.conf:5: [a] port: given twice (first on line 3)`, ErrDuplicate},
		{"dup tunnel", "[a]\n" + client + "[a]\n" + client, `config: t.conf:5: [a]: tunnel given twice (first on line 1)`, ErrDuplicate},
		{"syntax", "[a]\ntype client\n", `config: t.conf:2: line is neither [section] nor key = value: "type client"`, ErrSyntax},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTunnels("t.conf", []byte(c.src))
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != c.want {
				t.Errorf("error\n got %s\nwant %s", err, c.want)
			}
			if !errors.Is(err, c.is) {
				t.Errorf("%v is not %v", err, c.is)
			}
		})
	}
}

// Empty sections are dropped, as boost::property_tree drops them, so a
// tunnel whose lines were all commented out does not count.
func TestParseTunnelsEmptySections(t *testing.T) {
	ts, err := ParseTunnels("t", []byte("[a]\n#type = client\n[b]\ntype = socks\nport = 1\n[a]\n[c]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Name != "b" {
		t.Fatalf("got %+v", ts)
	}
}

func TestLoadTunnels(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"tunnels.conf":          "[main]\ntype = socks\nport = 1\n",
		"tunnels.d/b.conf":      "[b]\ntype = socks\nport = 2\n",
		"tunnels.d/a.conf":      "[a]\ntype = socks\nport = 3\n",
		"tunnels.d/notes.txt":   "not a tunnel file",
		"tunnels.d/sub.conf/x":  "a folder named .conf is skipped",
		"other/dup.conf":        "[main]\ntype = socks\nport = 4\n",
		"other/broken.conf":     "[x]\ntype = nope\n",
		"other/tunnels.conf.in": "",
	})
	o, err := Load([]string{"--datadir=" + dir}, env(dir))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := LoadTunnels(o)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tu := range ts {
		got = append(got, tu.Name)
	}
	if strings.Join(got, ",") != "main,a,b" {
		t.Errorf("tunnels %v, want main,a,b", got)
	}

	// Missing default files are no tunnels; a missing named file is an error.
	empty := t.TempDir()
	o, _ = Load([]string{"--datadir=" + empty}, env(empty))
	if ts, err := LoadTunnels(o); err != nil || len(ts) != 0 {
		t.Errorf("empty datadir: %v, %v", ts, err)
	}
	o, _ = Load([]string{"--datadir=" + empty, "--tunconf=" + filepath.Join(empty, "none.conf")}, env(empty))
	if _, err := LoadTunnels(o); err == nil || !strings.Contains(err.Error(), "none.conf") {
		t.Errorf("missing --tunconf: %v", err)
	}

	// A name defined in two files is refused, naming both.
	o, _ = Load([]string{"--datadir=" + dir, "--tunnelsdir=" + filepath.Join(dir, "other")}, env(dir))
	if err := os.Remove(filepath.Join(dir, "other", "broken.conf")); err != nil {
		t.Fatal(err)
	}
	_, err = LoadTunnels(o)
	if want := "[main]: tunnel also defined at " + filepath.Join(dir, "tunnels.conf") + ":1"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("duplicate across files: %v, want %q", err, want)
	}
}
