//go:build interop

package interop

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// TestReloadI2pd: SIGHUP with a changed tunnels.conf (veil + four i2pd
// 2.45.1 in netns). veil's client tunnel c1 holds a stream open to an
// echo service behind an i2pd server tunnel; veil's server tunnel web1
// is reached from an i2pd client tunnel. The new tunnels.conf keeps c1,
// drops web1 and adds web2: after the SIGHUP, c1's stream still
// answers, web2 is reached from i2pd, and web1 is not.
func TestReloadI2pd(t *testing.T) {
	inParallel(t)
	t0 := time.Now()
	const host = 2
	var keys [3]*keyfile.PrivateKeys // echo (i2pd), web1, web2 (veil)
	for i := range keys {
		k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	pools := "inbound.length = 2\noutbound.length = 2\ninbound.quantity = 2\noutbound.quantity = 2\n"
	i2pdPools := "inbound.length = 2\noutbound.length = 0\ninbound.quantity = 2\noutbound.quantity = 2\n"
	c1 := "[c1]\ntype = client\nport = 6001\ndestination = " + keys[0].Identity.Hash().B32() + "\n" + pools
	web := func(i int) string {
		return fmt.Sprintf("[web%d]\ntype = server\nhost = 127.0.0.1\nport = %d\nkeys = web%d.dat\n%s", i, 7000+i, i, pools)
	}
	m := startMixed(t, mixedConfig{
		VeilTunnels: c1 + web(1),
		BeforeVeilStart: func(i int, dataDir string) {
			writeFile(t, filepath.Join(dataDir, "web1.dat"), keys[1].Bytes())
			writeFile(t, filepath.Join(dataDir, "web2.dat"), keys[2].Bytes())
		},
		I2pdTunnels: func(i int) string {
			if i != host {
				return ""
			}
			return "[echo]\ntype = server\nhost = 127.0.0.1\nport = 7000\nkeys = echo.dat\n" + i2pdPools +
				fmt.Sprintf("[to1]\ntype = client\naddress = 127.0.0.1\nport = 6101\ndestination = %s\n%s", keys[1].Identity.Hash().B32(), i2pdPools) +
				fmt.Sprintf("[to2]\ntype = client\naddress = 127.0.0.1\nport = 6102\ndestination = %s\n%s", keys[2].Identity.Hash().B32(), i2pdPools)
		},
		BeforeI2pdStart: func(i int, dataDir string) {
			if i == host {
				writeFile(t, filepath.Join(dataDir, "echo.dat"), keys[0].Bytes())
			}
		},
	})
	t.Logf("veil and %d i2pd up after %v", len(m.I2pd), since(t0))
	for ns, ports := range map[string][]int{m.I2pdNS[host]: {7000}, m.VeilNS: {7001, 7002}} {
		for _, p := range ports {
			ln, err := m.Net.Listen(ns, hostPort("127.0.0.1", p))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			go serveTaggedEcho(ln, fmt.Sprint(p))
		}
	}
	m.waitI2pdLeaseSet(t, host, keys[0], 60*time.Second)
	veilDial, i2pdDial := m.Net.Dialer(m.VeilNS), m.Net.Dialer(m.I2pdNS[host])

	stream := reachEcho(t, veilDial, "127.0.0.1:6001", "7000", 4*time.Minute)
	defer stream.c.Close()
	reachEcho(t, i2pdDial, "127.0.0.1:6101", "7001", 4*time.Minute).c.Close()
	t.Logf("c1 and web1 reached after %v", since(t0))

	writeFile(t, filepath.Join(m.VeilDir, "tunnels.conf"), []byte(c1+web(2)))
	if err := m.Veil.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Veil.waitLog(regexp.MustCompile(`tunnels reloaded`), 30*time.Second); err != nil {
		t.Fatalf("no reload logged: %v\n%s", err, m.Veil.logSummary(30))
	}
	if got, err := stream.say("still there"); err != nil || got != "7000 still there" {
		t.Errorf("c1's stream after the reload: %q %v", got, err)
	}
	reachEcho(t, i2pdDial, "127.0.0.1:6102", "7002", 4*time.Minute).c.Close()
	t.Logf("web2 reached after %v", since(t0))
	if e, err := tryEcho(i2pdDial, "127.0.0.1:6101", 45*time.Second); err == nil {
		e.c.Close()
		t.Error("web1 still answers after the reload")
	} else {
		t.Logf("web1 after the reload: %v", err)
	}
	if got, err := stream.say("and now"); err != nil || got != "7000 and now" {
		t.Errorf("c1's stream at the end: %q %v", got, err)
	}
	t.Logf("total %v", since(t0))
}

// serveTaggedEcho answers each line with "<tag> <line>".
func serveTaggedEcho(ln net.Listener, tag string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				fmt.Fprintf(c, "%s %s\n", tag, sc.Text())
			}
		}()
	}
}

// echoConn is a connection to a tagged echo service.
type echoConn struct {
	c  net.Conn
	br *bufio.Reader
}

func (e *echoConn) say(s string) (string, error) {
	e.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintln(e.c, s); err != nil {
		return "", err
	}
	l, err := e.br.ReadString('\n')
	return strings.TrimSpace(l), err
}

// tryEcho connects to addr and says hello once.
func tryEcho(dial func(ctx context.Context, network, addr string) (net.Conn, error), addr string, d time.Duration) (*echoConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	c, err := dial(ctx, "tcp", addr)
	cancel()
	if err != nil {
		return nil, err
	}
	e := &echoConn{c: c, br: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(d))
	fmt.Fprintln(c, "hello")
	l, err := e.br.ReadString('\n')
	if err != nil {
		c.Close()
		return nil, err
	}
	if !strings.HasSuffix(l, " hello\n") {
		c.Close()
		return nil, fmt.Errorf("answer %q", l)
	}
	return e, nil
}

// reachEcho retries tryEcho until the service tagged tag answers.
func reachEcho(t *testing.T, dial func(ctx context.Context, network, addr string) (net.Conn, error), addr, tag string, wait time.Duration) *echoConn {
	t.Helper()
	var last error
	for end := time.Now().Add(wait); time.Now().Before(end); time.Sleep(2 * time.Second) {
		e, err := tryEcho(dial, addr, 60*time.Second)
		if err == nil {
			if got, err := e.say("tag"); err == nil && got == tag+" tag" {
				return e
			}
			e.c.Close()
		}
		last = err
	}
	t.Fatalf("%s never reached service %s: %v", addr, tag, last)
	return nil
}
