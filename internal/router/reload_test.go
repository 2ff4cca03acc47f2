package router

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// lineEcho answers each line with "<tag> <line>" until the connection ends.
func lineEcho(t *testing.T, tag string) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
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
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestReloadTunnels: tunnels added by a reload start, removed ones stop
// (their streams end), changed ones restart, and an unchanged client
// tunnel keeps its open stream across reloads.
func TestReloadTunnels(t *testing.T) {
	if testing.Short() {
		t.Skip("four routers")
	}
	goroutineLeakCheck(t)
	var keys [2]*keyfile.PrivateKeys
	for i := range keys {
		k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	echo := [2]int{lineEcho(t, "one"), lineEcho(t, "two")}
	shape := PoolShape{InboundLength: 1, OutboundLength: 1, InboundQuantity: 2, OutboundQuantity: 2}
	server := func(i int) DestinationConfig {
		name := fmt.Sprintf("web%d", i+1)
		return DestinationConfig{Name: name, KeysFile: name + ".dat", Pool: shape,
			TCPServer: &i2ptunnel.ServerConfig{Name: name, Host: "127.0.0.1", Port: echo[i]}}
	}
	client := func(name string, i int) DestinationConfig {
		return DestinationConfig{Name: name, Pool: shape,
			TCPClient: &i2ptunnel.ClientConfig{Name: name, Destination: keys[i].Identity.Hash().B32(), ConnectTimeout: 20 * time.Second}}
	}
	rs, dirs := startVeilNet(t, 4, func(i int, cfg *Config) {
		switch i {
		case 3:
			for j, k := range keys {
				if _, _, err := keyfile.LoadOrCreate(filepath.Join(cfg.DataDir, fmt.Sprintf("web%d.dat", j+1)), func() (*keyfile.PrivateKeys, error) { return k, nil }); err != nil {
					t.Fatal(err)
				}
			}
			cfg.Destinations = []DestinationConfig{server(0)}
		case 2:
			cfg.Destinations = []DestinationConfig{client("c1", 0)}
		}
	})
	listen := func(dir, name string) string {
		st := waitStatusFor(t, dir, name+" listening", 30*time.Second, func(st Status) bool {
			return slices.ContainsFunc(st.TCPTunnels, func(x TCPTunnelStatus) bool { return x.Name == name })
		})
		for _, x := range st.TCPTunnels {
			if x.Name == name {
				return x.Listen
			}
		}
		return ""
	}
	// say sends a line on c and returns the answer.
	say := func(c net.Conn, br *bufio.Reader, s string) (string, error) {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := fmt.Fprintln(c, s); err != nil {
			return "", err
		}
		l, err := br.ReadString('\n')
		return l, err
	}
	// dialTunnel connects through a client tunnel until the far end answers.
	dialTunnel := func(addr, want string) (net.Conn, *bufio.Reader) {
		t.Helper()
		for end := time.Now().Add(40 * time.Second); ; time.Sleep(time.Second) {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				br := bufio.NewReader(c)
				if l, err := say(c, br, "hello"); err == nil && l == want+" hello\n" {
					return c, br
				}
				c.Close()
			}
			if time.Now().After(end) {
				t.Fatalf("no answer through %s", addr)
			}
		}
	}
	c1, br1 := dialTunnel(listen(dirs[2], "c1"), "one")
	defer c1.Close()

	// Router 3 gains web2; router 2 gains c2 to it. c1's stream stays.
	res, err := rs[3].ReloadTunnels([]DestinationConfig{server(0), server(1)})
	if err != nil || !slices.Equal(res.Started, []string{"web2"}) || !slices.Equal(res.Unchanged, []string{"web1"}) {
		t.Fatalf("reload 3: %+v %v", res, err)
	}
	res, err = rs[2].ReloadTunnels([]DestinationConfig{client("c1", 0), client("c2", 1)})
	if err != nil || !slices.Equal(res.Started, []string{"c2"}) || !slices.Equal(res.Unchanged, []string{"c1"}) {
		t.Fatalf("reload 2: %+v %v", res, err)
	}
	c2, _ := dialTunnel(listen(dirs[2], "c2"), "two")
	c2.Close()
	if l, err := say(c1, br1, "still"); err != nil || l != "one still\n" {
		t.Fatalf("c1's stream after the reloads: %q %v", l, err)
	}

	// c2 changed (now to web1): restarted; web1 removed from router 3:
	// stopped, and c1's stream to it ends.
	res, err = rs[2].ReloadTunnels([]DestinationConfig{client("c1", 0), client("c2", 0)})
	if err != nil || !slices.Equal(res.Restarted, []string{"c2"}) {
		t.Fatalf("reload 2 again: %+v %v", res, err)
	}
	res, err = rs[3].ReloadTunnels([]DestinationConfig{server(1)})
	if err != nil || !slices.Equal(res.Stopped, []string{"web1"}) || !slices.Equal(res.Unchanged, []string{"web2"}) {
		t.Fatalf("reload 3 again: %+v %v", res, err)
	}
	c1.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintln(c1, "gone?")
	if _, err := io.ReadAll(br1); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("c1's stream still open after web1 stopped")
	}
	st := waitStatusFor(t, dirs[3], "web1 gone", 10*time.Second, func(st Status) bool {
		return len(st.Destinations) == 1 && len(st.TCPTunnels) == 1 && st.TCPTunnels[0].Name == "web2"
	})
	if st.Destinations[0].Address != keys[1].Identity.Hash().B32() {
		t.Errorf("router 3 destinations %+v", st.Destinations)
	}
}
