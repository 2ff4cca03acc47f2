package i2ptunnel

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// startSOCKS runs a SOCKS proxy on s until the test ends.
func startSOCKS(t *testing.T, cfg SOCKSConfig, s Streams, r Resolver, tcp func(context.Context, string) (net.Conn, error)) string {
	t.Helper()
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	p, err := NewSOCKSProxy(cfg, s, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tcp != nil {
		p.dialTCP = tcp
	}
	ln, err := p.Listen()
	if err != nil {
		t.Fatal(err)
	}
	serveUntilCleanup(t, ln, p.Serve)
	return ln.Addr().String()
}

// socks5Hello sends a SOCKS5 greeting (and credentials when user is
// set) and returns the method chosen.
func socks5Hello(t *testing.T, c net.Conn, br *bufio.Reader, user, pass string) byte {
	t.Helper()
	m := byte(socks5AuthNone)
	if user != "" {
		m = socks5AuthPassword
	}
	c.Write([]byte{5, 1, m})
	var sel [2]byte
	if _, err := io.ReadFull(br, sel[:]); err != nil {
		t.Fatalf("method selection: %v", err)
	}
	if sel[1] == socks5AuthPassword {
		c.Write(append(append(append([]byte{1, byte(len(user))}, user...), byte(len(pass))), pass...))
		var st [2]byte
		if _, err := io.ReadFull(br, st[:]); err != nil {
			t.Fatalf("auth status: %v", err)
		}
		if st[1] != 0 {
			return 0xfe // refused
		}
	}
	return sel[1]
}

// socks5Request sends a CONNECT (cmd 1) or other command and returns
// the reply code.
func socks5Request(t *testing.T, c net.Conn, br *bufio.Reader, cmd byte, host string, port uint16) byte {
	t.Helper()
	req := []byte{5, cmd, 0}
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		req = append(append(req, 1), ip.To4()...)
	} else {
		req = append(append(req, 3, byte(len(host))), host...)
	}
	req = binary.BigEndian.AppendUint16(req, port)
	c.Write(req)
	var rep [10]byte
	if _, err := io.ReadFull(br, rep[:]); err != nil {
		t.Fatalf("reply: %v", err)
	}
	return rep[1]
}

// roundTrip sends payload, half-closes, and checks the echo service's
// SHA-256 comes back.
func roundTrip(t *testing.T, c net.Conn, br *bufio.Reader, payload []byte) {
	t.Helper()
	c.Write(payload)
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(payload); !bytes.Equal(got, want[:]) {
		t.Fatalf("answer %x, want %x", got, want)
	}
}

func dialProxy(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func TestSOCKSConnect(t *testing.T) {
	n := newFakeNet()
	site, client := n.destination(t), n.destination(t)
	echo, _ := echoService(t)
	startServer(t, site, ServerConfig{Name: "s", Host: echo})
	names := func(_ context.Context, name string) (data.Hash, error) {
		if name == "site.i2p" {
			return site.self.Hash(), nil
		}
		return data.Hash{}, fmt.Errorf("%w: %s", ErrUnknownName, name)
	}
	addr := startSOCKS(t, SOCKSConfig{Name: "socks"}, client, names, nil)
	payload := bytes.Repeat([]byte("socks "), 50000)

	t.Run("socks5 name", func(t *testing.T) {
		c, br := dialProxy(t, addr)
		if m := socks5Hello(t, c, br, "", ""); m != 0 {
			t.Fatalf("method %d", m)
		}
		if code := socks5Request(t, c, br, 1, "site.i2p", 80); code != 0 {
			t.Fatalf("code %d", code)
		}
		roundTrip(t, c, br, payload)
	})
	t.Run("socks5 b32, request and data in one write", func(t *testing.T) {
		c, br := dialProxy(t, addr)
		host := site.self.Hash().B32()
		msg := []byte{5, 1, 0, 5, 1, 0, 3, byte(len(host))}
		msg = binary.BigEndian.AppendUint16(append(msg, host...), 80)
		c.Write(append(msg, payload[:1000]...))
		var rep [12]byte
		if _, err := io.ReadFull(br, rep[:]); err != nil || rep[3] != 0 {
			t.Fatalf("reply %x %v", rep, err)
		}
		c.(*net.TCPConn).CloseWrite()
		got, _ := io.ReadAll(br)
		if want := sha256.Sum256(payload[:1000]); !bytes.Equal(got, want[:]) {
			t.Fatal("bytes sent with the request did not reach the site")
		}
	})
	t.Run("socks4a", func(t *testing.T) {
		c, br := dialProxy(t, addr)
		c.Write(append([]byte{4, 1, 0, 80, 0, 0, 0, 1, 'u', 0}, "site.i2p\x00"...))
		var rep [8]byte
		if _, err := io.ReadFull(br, rep[:]); err != nil || rep[1] != socks4Granted {
			t.Fatalf("reply %x %v", rep, err)
		}
		roundTrip(t, c, br, payload)
	})
	for _, c := range []struct {
		name string
		cmd  byte
		host string
		want byte
	}{
		{"ip without outproxy", 1, "93.184.216.34", Socks5NotAllowed},
		{"clearnet name without outproxy", 1, "example.com", Socks5NotAllowed},
		{"unknown name", 1, "nowhere.i2p", Socks5HostUnreachable},
		{"unreachable b32", 1, strings.Repeat("a", 52) + ".b32.i2p", Socks5HostUnreachable},
		{"bind", 2, "site.i2p", Socks5CommandUnsupported},
		{"udp associate", 3, "site.i2p", Socks5CommandUnsupported},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, br := dialProxy(t, addr)
			socks5Hello(t, conn, br, "", "")
			if code := socks5Request(t, conn, br, c.cmd, c.host, 80); code != c.want {
				t.Fatalf("code %d, want %d", code, c.want)
			}
		})
	}
	t.Run("socks4 ip refused", func(t *testing.T) {
		c, br := dialProxy(t, addr)
		c.Write([]byte{4, 1, 0, 80, 93, 184, 216, 34, 0})
		var rep [8]byte
		if _, err := io.ReadFull(br, rep[:]); err != nil || rep[1] != socks4Rejected {
			t.Fatalf("reply %x %v", rep, err)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		for _, g := range [][]byte{[]byte("GET / HTTP/1.1\r\n\r\n"), {5, 0}, {5, 1, 9}, {4, 1, 0, 80, 0, 0, 0, 1, 0}, bytes.Repeat([]byte{4}, 600)} {
			c, br := dialProxy(t, addr)
			c.Write(g)
			c.(*net.TCPConn).CloseWrite()
			b, _ := io.ReadAll(br)
			if len(b) > 10 {
				t.Errorf("%q: answered %x", g, b)
			}
		}
	})
}

func TestSOCKSAuth(t *testing.T) {
	n := newFakeNet()
	site, client := n.destination(t), n.destination(t)
	echo, _ := echoService(t)
	startServer(t, site, ServerConfig{Name: "s", Host: echo})
	addr := startSOCKS(t, SOCKSConfig{Name: "socks", User: "alice", Password: "secret"}, client, nil, nil)
	c, br := dialProxy(t, addr)
	if m := socks5Hello(t, c, br, "alice", "wrong"); m != 0xfe {
		t.Fatalf("wrong password: method %d", m)
	}
	c, br = dialProxy(t, addr)
	c.Write([]byte{5, 1, 0}) // offers no authentication only
	var sel [2]byte
	if _, err := io.ReadFull(br, sel[:]); err != nil || sel[1] != 0xff {
		t.Fatalf("no-auth client: %x %v", sel, err)
	}
	c, br = dialProxy(t, addr)
	c.Write(append([]byte{4, 1, 0, 80, 0, 0, 0, 1, 'a', 0}, "x.i2p\x00"...))
	var rep [8]byte
	if _, err := io.ReadFull(br, rep[:]); err != nil || rep[1] != socks4Rejected {
		t.Fatalf("SOCKS4 with auth set: %x %v", rep, err)
	}
	c, br = dialProxy(t, addr)
	if m := socks5Hello(t, c, br, "alice", "secret"); m != socks5AuthPassword {
		t.Fatalf("right password: method %d", m)
	}
	if code := socks5Request(t, c, br, 1, site.self.Hash().B32(), 80); code != 0 {
		t.Fatalf("code %d", code)
	}
	roundTrip(t, c, br, []byte("hello"))
}

// TestSOCKSOutproxy: hosts outside I2P go through an upstream SOCKS5
// proxy, here a fake one on loopback that checks what it is asked and
// then echoes.
func TestSOCKSOutproxy(t *testing.T) {
	n := newFakeNet()
	client := n.destination(t)
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { up.Close() })
	asked := make(chan string, 4)
	go func() {
		for {
			c, err := up.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := negotiate(br, c, nil)
				if err != nil {
					return
				}
				asked <- req.hostPort()
				socksReply(c, 5, 0)
				h := sha256.New()
				io.Copy(h, br)
				c.Write(h.Sum(nil))
			}()
		}
	}()
	var dialed []string
	tcp := func(ctx context.Context, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		var d net.Dialer
		return d.DialContext(ctx, "tcp", up.Addr().String())
	}
	addr := startSOCKS(t, SOCKSConfig{Name: "socks", Outproxy: "127.0.0.1:9050"}, client, nil, tcp)
	for _, host := range []string{"example.com", "93.184.216.34"} {
		c, br := dialProxy(t, addr)
		socks5Hello(t, c, br, "", "")
		if code := socks5Request(t, c, br, 1, host, 443); code != 0 {
			t.Fatalf("%s: code %d", host, code)
		}
		if got := <-asked; got != net.JoinHostPort(host, "443") {
			t.Errorf("outproxy asked for %s", got)
		}
		roundTrip(t, c, br, []byte("through the outproxy"))
	}
	if len(dialed) != 2 || dialed[0] != "127.0.0.1:9050" {
		t.Errorf("dialed %v", dialed)
	}
	if _, err := NewSOCKSProxy(SOCKSConfig{Outproxy: "nonsense"}, client, nil, nil); err == nil {
		t.Error("bad outproxy accepted")
	}
}

// FuzzSOCKSRequest throws bytes at the negotiation, with and without
// authentication: no panic, and a request it accepts names a host.
func FuzzSOCKSRequest(f *testing.F) {
	f.Add([]byte{5, 1, 0, 5, 1, 0, 3, 8, 's', 'i', 't', 'e', '.', 'i', '2', 'p', 0, 80}, false)
	f.Add([]byte{5, 1, 2, 1, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e', 'c', 'r', 'e', 't', 5, 1, 0, 1, 1, 2, 3, 4, 0, 80}, true)
	f.Add([]byte{5, 1, 0, 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 187}, false)
	f.Add(append([]byte{4, 1, 0, 80, 0, 0, 0, 1, 'u', 0}, "site.i2p\x00"...), false)
	f.Add([]byte{4, 1, 0, 80, 10, 0, 0, 1, 0}, false)
	f.Add([]byte{5, 255}, false)
	f.Fuzz(func(t *testing.T, in []byte, withAuth bool) {
		var auth *socksAuth
		if withAuth {
			auth = &socksAuth{"alice", "secret"}
		}
		var out bytes.Buffer
		req, err := negotiate(bufio.NewReader(bytes.NewReader(in)), &out, auth)
		if out.Len() > 4 {
			t.Fatalf("negotiation wrote %d bytes", out.Len())
		}
		if err == nil && (req.host == "" || (req.version != 4 && req.version != 5)) {
			t.Fatalf("accepted %+v", req)
		}
		if err == nil && withAuth && req.version == 4 {
			t.Fatal("SOCKS4 accepted with authentication set")
		}
	})
}
