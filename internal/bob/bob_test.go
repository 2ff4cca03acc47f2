package bob

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/streaming"
	"github.com/veil-i2p/veil/internal/streaming/streamtest"
)

// fakeRouter runs sessions on an in-memory network.
type fakeRouter struct {
	net *streamtest.Network

	mu    sync.Mutex
	dests map[string]data.Destination // by b32
	opts  map[string]map[string]string
}

func newFakeRouter() *fakeRouter {
	return &fakeRouter{net: streamtest.New(), dests: make(map[string]data.Destination), opts: make(map[string]map[string]string)}
}

type fakeSession struct {
	m      *streaming.Manager
	detach func()
}

func (f fakeSession) Dial(ctx context.Context, to data.Hash, src, dst uint16) (net.Conn, error) {
	return f.m.DialPorts(ctx, to, src, dst)
}
func (f fakeSession) Listen(port uint16) (net.Listener, error) { return f.m.Listen(port) }
func (f fakeSession) Close() error                             { f.detach(); return nil }

func (r *fakeRouter) OpenSession(ctx context.Context, name string, keys *keyfile.PrivateKeys, opts map[string]string) (Session, error) {
	m, detach, err := r.net.Attach(keys, nil)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.dests[keys.Identity.Hash().B32()] = keys.Identity
	r.opts[name] = opts
	r.mu.Unlock()
	return fakeSession{m, detach}, nil
}

func (r *fakeRouter) Lookup(ctx context.Context, name string) (data.Destination, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d, ok := r.dests[name]; ok {
		return d, nil
	}
	return data.Destination{}, ErrNotFound
}

type client struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, r: bufio.NewReader(nc)}
}

func (c *client) line() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return strings.TrimSuffix(l, "\n")
}

func (c *client) cmd(s string) string {
	c.t.Helper()
	io.WriteString(c.nc, s+"\n")
	return c.line()
}

// bobConn opens a command connection and checks the greeting.
func bobConn(t *testing.T, s *Server) *client {
	c := dial(t, s.Addr().String())
	if g1, g2 := c.line(), c.line(); g1 != "BOB 00.00.10" || g2 != "OK" {
		t.Fatalf("greeting %q %q", g1, g2)
	}
	return c
}

func start(t *testing.T, r Router) *Server {
	s, err := Listen(Config{Address: "127.0.0.1:0", Router: r})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return s
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitRunning waits until list shows the tunnel running.
func waitRunning(t *testing.T, c *client, nick string) {
	for range 100 {
		if got := c.cmd("status " + nick); strings.Contains(got, "RUNNING: true") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s not running", nick)
}

// TestMouthAndEar is bob.html's example: a server tunnel "mouth" to a
// local service, a client tunnel "ear" on a local port; a program on
// ear's port names mouth's destination and talks to the service.
func TestMouthAndEar(t *testing.T) {
	r := newFakeRouter()
	{
		s := start(t, r)
		// The service: answers with what it got, after reading the
		// peer line (mouth is not quiet).
		svc, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		peers := make(chan string, 4)
		go func() {
			for {
				c, err := svc.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					br := bufio.NewReader(c)
					peer, _ := br.ReadString('\n')
					peers <- strings.TrimSpace(peer)
					io.Copy(c, br)
				}()
			}
		}()
		c := bobConn(t, s)
		if got := c.cmd("setnick mouth"); got != "OK Nickname set to mouth" {
			t.Fatal(got)
		}
		got := c.cmd("newkeys 7")
		mouth := strings.TrimPrefix(got, "OK ")
		if _, err := parseDestination(mouth); err != nil {
			t.Fatalf("newkeys: %q", got)
		}
		for _, tc := range []struct{ in, want string }{
			{"outhost 127.0.0.1", "OK outhost set"},
			{"outport " + strconv.Itoa(svc.Addr().(*net.TCPAddr).Port), "OK outbound port set"},
			{"option inbound.length=1", "OK option inbound.length set to 1"},
			{"getdest", "OK " + mouth},
			{"start", "OK Tunnel starting"},
			{"start", "ERROR tunnel is active"},
			{"outport 5", "ERROR tunnel is active: stop it first"},
		} {
			if got := c.cmd(tc.in); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.in, got, tc.want)
			}
		}
		waitRunning(t, c, "mouth")
		if r.opts["mouth"]["inbound.length"] != "1" {
			t.Errorf("options %v", r.opts["mouth"])
		}

		// ear, on another command connection, which then quits.
		e := bobConn(t, s)
		e.cmd("setnick ear")
		ear := strings.TrimPrefix(e.cmd("newkeys"), "OK ")
		port := freePort(t)
		e.cmd("inhost 127.0.0.1")
		if got := e.cmd("inport " + strconv.Itoa(port)); got != "OK inbound port set" {
			t.Fatal(got)
		}
		if got := e.cmd("start"); got != "OK Tunnel starting" {
			t.Fatal(got)
		}
		waitRunning(t, e, "ear")
		if got := e.cmd("quit"); got != "OK Bye!" {
			t.Fatal(got)
		}
		// The tunnel outlives its command connection.
		for i, dest := range []string{mouth, mustDest(t, mouth).Hash().B32()} {
			p := dial(t, "127.0.0.1:"+strconv.Itoa(port))
			msg := bytes.Repeat([]byte("chargen "), 2000)
			io.WriteString(p.nc, dest+"\n")
			p.nc.Write(msg)
			got := make([]byte, len(msg))
			p.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(p.r, got); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%d: echo: %v", i, err)
			}
			if peer := <-peers; peer != ear {
				t.Fatalf("peer line %.40q, want ear's destination", peer)
			}
		}
		// A line that names nothing is answered with an ERROR line.
		p := dial(t, "127.0.0.1:"+strconv.Itoa(port))
		io.WriteString(p.nc, "nobody.i2p\n")
		if got := p.line(); !strings.HasPrefix(got, "ERROR ") {
			t.Errorf("unknown name: %q", got)
		}

		if got := c.cmd("list"); !strings.HasPrefix(got, "DATA NICKNAME: ear STARTING: false RUNNING: true") {
			t.Errorf("list: %q", got)
		}
		if got := c.line(); !strings.HasPrefix(got, "DATA NICKNAME: mouth") || !strings.Contains(got, "OUTHOST: 127.0.0.1") {
			t.Errorf("list: %q", got)
		}
		if got := c.line(); got != "OK Listing done" {
			t.Errorf("list end: %q", got)
		}
		if got := c.cmd("lookup " + mustDest(t, mouth).Hash().B32()); got != "OK "+mouth {
			t.Errorf("lookup: %q", got)
		}
		for _, tc := range []struct{ in, want string }{
			{"getnick ear", "OK Nickname set to ear"},
			{"clear", "ERROR tunnel is active"},
			{"stop", "OK Tunnel stopping"},
			{"stop", "ERROR tunnel is not active"},
			{"clear", "OK cleared"},
			{"getnick ear", "ERROR no tunnel ear"},
			{"getnick mouth", "OK Nickname set to mouth"},
			{"quiet", "ERROR tunnel is active: stop it first"},
		} {
			if got := c.cmd(tc.in); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.in, got, tc.want)
			}
		}
		if _, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			t.Error("ear's port still open after stop")
		}
	}
}

func mustDest(t *testing.T, s string) data.Destination {
	d, err := parseDestination(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCommandErrors(t *testing.T) {
	s := start(t, newFakeRouter())
	c := bobConn(t, s)
	for _, tc := range []struct{ in, prefix string }{
		{"start", "ERROR no tunnel selected"},
		{"getkeys", "ERROR no tunnel selected"},
		{"bogus", "ERROR unknown command"},
		{"setnick", "ERROR setnick needs"},
		{"setnick a", "OK Nickname set to a"},
		{"setnick a", "ERROR tunnel a already exists"},
		{"start", "ERROR no keys"},
		{"getkeys", "ERROR no keys"},
		{"setkeys AAAA", "ERROR setkeys needs"},
		{"newkeys x", "ERROR newkeys takes"},
		{"newkeys 4", "ERROR cannot make keys"},
		{"newkeys", "OK "},
		{"start", "ERROR neither inport nor outport"},
		{"inport x", "ERROR inport needs"},
		{"option nokey", "ERROR option needs"},
		{"verify AAAA", "ERROR not a destination"},
		{"lookup nobody.i2p", "ERROR Address Not found"},
		{"help", "OK Commands:"},
		{"visit", "OK"},
		{"showprops", "OK"},
	} {
		if got := c.cmd(tc.in); !strings.HasPrefix(got, tc.prefix) {
			t.Errorf("%s: %q", tc.in, got)
		}
	}
	keys := strings.TrimPrefix(c.cmd("getkeys"), "OK ")
	d := strings.TrimPrefix(c.cmd("getdest"), "OK ")
	c.cmd("setnick b")
	if got := c.cmd("setkeys " + keys); got != "OK "+d {
		t.Errorf("setkeys: %q", got)
	}
	if got := c.cmd("verify " + d); got != "OK" {
		t.Errorf("verify: %q", got)
	}
	if got := c.cmd("zap"); !strings.HasPrefix(got, "OK Bye!") {
		t.Errorf("zap: %q", got)
	}
	// Random bytes and an overlong line: errors, no crash.
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		b := make([]byte, rnd.IntN(2000))
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		g := bobConn(t, s)
		g.nc.Write(b)
		g.nc.(*net.TCPConn).CloseWrite()
		g.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		out, _ := io.ReadAll(g.r)
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l != "" && !strings.HasPrefix(l, "OK") && !strings.HasPrefix(l, "ERROR") && !strings.HasPrefix(l, "DATA") {
				t.Fatalf("reply %q", l)
			}
		}
	}
	g := bobConn(t, s)
	go g.nc.Write(bytes.Repeat([]byte("x"), 3*maxLine))
	if got := g.line(); !strings.HasPrefix(got, "ERROR line longer") {
		t.Errorf("overlong: %q", got)
	}
	bobConn(t, s) // still serving
}

// TestGoroutines: tunnels started and stopped, a server stopped with a
// tunnel running; nothing is left.
func TestGoroutines(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Run("run", func(t *testing.T) {
		s := start(t, newFakeRouter())
		c := bobConn(t, s)
		for i := range 5 {
			c.cmd("setnick t" + strconv.Itoa(i))
			c.cmd("newkeys 7")
			c.cmd("inhost 127.0.0.1")
			c.cmd("inport " + strconv.Itoa(freePort(t)))
			c.cmd("outport 9")
			if got := c.cmd("start"); got != "OK Tunnel starting" {
				t.Fatal(got)
			}
			waitRunning(t, c, "t"+strconv.Itoa(i))
			if i%2 == 0 {
				c.cmd("stop")
			}
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left:\n%s", n-base, buf[:runtime.Stack(buf, true)])
	}
}
