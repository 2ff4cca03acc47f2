package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// Every error names the option (or the line) and where it was written.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		conf string // written to $T/c.conf and passed with --conf when non-empty
		want string // exact message; $C is the conf path
		is   error
	}{
		// command line
		{"cmd unknown", []string{"--ntcp2.prot=1"}, "", `config: command line: unknown option "--ntcp2.prot" (did you mean "--ntcp2.port"?)`, ErrUnknownOption},
		{"cmd unknown far", []string{"--frobnicate"}, "", `config: command line: unknown option "--frobnicate"`, ErrUnknownOption},
		{"cmd not int", []string{"--netid=abc"}, "", `config: command line: --netid: "abc" is not an integer`, ErrInvalidValue},
		{"cmd netid range", []string{"--netid", "256"}, "", `config: command line: --netid: 256 is out of range 0..255`, ErrInvalidValue},
		{"cmd netid negative", []string{"--netid=-1"}, "", `config: command line: --netid: -1 is out of range 0..255`, ErrInvalidValue},
		{"cmd port range", []string{"--ntcp2.port=65536"}, "", `config: command line: --ntcp2.port: 65536 is out of range 0..65535`, ErrInvalidValue},
		{"cmd huge int", []string{"--port=99999999999999999999"}, "", `config: command line: --port: "99999999999999999999" is out of range 0..65535`, ErrInvalidValue},
		{"cmd hex", []string{"--port=0x10"}, "", `config: command line: --port: "0x10" is not an integer`, ErrInvalidValue},
		{"cmd empty int", []string{"--port="}, "", `config: command line: --port: "" is not an integer`, ErrInvalidValue},
		{"cmd share", []string{"--share=101"}, "", `config: command line: --share: 101 is out of range 0..100`, ErrInvalidValue},
		{"cmd bool", []string{"--floodfill=maybe"}, "", `config: command line: --floodfill: "maybe" is not a boolean (true/false, yes/no, on/off, 1/0)`, ErrInvalidValue},
		{"cmd loglevel", []string{"--loglevel=loud"}, "", `config: command line: --loglevel: "loud" is not one of debug, info, warn, error, critical, none`, ErrInvalidValue},
		{"cmd log", []string{"--log=tty"}, "", `config: command line: --log: "tty" is not one of stdout, file, syslog`, ErrInvalidValue},
		{"cmd bandwidth", []string{"--bandwidth=Q"}, "", `config: command line: --bandwidth: "Q" is not a bandwidth class (K, L, M, N, O, P, X) or a limit in KBps`, ErrInvalidValue},
		{"cmd host", []string{"--host=example.com"}, "", `config: command line: --host: "example.com" is not an IP address`, ErrInvalidValue},
		{"cmd address4", []string{"--address4=::1"}, "", `config: command line: --address4: "::1" is not an IPv4 address`, ErrInvalidValue},
		{"cmd addressv6", []string{"--ntcp2.addressv6=1.2.3.4"}, "", `config: command line: --ntcp2.addressv6: "1.2.3.4" is not an IPv6 address`, ErrInvalidValue},
		{"cmd listen", []string{"--sam.address=a b"}, "", `config: command line: --sam.address: "a b" is not an IP address or host name`, ErrInvalidValue},
		{"cmd mtu", []string{"--ssu2.mtu4=1000"}, "", `config: command line: --ssu2.mtu4: 1000 is neither 0 (detect) nor in 1280..1500`, ErrInvalidValue},
		{"cmd enc list", []string{"--httpproxy.i2cp.leaseSetEncType=0,x"}, "", `config: command line: --httpproxy.i2cp.leaseSetEncType: "x" is not an integer`, ErrInvalidValue},
		{"cmd tunnel length", []string{"--exploratory.inbound.length=9"}, "", `config: command line: --exploratory.inbound.length: 9 is out of range 0..8`, ErrInvalidValue},
		{"cmd quantity", []string{"--exploratory.outbound.quantity=0"}, "", `config: command line: --exploratory.outbound.quantity: 0 is out of range 1..16`, ErrInvalidValue},
		{"cmd ignored checked", []string{"--limits.ntcpsoft=x"}, "", `config: command line: --limits.ntcpsoft: "x" is not an integer`, ErrInvalidValue},
		{"cmd twice", []string{"--netid=3", "--netid=4"}, "", `config: command line: --netid: given twice`, ErrDuplicate},
		{"cmd missing value", []string{"--loglevel"}, "", `config: command line: --loglevel: needs a value`, ErrSyntax},
		{"cmd value is option", []string{"--loglevel", "--netid=3"}, "", `config: command line: --loglevel: needs a value`, ErrSyntax},
		{"cmd positional", []string{"router"}, "", `config: command line: unexpected argument "router"`, ErrSyntax},
		{"cmd after dashdash", []string{"--", "x"}, "", `config: command line: unexpected argument "x"`, ErrSyntax},
		{"cmd help value", []string{"--help=1"}, "", `config: command line: --help: takes no value`, ErrSyntax},
		{"cmd control", []string{"--family=a\nb"}, "", `config: command line: --family: value has a control character`, ErrInvalidValue},

		// file
		{"file unknown", nil, "[ntcp2]\nprot = 1\n", `config: $C:2: unknown option "ntcp2.prot" (did you mean "ntcp2.port"?)`, ErrUnknownOption},
		{"file unknown section", nil, "\n\n[ntcp3]\nport = 1\n", `config: $C:4: unknown option "ntcp3.port" (did you mean "ntcp2.port"?)`, ErrUnknownOption},
		{"file unknown top", nil, "netidd = 1\n", `config: $C:1: unknown option "netidd" (did you mean "netid"?)`, ErrUnknownOption},
		{"file not int", nil, "# c\nnetid = abc\n", `config: $C:2: netid: "abc" is not an integer`, ErrInvalidValue},
		{"file range", nil, "[sam]\nport = 70000\n", `config: $C:2: sam.port: 70000 is out of range 0..65535`, ErrInvalidValue},
		{"file bool", nil, "[ntcp2]\nenabled = 2\n", `config: $C:2: ntcp2.enabled: "2" is not a boolean (true/false, yes/no, on/off, 1/0)`, ErrInvalidValue},
		{"file loglevel", nil, "loglevel = verbose\n", `config: $C:1: loglevel: "verbose" is not one of debug, info, warn, error, critical, none`, ErrInvalidValue},
		{"file duplicate", nil, "netid = 3\n\nnetid = 4\n", `config: $C:3: netid: given twice (first on line 1)`, ErrDuplicate},
		{"file duplicate forms", nil, "ntcp2.port = 1\n[ntcp2]\nport = 2\n", `config: $C:3: ntcp2.port: given twice (first on line 1)`, ErrDuplicate},
		{"file conf", nil, "conf = /x\n", `config: $C:1: conf: can be given only on the command line`, ErrInvalidValue},
		{"file syntax", nil, "netid 3\n", `config: $C:1: line is neither [section] nor key = value: "netid 3"`, ErrSyntax},
		{"file empty key", nil, " = 3\n", `config: $C:1: line is neither [section] nor key = value: "= 3"`, ErrSyntax},
		{"file section", nil, "[ntcp2\n", `config: $C:1: bad section header "[ntcp2"`, ErrSyntax},
		{"file empty section", nil, "[ ]\n", `config: $C:1: bad section header "[ ]"`, ErrSyntax},
		{"file control", nil, "netid = 3\x00\n", `config: $C:1: control character 0x00 in line`, ErrSyntax},
		{"file hash cuts value", nil, "netid = #3\n", `config: $C:1: netid: "" is not an integer`, ErrInvalidValue},
		{"file big", nil, strings.Repeat("#", maxFileSize+1), `config: $C: file is larger than 1048576 bytes`, ErrSyntax},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "c.conf")
			args := append([]string{"--datadir=" + dir}, c.args...)
			if c.conf != "" {
				writeFiles(t, dir, map[string]string{"c.conf": c.conf})
				args = append(args, "--conf="+conf)
			}
			_, err := Load(args, env(dir))
			if err == nil {
				t.Fatal("no error")
			}
			want := strings.ReplaceAll(c.want, "$C", conf)
			if err.Error() != want {
				t.Errorf("error\n got %s\nwant %s", err, want)
			}
			if !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			var e *Error
			if !errors.As(err, &e) || e.Source == "" {
				t.Errorf("error %v is not a located *Error", err)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ntcp2.prot", "ntcp2.port"},
		{"NetID", "netid"},
		{"sam.adress", "sam.address"},
		{"completely.different", ""},
		{"", ""},
		{strings.Repeat("x", 100), ""},
	} {
		if got := suggest(c.in, optionNames); got != c.want {
			t.Errorf("suggest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
