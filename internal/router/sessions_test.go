package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
)

// TestSessions: sessions opened on two running routers of a veil network
// publish their LeaseSets, show in status, stream both ways and exchange a
// repliable datagram; Close removes the pool (no more builds, no tunnels
// in status) and every goroutine ends with the routers.
func TestSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("four routers")
	}
	goroutineLeakCheck(t)
	rs, dirs := startVeilNet(t, 4, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	shape := PoolShape{InboundLength: 2, OutboundLength: 2, InboundQuantity: 2, OutboundQuantity: 2}
	sa, err := rs[2].OpenSession(ctx, SessionConfig{Name: "a", Pool: shape})
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	sb, err := rs[3].OpenSession(ctx, SessionConfig{Pool: shape}) // named by its b32
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if sb.Name() != sb.Destination().B32() {
		t.Errorf("unnamed session is %q", sb.Name())
	}
	for i, s := range map[int]*Session{2: sa, 3: sb} {
		waitStatusFor(t, dirs[i], s.Name()+" published", 30*time.Second, func(st Status) bool {
			for _, d := range st.Destinations {
				if d.Name == s.Name() && d.Address == s.Destination().B32() && d.Stores > 0 && d.Leases > 0 {
					return true
				}
			}
			return false
		})
	}

	// Resolve: b32, Base64 destination, and names through the hook.
	hb := sb.Destination().Hash()
	full := data.EncodeBase64(sb.Destination().Keys().Identity.Bytes())
	for _, name := range []string{hb.B32(), hb.B32() + ":80", full} {
		if h, err := rs[2].Resolve(ctx, name); err != nil || h != hb {
			t.Errorf("Resolve(%.20s…) = %v, %v", name, h, err)
		}
	}
	if _, err := rs[2].Resolve(ctx, "b.i2p"); !errors.Is(err, i2ptunnel.ErrUnknownName) {
		t.Errorf("Resolve(b.i2p) without a resolver: %v", err)
	}
	rs[2].SetNameResolver(func(_ context.Context, name string) (data.Hash, error) {
		if name == "b.i2p" {
			return hb, nil
		}
		return data.Hash{}, i2ptunnel.ErrUnknownName
	})
	if h, err := sa.Resolve(ctx, "b.i2p"); err != nil || h != hb {
		t.Errorf("Resolve(b.i2p) = %v, %v", h, err)
	}

	// Streams both ways: each echoes what the other sends.
	echo(t, ctx, sa, sb, 80)
	echo(t, ctx, sb, sa, 81)

	// A repliable datagram, from a to b, then b's answer to its sender.
	got := make(chan client.Received, 4)
	for _, s := range []*Session{sa, sb} {
		s.Destination().HandleProtocol(client.ProtoDatagram, func(r client.Received) {
			select {
			case got <- r:
			default:
			}
		})
	}
	if err := sa.Destination().SendDatagram(ctx, hb, 7, 9, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	r := recvDatagram(t, got)
	if string(r.Data) != "ping" || r.Sender != sa.Destination().Hash() || !r.Verified || r.DstPort != 9 {
		t.Fatalf("datagram %q from %v (verified %v) port %d", r.Data, r.Sender, r.Verified, r.DstPort)
	}
	if err := sb.Destination().SendDatagram(ctx, r.Sender, 9, 7, []byte("pong")); err != nil {
		t.Fatal(err)
	}
	if r := recvDatagram(t, got); string(r.Data) != "pong" || r.Sender != hb {
		t.Fatalf("answer %q from %v", r.Data, r.Sender)
	}

	// Close: the pool goes and is not rebuilt; the session leaves status.
	before := rs[2].Status().Tunnels.BuiltOK
	if err := sa.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sa.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	time.Sleep(3 * time.Second)
	st := rs[2].Status()
	for _, d := range st.Destinations {
		if d.Name == "a" {
			t.Error("closed session still in status")
		}
	}
	for _, tu := range append(st.Tunnels.Inbound, st.Tunnels.Outbound...) {
		if tu.Pool == "a" {
			t.Errorf("closed session's tunnel left: %+v", tu)
		}
	}
	if st.Tunnels.BuiltOK > before+2 { // exploratory replacements at most
		t.Errorf("%d builds after Close", st.Tunnels.BuiltOK-before)
	}
	if _, err := sa.Streams().Dial(ctx, hb, 80); err == nil {
		t.Error("Dial on a closed session")
	}
}

// echo has to listen on port and from dial there, sends a message and
// expects it back.
func echo(t *testing.T, ctx context.Context, from, to *Session, port uint16) {
	t.Helper()
	l, err := to.Streams().Listen(port)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	var c net.Conn
	for try := 0; c == nil; try++ { // the first SYN may wait for a LeaseSet lookup
		dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		c, err = from.Streams().Dial(dctx, to.Destination().Hash(), port)
		cancel()
		if err != nil && try == 2 {
			t.Fatalf("dial %s:%d: %v", to.Name(), port, err)
		}
	}
	defer c.Close()
	msg := fmt.Appendf(nil, "hello port %d", port)
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, len(msg))
	if _, err := io.ReadFull(c, back); err != nil || string(back) != string(msg) {
		t.Fatalf("echo %q, %v", back, err)
	}
}

func recvDatagram(t *testing.T, got <-chan client.Received) client.Received {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no datagram")
		return client.Received{}
	}
}

// TestOpenSessionLifetime: OpenSession waits for Run (bounded by its
// context), its sessions close when Run ends, and it fails after.
func TestOpenSessionLifetime(t *testing.T) {
	goroutineLeakCheck(t)
	r, err := New(loopbackConfig(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	early, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := r.OpenSession(early, SessionConfig{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("before Run: %v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	wait, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	s, err := r.OpenSession(wait, SessionConfig{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Status(); len(st.Destinations) != 1 || st.Destinations[0].Name != "x" {
		t.Fatalf("status destinations %+v", st.Destinations)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(r.openSessions()); n != 0 {
		t.Fatalf("%d sessions open after Run", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.OpenSession(wait, SessionConfig{}); !errors.Is(err, ErrRouterStopped) {
		t.Fatalf("after Run: %v", err)
	}
}
