//go:build interop

package interop

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// TestIRCI2pd: Debian's ngircd behind a veil `irc` server tunnel (veil +
// four i2pd 2.45.1 in netns). alice connects through veil's filtered IRC
// client tunnel, bob through an i2pd client tunnel; both join #veil and
// exchange messages. bob's CTCP VERSION and DCC SEND never reach alice;
// alice's own CTCP VERSION (request and reply) and DCC SEND never reach
// bob; alice's QUIT message is replaced.
func TestIRCI2pd(t *testing.T) {
	inParallel(t)
	ngircd, err := exec.LookPath("ngircd")
	if err != nil {
		if ngircd, err = exec.LookPath("/usr/sbin/ngircd"); err != nil {
			t.Skip("ngircd not installed (apt-get install ngircd)")
		}
	}
	t0 := time.Now()
	const host = 2 // the i2pd router of bob's client tunnel
	keys, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b32 := keys.Identity.Hash().B32()
	pools := "inbound.length = 2\noutbound.length = 2\ninbound.quantity = 2\noutbound.quantity = 2\n"
	m := startMixed(t, mixedConfig{
		VeilTunnels: "[ircd]\ntype = irc\nhost = 127.0.0.1\nport = 6667\nkeys = ircd.dat\n" + pools +
			"[ircc]\ntype = irc\ndestination = " + b32 + "\ndestinationport = 6667\nport = 6668\n" + pools,
		BeforeVeilStart: func(i int, dataDir string) {
			writeFile(t, filepath.Join(dataDir, "ircd.dat"), keys.Bytes())
		},
		I2pdTunnels: func(i int) string {
			if i != host {
				return ""
			}
			return "[irc]\ntype = client\naddress = 127.0.0.1\nport = 6668\ndestination = " + b32 + "\ndestinationport = 6667\n" +
				"inbound.length = 2\noutbound.length = 0\ninbound.quantity = 2\noutbound.quantity = 2\n"
		},
	})
	t.Logf("veil and %d i2pd up after %v", len(m.I2pd), since(t0))
	dir := t.TempDir()
	conf := filepath.Join(dir, "ngircd.conf")
	writeFile(t, conf, []byte("[Global]\nName = irc.veil.test\nInfo = veil interop\nListen = 127.0.0.1\nPorts = 6667\n"+
		"MotdPhrase = hello\nPidFile = "+filepath.Join(dir, "ngircd.pid")+"\n"+
		"[Limits]\nMaxConnectionsIP = 0\nPingTimeout = 600\n[Options]\nDNS = no\nIdent = no\nPAM = no\n"))
	os.Chmod(dir, 0o755)
	runVeil(t, m.Net.Command(m.VeilNS, ngircd, "--nodaemon", "--config", conf), "ngircd in "+m.VeilNS)

	alice := ircLogin(t, m.Net.Dialer(m.VeilNS), "alice", 4*time.Minute)
	bob := ircLogin(t, m.Net.Dialer(m.I2pdNS[host]), "bob", 4*time.Minute)
	t.Logf("both registered after %v", since(t0))
	alice.send("JOIN #veil")
	alice.expect(t, "JOIN", "#veil")
	bob.send("JOIN #veil")
	bob.expect(t, "JOIN", "#veil")
	alice.expect(t, "bob", "JOIN")

	bob.send("PRIVMSG #veil :hello from i2pd")
	alice.expect(t, "hello from i2pd")
	alice.send("PRIVMSG #veil :hello from veil")
	bob.expect(t, "hello from veil")

	// bob's CTCP and DCC do not reach alice.
	bob.send("PRIVMSG alice :\x01VERSION\x01")
	bob.send("PRIVMSG alice :\x01DCC SEND evil.exe 3232235777 5000 100\x01")
	bob.send("PRIVMSG alice :marker one")
	for _, l := range alice.expect(t, "marker one") {
		if strings.Contains(l, "\x01") {
			t.Errorf("alice got a CTCP: %q", l)
		}
	}
	// alice's CTCP (request and reply) and DCC do not leave veil.
	alice.send("PRIVMSG bob :\x01VERSION\x01")
	alice.send("NOTICE bob :\x01VERSION irssi 1.4.3 on Linux\x01")
	alice.send("PRIVMSG bob :\x01DCC SEND secret.txt 3232235777 5000 100\x01")
	alice.send("PRIVMSG bob :marker two")
	for _, l := range bob.expect(t, "marker two") {
		if strings.Contains(l, "\x01") {
			t.Errorf("bob got a CTCP from alice: %q", l)
		}
	}
	alice.send("QUIT :my laptop, irssi 1.4.3")
	for _, l := range bob.expect(t, "alice", "QUIT") {
		if strings.Contains(l, "irssi") || strings.Contains(l, "laptop") {
			t.Errorf("alice's QUIT message reached bob: %q", l)
		}
	}
	bob.send("QUIT")
	t.Logf("total %v", since(t0))
}

// ircClient is a test IRC client on one connection.
type ircClient struct {
	t    *testing.T
	nick string
	c    net.Conn
	br   *bufio.Reader
}

// ircLogin connects to 127.0.0.1:6668 with dial (retrying while the
// tunnel's far end is not reachable) and registers nick.
func ircLogin(t *testing.T, dial func(ctx context.Context, network, addr string) (net.Conn, error), nick string, wait time.Duration) *ircClient {
	t.Helper()
	var last error
	for end := time.Now().Add(wait); time.Now().Before(end); time.Sleep(3 * time.Second) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := dial(ctx, "tcp", "127.0.0.1:6668")
		cancel()
		if err != nil {
			last = err
			continue
		}
		cl := &ircClient{t: t, nick: nick, c: c, br: bufio.NewReader(c)}
		// A tunnel whose far end is not reachable yet closes the
		// connection: that is a try, not a failure.
		err = cl.write("NICK " + nick)
		if err == nil {
			err = cl.write("USER " + nick + " myhost.example myserver :" + nick + " test")
		}
		if err == nil {
			if _, err = cl.waitFor(90*time.Second, " 001 "); err == nil {
				t.Cleanup(func() { c.Close() })
				return cl
			}
		}
		last = err
		c.Close()
	}
	t.Fatalf("%s never registered: %v", nick, last)
	return nil
}

func (cl *ircClient) write(line string) error {
	cl.c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err := fmt.Fprintf(cl.c, "%s\r\n", line)
	return err
}

func (cl *ircClient) send(line string) {
	if err := cl.write(line); err != nil {
		cl.t.Errorf("%s: send %q: %v", cl.nick, line, err)
	}
}

// waitFor reads lines (answering PINGs) until one holds all of subs, and
// returns the lines read.
func (cl *ircClient) waitFor(d time.Duration, subs ...string) ([]string, error) {
	cl.c.SetReadDeadline(time.Now().Add(d))
	var lines []string
	for {
		l, err := cl.br.ReadString('\n')
		if err != nil {
			return lines, fmt.Errorf("waiting for %q: %w (read %q)", subs, err, lines)
		}
		lines = append(lines, l)
		if strings.HasPrefix(l, "PING ") {
			cl.write("PONG " + strings.TrimSpace(l[5:]))
		}
		all := true
		for _, s := range subs {
			all = all && strings.Contains(l, s)
		}
		if all {
			return lines, nil
		}
	}
}

func (cl *ircClient) expect(t *testing.T, subs ...string) []string {
	t.Helper()
	lines, err := cl.waitFor(2*time.Minute, subs...)
	if err != nil {
		t.Fatalf("%s: %v", cl.nick, err)
	}
	return lines
}
