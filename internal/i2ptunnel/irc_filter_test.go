package i2ptunnel

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

func TestIRCFilterOutbound(t *testing.T) {
	f := ircFilter{}
	for in, want := range map[string]string{
		"NICK alice\r\n": "NICK alice\r\n",
		"USER alice alicehost irc.example :Alice Smith\r\n": "USER alice 0 * :Alice Smith\r\n",
		"USER alice 8 * :Alice\n":                           "USER alice 0 * :Alice\r\n",
		"JOIN #veil\r\n":                                    "JOIN #veil\r\n",
		"PRIVMSG #veil :hello there\r\n":                    "PRIVMSG #veil :hello there\r\n",
		"PRIVMSG #veil hello\r\n":                           "PRIVMSG #veil hello\r\n",
		"PRIVMSG #veil :\x01ACTION waves\x01\r\n":           "PRIVMSG #veil :\x01ACTION waves\x01\r\n",
		"privmsg #veil :lower case command\r\n":             "PRIVMSG #veil :lower case command\r\n",
		":alice!a@host PRIVMSG #veil :prefix dropped\r\n":   "PRIVMSG #veil :prefix dropped\r\n",
		"QUIT :irssi 1.4.3 on Linux 6.1\r\n":                "QUIT :leaving\r\n",
		"QUIT\r\n":                                          "QUIT :leaving\r\n",
		"PART #veil :gone to lunch, from HexChat\r\n":       "PART #veil\r\n",
		"PING :irc.example\r\n":                             "PING :irc.example\r\n",
		"PONG :irc.example\r\n":                             "PONG :irc.example\r\n",
		"CAP LS 302\r\n":                                    "CAP LS 302\r\n",
		// Dropped:
		"NOTICE bob :\x01VERSION HexChat 2.16\x01\r\n":               "",
		"PRIVMSG bob :\x01DCC SEND file 3232235777 5000 100\x01\r\n": "",
		"PRIVMSG bob :\x01PING 12345\x01\r\n":                        "",
		"PRIVMSG bob :\x01TIME\x01\r\n":                              "",
		"PRIVMSG bob :hi \x01VERSION\x01\r\n":                        "",
		"PRIVMSG bob :\x01ACTION x\x01\x01VERSION\x01\r\n":           "",
		"WEBIRC pass cgiirc host 1.2.3.4\r\n":                        "",
		"DCC SEND x\r\n":                                             "",
		"SQUERY x\r\n":                                               "",
		"\r\n":                                                       "",
		":only.prefix\r\n":                                           "",
		"USER\r\n":                                                   "",
		"PART\r\n":                                                   "",
	} {
		got := string(f.outbound([]byte(in)))
		if got != want {
			t.Errorf("outbound %q = %q, want %q", in, got, want)
		}
	}
	dcc := ircFilter{allowDCC: true}
	if got := dcc.outbound([]byte("PRIVMSG bob :\x01DCC CHAT chat 1 2\x01\r\n")); got == nil {
		t.Error("DCC dropped with DCC enabled")
	}
}

func TestIRCFilterInbound(t *testing.T) {
	f := ircFilter{}
	for in, pass := range map[string]bool{
		":irc.example 001 alice :Welcome\r\n":                       true,
		":bob!b@x.b32.i2p PRIVMSG #veil :hi\r\n":                    true,
		"@time=2026-01-01T00:00:00Z :bob!b@x PRIVMSG #veil :hi\r\n": true,
		":bob!b@x PRIVMSG #veil :\x01ACTION smiles\x01\r\n":         true,
		"PING :irc.example\r\n":                                     true,
		":bob!b@x JOIN #veil\r\n":                                   true,
		":bob!b@x QUIT :bye\r\n":                                    true,
		"ERROR :Closing link\r\n":                                   true,
		":bob!b@x PRIVMSG alice :\x01VERSION\x01\r\n":               false,
		":bob!b@x PRIVMSG alice :\x01DCC SEND f 1 2 3\x01\r\n":      false,
		":bob!b@x NOTICE alice :\x01PING 1\x01\r\n":                 false,
		":bob!b@x PRIVMSG alice :look \x01FINGER\x01\r\n":           false,
		":irc.example WEIRDCMD x\r\n":                               false,
		":irc.example 12 x\r\n":                                     false,
	} {
		got := f.inbound([]byte(in))
		if (got != nil) != pass || (pass && string(got) != in) {
			t.Errorf("inbound %q = %q, want pass %v", in, got, pass)
		}
	}
}

// TestIRCClientTunnel: an IRC client tunnel between a local client and
// a fake IRC server behind a server tunnel filters both ways.
func TestIRCClientTunnel(t *testing.T) {
	n := newFakeNet()
	server, client := n.destination(t), n.destination(t)
	ircd, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ircd.Close() })
	got := make(chan string, 32)
	go func() {
		c, err := ircd.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte(":bob!b@x PRIVMSG alice :\x01VERSION\x01\r\n:bob!b@x PRIVMSG alice :\x01DCC SEND evil 1 2 3\x01\r\n:bob!b@x PRIVMSG alice :hello alice\r\n"))
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			got <- sc.Text()
		}
		close(got)
	}()
	startServer(t, server, ServerConfig{Name: "ircd", Host: ircd.Addr().String()})
	c := NewClient(ClientConfig{Name: "irc", Destination: server.self.Hash().B32(), IRC: true, ConnectTimeout: 5 * time.Second}, client, nil, nil)
	ln, err := c.Listen()
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, ln, c.Serve)
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	conn.Write([]byte("NICK alice\r\nUSER alice myhost myserver :Alice\r\nNOTICE bob :\x01VERSION irssi\x01\r\nPRIVMSG bob :\x01DCC SEND f 3232235777 5000 1\x01\r\nPRIVMSG #veil :hi\r\nQUIT :irssi on my laptop\r\n"))
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || line != ":bob!b@x PRIVMSG alice :hello alice\r\n" {
		t.Fatalf("client got %q %v (CTCP not filtered?)", line, err)
	}
	want := []string{"NICK alice", "USER alice 0 * :Alice", "PRIVMSG #veil :hi", "QUIT :leaving"}
	for _, w := range want {
		select {
		case l := <-got:
			if l != w {
				t.Fatalf("server got %q, want %q", l, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("server never got %q", w)
		}
	}
	conn.Close()
	for l := range got {
		if strings.Contains(l, "\x01") {
			t.Errorf("server got %q", l)
		}
	}
}

// FuzzIRCFilter: any line, either way: no panic; what passes is one
// line, no CTCP but ACTION, and the outbound filter is idempotent.
func FuzzIRCFilter(f *testing.F) {
	for _, s := range []string{
		"NICK alice\r\n", "USER a b c :d\r\n", "PRIVMSG #c :\x01ACTION x\x01\r\n", "PRIVMSG b :\x01DCC SEND\x01\r\n",
		"@a=b :p!u@h PRIVMSG #c :hi\r\n", ":srv 001 a :w\r\n", "QUIT :x\r\n", "PART #a,#b :m\r\n", " : \r\n", "\x01\r\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, line []byte, dcc bool) {
		fl := ircFilter{allowDCC: dcc}
		out := fl.outbound(line)
		fl.inbound(line)
		if out == nil {
			return
		}
		if strings.Count(string(out), "\n") != 1 || !strings.HasSuffix(string(out), "\r\n") {
			t.Fatalf("outbound %q = %q: not one line", line, out)
		}
		if again := fl.outbound(out); string(again) != string(out) {
			t.Fatalf("outbound not idempotent: %q -> %q -> %q", line, out, again)
		}
		if !dcc && strings.Contains(strings.ToUpper(string(out)), "\x01DCC") {
			t.Fatalf("DCC passed: %q", out)
		}
	})
}
