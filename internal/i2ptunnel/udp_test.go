package i2ptunnel

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
)

// fakeDatagrams is a destination on a fakeDgNet: Send encodes the I2CP
// payload as the client package does and the receiving destination
// decodes it, a Datagram1's signature checked, so the tunnels see what
// they would over I2P.
type fakeDatagrams struct {
	id     data.KeysAndCert
	signer crypto.Signer
	net    *fakeDgNet

	mu       sync.Mutex
	handlers map[uint8]client.Handler
	gzipped  int
}

type fakeDgNet struct {
	mu    sync.Mutex
	dests map[data.Hash]*fakeDatagrams
}

func (n *fakeDgNet) destination(t testing.TB) *fakeDatagrams {
	t.Helper()
	k, sig := testIdentity(t)
	d := &fakeDatagrams{id: k, signer: sig, net: n, handlers: map[uint8]client.Handler{}}
	n.mu.Lock()
	if n.dests == nil {
		n.dests = map[data.Hash]*fakeDatagrams{}
	}
	n.dests[k.Hash()] = d
	n.mu.Unlock()
	return d
}

func (d *fakeDatagrams) Hash() data.Hash { return d.id.Hash() }

func (d *fakeDatagrams) AppendDatagram1(b, payload []byte) ([]byte, error) {
	sig, err := d.signer.Sign(payload)
	if err != nil {
		return b, err
	}
	return append(append(append(b, d.id.Bytes()...), sig...), payload...), nil
}

func (d *fakeDatagrams) HandleProtocol(p uint8, h client.Handler) {
	d.mu.Lock()
	d.handlers[p] = h
	d.mu.Unlock()
}

func (d *fakeDatagrams) Send(_ context.Context, to data.Hash, p client.Payload) error {
	wire, err := client.AppendPayload(nil, p)
	if err != nil {
		return err
	}
	d.mu.Lock()
	if p.Compress {
		d.gzipped++
	}
	d.mu.Unlock()
	d.net.mu.Lock()
	r := d.net.dests[to]
	d.net.mu.Unlock()
	if r == nil {
		return fmt.Errorf("fake: no destination %s", to.B32())
	}
	got, err := client.ParsePayload(wire)
	if err != nil {
		return err
	}
	rcv := client.Received{Payload: got}
	if got.Protocol == client.ProtoDatagram {
		dg, err := client.ParseDatagram1(got.Data)
		if err != nil {
			return err
		}
		rcv.Sender, rcv.Verified, rcv.Data = dg.From.Hash(), true, dg.Payload
	}
	r.mu.Lock()
	h := r.handlers[got.Protocol]
	r.mu.Unlock()
	if h != nil {
		h(rcv)
	}
	return nil
}

// udpSocket is a local program: a UDP socket on 127.0.0.1.
func udpSocket(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readPacket reads one packet within a few seconds.
func readPacket(t *testing.T, c *net.UDPConn) (string, *net.UDPAddr) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2048)
	n, from, err := c.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n]), from
}

// noPacket checks that nothing arrives for a moment.
func noPacket(t *testing.T, c *net.UDPConn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 2048)
	if n, _, err := c.ReadFromUDP(buf); err == nil {
		t.Fatalf("unexpected packet %q", buf[:n])
	}
}

// runUDP starts f until the test ends.
func runUDP(t *testing.T, f func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
}

// startUDPClient runs a udpclient on d to to and returns its address.
func startUDPClient(t *testing.T, mux *UDPMux, to data.Hash, port uint16, gzip bool) (*UDPClient, *net.UDPAddr) {
	t.Helper()
	c := NewUDPClient(UDPClientConfig{Name: "c", Destination: to.B32(), DestinationPort: port, Gzip: gzip}, mux, nil, nil)
	conn, err := c.Listen()
	if err != nil {
		t.Fatal(err)
	}
	runUDP(t, func(ctx context.Context) error { return c.Serve(ctx, conn) })
	waitFor(t, "destination resolved", func() bool { return c.Stats().Resolved })
	return c, conn.LocalAddr().(*net.UDPAddr)
}

func startUDPServer(t *testing.T, mux *UDPMux, service *net.UDPConn) *UDPServer {
	t.Helper()
	a := service.LocalAddr().(*net.UDPAddr)
	s, err := NewUDPServer(UDPServerConfig{Name: "s", Host: a.IP.String(), Port: a.Port, UniqueLocal: true}, mux, nil)
	if err != nil {
		t.Fatal(err)
	}
	runUDP(t, s.Serve)
	waitFor(t, "server registered", func() bool {
		mux.mu.Lock()
		defer mux.mu.Unlock()
		return len(mux.servers) == 1
	})
	return s
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 5 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestUDPTunnels: a local program talks through a udpclient to a
// udpserver's service and back. The first packet of a conversation is a
// repliable datagram, those close behind it raw; the service sees the
// remote from its own 127.a.b.c address and its answers come back to the
// program's port.
func TestUDPTunnels(t *testing.T) {
	n := &fakeDgNet{}
	a, b := n.destination(t), n.destination(t)
	service := udpSocket(t)
	srv := startUDPServer(t, NewUDPMux(b), service)
	cli, addr := startUDPClient(t, NewUDPMux(a), b.Hash(), 9000, true)
	prog := udpSocket(t)

	prog.WriteToUDP([]byte("one"), addr)
	msg, from := readPacket(t, service)
	ah := a.Hash()
	if msg != "one" || !from.IP.Equal(net.IPv4(127, ah[0], ah[1], ah[2])) {
		t.Fatalf("service got %q from %v", msg, from)
	}
	prog.WriteToUDP([]byte("two"), addr) // within 100 ms: raw, to the same session
	if msg, from2 := readPacket(t, service); msg != "two" || from2.String() != from.String() {
		t.Fatalf("service got %q from %v", msg, from2)
	}
	service.WriteToUDP([]byte("back"), from)
	if msg, _ := readPacket(t, prog); msg != "back" {
		t.Fatalf("program got %q", msg)
	}
	time.Sleep(2 * RepliableInterval)
	service.WriteToUDP([]byte("later"), from)
	if msg, _ := readPacket(t, prog); msg != "later" {
		t.Fatalf("program got %q", msg)
	}
	// The counters move just after the packet is passed on.
	waitFor(t, "counters", func() bool { return cli.Stats().Received == 2 && srv.Stats().SentRepliable == 1 })
	cs, ss := cli.Stats(), srv.Stats()
	if cs.SentRepliable != 1 || cs.SentRaw != 1 || cs.Received != 2 || cs.ReceivedRepliable != 1 || cs.Sessions != 1 {
		t.Errorf("client %+v", cs)
	}
	if ss.SentRaw != 1 || ss.SentRepliable != 1 || ss.Received != 2 || ss.ReceivedRepliable != 1 || ss.Sessions != 1 {
		t.Errorf("server %+v", ss)
	}
	if a.gzipped != 2 || b.gzipped != 0 {
		t.Errorf("gzip: client %d, server %d", a.gzipped, b.gzipped)
	}
	// Idle conversations and sessions end.
	later := time.Now().Add(UDPSessionTimeout + time.Second)
	cli.expire(later)
	srv.expire(later)
	if cli.Stats().Sessions != 0 || srv.Stats().Sessions != 0 {
		t.Fatal("not expired")
	}
}

// TestUDPClientRefusesOthers: a udpclient passes on only what its
// destination sends, and only to a port that talked.
func TestUDPClientRefusesOthers(t *testing.T) {
	n := &fakeDgNet{}
	a, b, c := n.destination(t), n.destination(t), n.destination(t)
	service := udpSocket(t)
	startUDPServer(t, NewUDPMux(b), service)
	cli, addr := startUDPClient(t, NewUDPMux(a), b.Hash(), 1, false)
	prog := udpSocket(t)
	prog.WriteToUDP([]byte("hi"), addr)
	readPacket(t, service)
	port := uint16(prog.LocalAddr().(*net.UDPAddr).Port)
	dg, _ := c.AppendDatagram1(nil, []byte("intruder"))
	c.Send(context.Background(), a.Hash(), client.Payload{Protocol: client.ProtoDatagram, DstPort: port, Data: dg})
	noPacket(t, prog)
	b.Send(context.Background(), a.Hash(), client.Payload{Protocol: client.ProtoRaw, DstPort: port + 1, Data: []byte("no one")})
	noPacket(t, prog)
	if st := cli.Stats(); st.Dropped != 2 || st.Received != 0 {
		t.Fatalf("%+v", st)
	}
}

// TestUDPServerRaw: raw datagrams before any repliable one still reach
// the service, from a socket whose answers go nowhere; after a repliable
// one they go with its session, as in i2pd.
func TestUDPServerRaw(t *testing.T) {
	n := &fakeDgNet{}
	a, b := n.destination(t), n.destination(t)
	service := udpSocket(t)
	srv := startUDPServer(t, NewUDPMux(b), service)
	ctx := context.Background()
	a.Send(ctx, b.Hash(), client.Payload{Protocol: client.ProtoRaw, SrcPort: 5, Data: []byte("raw first")})
	msg, anon := readPacket(t, service)
	if msg != "raw first" || !anon.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("%q from %v", msg, anon)
	}
	service.WriteToUDP([]byte("answer"), anon)
	waitFor(t, "answer dropped", func() bool { return srv.Stats().Dropped == 1 })
	dg, _ := a.AppendDatagram1(nil, []byte("repliable"))
	a.Send(ctx, b.Hash(), client.Payload{Protocol: client.ProtoDatagram, SrcPort: 5, Data: dg})
	_, sess := readPacket(t, service)
	a.Send(ctx, b.Hash(), client.Payload{Protocol: client.ProtoRaw, SrcPort: 5, Data: []byte("raw after")})
	if msg, from := readPacket(t, service); msg != "raw after" || from.String() != sess.String() {
		t.Fatalf("%q from %v, want from %v", msg, from, sess)
	}
}

// TestUDPMuxShared: a udpclient and a udpserver on one destination each
// get their own datagrams.
func TestUDPMuxShared(t *testing.T) {
	n := &fakeDgNet{}
	a, b := n.destination(t), n.destination(t)
	mux := NewUDPMux(a)
	service := udpSocket(t)
	startUDPServer(t, mux, service)
	cli, addr := startUDPClient(t, mux, b.Hash(), 7, false)
	peerService := udpSocket(t)
	startUDPServer(t, NewUDPMux(b), peerService)
	prog := udpSocket(t)
	prog.WriteToUDP([]byte("out"), addr)
	_, from := readPacket(t, peerService)
	peerService.WriteToUDP([]byte("answer"), from)
	if msg, _ := readPacket(t, prog); msg != "answer" {
		t.Fatalf("program got %q", msg)
	}
	// b's own repliable datagram to a port nobody talks on: a's server.
	dg, _ := b.AppendDatagram1(nil, []byte("to the server"))
	b.Send(context.Background(), a.Hash(), client.Payload{Protocol: client.ProtoDatagram, SrcPort: 3, DstPort: 80, Data: dg})
	if msg, _ := readPacket(t, service); msg != "to the server" {
		t.Fatalf("service got %q", msg)
	}
	waitFor(t, "client's count", func() bool { return cli.Stats().Received == 1 })
}
