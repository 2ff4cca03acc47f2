package ssu2

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// rawPeer is a bare UDP socket that talks to a node by hand.
func rawPeer(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readPacket reads one datagram within d, or returns nil.
func readPacket(c *net.UDPConn, d time.Duration) []byte {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 2048)
	n, _, err := c.ReadFromUDP(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

func dialCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestWrongNetID: Bob drops Token Requests of another network without
// an answer; Alice's dial times out.
func TestWrongNetID(t *testing.T) {
	transporttest.LeakCheck(t)
	a := newNode(t, nodeOptions{ri: riOptions{NetID: 98}, mod: func(c *Config) { c.NetID = 98 }})
	b := newNode(t, nodeOptions{})
	if _, err := a.tr.Dial(dialCtx(t, 4*time.Second), b.id.RouterInfo()); err == nil {
		t.Fatal("dial across networks succeeded")
	}
	c := b.tr.Counters()
	if c.WrongNetID == 0 || c.RetriesSent != 0 || c.HandshakesIn != 0 {
		t.Fatalf("Bob: %+v; want the request dropped unanswered", c)
	}
}

// TestBadToken: a Session Request with a token Bob never issued gets a
// Retry with a fresh token, and no DH is done (no session starts).
func TestBadToken(t *testing.T) {
	transporttest.LeakCheck(t)
	b := newNode(t, nodeOptions{})
	tr, _, _ := handTransport(t)
	bob := peerAddr{s: b.id.Static.Public, i: b.tr.intro}
	s, _ := newOutbound(tr, tr.socks[0], b.id.RouterInfo(), bob)
	s.sendSessionRequest(time.Now(), 0xdeadbeef)
	raw := rawPeer(t)
	if _, err := raw.WriteToUDP(s.out.sent[0], b.pc.LocalAddr().(*net.UDPAddr)); err != nil {
		t.Fatal(err)
	}
	reply := readPacket(raw, 2*time.Second)
	if reply == nil {
		t.Fatal("no Retry")
	}
	hb, hdr := revealLong(reply, &b.tr.intro, &b.tr.intro)
	if hdr.typ != typeRetry || hdr.token == 0 || hdr.destID != s.recvID || hdr.srcID != s.sendID {
		t.Fatalf("reply %+v", hdr)
	}
	if _, err := chachaOpenLong(&b.tr.intro, hdr.pn, reply, hb[:]); err != nil {
		t.Fatalf("Retry does not authenticate: %v", err)
	}
	if c := b.tr.Counters(); c.Sessions != 0 || c.RetriesSent != 1 {
		t.Fatalf("Bob: %+v", c)
	}
}

// TestGarbage: random datagrams of every size get no answer and do not
// disturb Bob, who still takes a session afterwards.
func TestGarbage(t *testing.T) {
	transporttest.LeakCheck(t)
	b := newNode(t, nodeOptions{})
	raw := rawPeer(t)
	to := b.pc.LocalAddr().(*net.UDPAddr)
	for n := 0; n <= 1600; n += 7 {
		d := make([]byte, n)
		rand.Read(d)
		raw.WriteToUDP(d, to)
	}
	if p := readPacket(raw, 300*time.Millisecond); p != nil {
		t.Fatalf("garbage was answered with %d bytes", len(p))
	}
	a := newNode(t, nodeOptions{})
	s, err := a.tr.Dial(dialCtx(t, 10*time.Second), b.id.RouterInfo())
	if err != nil {
		t.Fatal(err)
	}
	s.Close(transport.ReasonNormal)
	if c := b.tr.Counters(); c.Dropped == 0 {
		t.Fatalf("Bob counted no dropped datagrams: %+v", c)
	}
}

// tapConn records what a node sends.
type tapConn struct {
	net.PacketConn
	mu     sync.Mutex
	writes [][]byte
}

func (c *tapConn) WriteTo(b []byte, a net.Addr) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, append([]byte(nil), b...))
	c.mu.Unlock()
	return c.PacketConn.WriteTo(b, a)
}

// TestReplayedSessionRequest: Alice's Session Request captured and sent
// again, from elsewhere, while her session lives and after it ended,
// starts no second session: its connection id is taken, then its
// token is used up (Bob answers with a Retry).
func TestReplayedSessionRequest(t *testing.T) {
	transporttest.LeakCheck(t)
	var tap *tapConn
	ao := nodeOptions{wrap: func(pc net.PacketConn) net.PacketConn { tap = &tapConn{PacketConn: pc}; return tap }}
	_, b, sa, sb := pair(t, ao, nodeOptions{})
	var req []byte
	tap.mu.Lock()
	for _, w := range tap.writes {
		if peekTypeBytes(w, &b.tr.intro)[4] == typeSessionRequest {
			req = w
		}
	}
	tap.mu.Unlock()
	if req == nil {
		t.Fatal("no Session Request captured")
	}
	raw := rawPeer(t)
	to := b.pc.LocalAddr().(*net.UDPAddr)
	raw.WriteToUDP(req, to)
	if p := readPacket(raw, 300*time.Millisecond); p != nil {
		t.Fatalf("replay during the session was answered with %d bytes", len(p))
	}
	sa.Close(transport.ReasonNormal)
	transporttest.WaitDone(t, sb)
	transporttest.Eventually(t, 5*time.Second, "Bob forgets the session", func() bool { return b.tr.Counters().Sessions == 0 })
	raw.WriteToUDP(req, to)
	reply := readPacket(raw, 2*time.Second)
	if reply == nil || peekTypeBytes(reply, &b.tr.intro)[4] != typeRetry {
		t.Fatalf("replay after the session: reply %x, want a Retry", reply)
	}
	if c := b.tr.Counters(); c.HandshakesIn != 1 {
		t.Fatalf("Bob: %+v", c)
	}
}

func chachaOpenLong(key *[keyLen]byte, pn uint32, pkt, hdr []byte) ([]byte, error) {
	return crypto.ChaChaPolyOpen(key, uint64(pn), nil, pkt[longHeaderLen:], hdr)
}

// TestSkewedClock: Bob answers a Token Request from a clock 5 minutes
// off with a Retry carrying a Termination (reason 7); Alice gives up.
func TestSkewedClock(t *testing.T) {
	transporttest.LeakCheck(t)
	a := newNode(t, nodeOptions{mod: func(c *Config) { c.Now = func() time.Time { return time.Now().Add(5 * time.Minute) } }})
	b := newNode(t, nodeOptions{})
	_, err := a.tr.Dial(dialCtx(t, 10*time.Second), b.id.RouterInfo())
	var te *transport.TerminationError
	if !errors.As(err, &te) || te.Reason != transport.ReasonClockSkew || !te.Remote {
		t.Fatalf("dial: %v; want Bob's termination reason 7", err)
	}
	if c := b.tr.Counters(); c.ClockSkew != 1 {
		t.Fatalf("Bob: %+v", c)
	}
}

// TestRefused: Bob's Handler refuses the session; Alice learns the
// reason from a Termination.
func TestRefused(t *testing.T) {
	transporttest.LeakCheck(t)
	a := newNode(t, nodeOptions{})
	b := newNode(t, nodeOptions{})
	b.rec.SetReject(func(transport.Session) error {
		return &transport.TerminationError{Reason: transport.ReasonBanned}
	})
	s, err := a.tr.Dial(dialCtx(t, 10*time.Second), b.id.RouterInfo())
	if err != nil {
		t.Fatal(err) // Alice is established before Bob's refusal arrives
	}
	if te := transporttest.Termination(t, transporttest.WaitDone(t, s)); te.Reason != transport.ReasonBanned || !te.Remote {
		t.Fatalf("ended with %v", te)
	}
}

// TestIdleTimeoutAndKeepAlive: sessions with nothing to say end after
// IdleTimeout (reason 2), unless a keepalive ping flows.
func TestIdleTimeoutAndKeepAlive(t *testing.T) {
	transporttest.LeakCheck(t)
	idle := func(c *Config) { c.IdleTimeout = 1500 * time.Millisecond }
	_, _, sa, sb := pair(t, nodeOptions{mod: idle}, nodeOptions{mod: idle})
	if te := transporttest.Termination(t, transporttest.WaitDone(t, sa)); te.Reason != transport.ReasonIdleTimeout {
		t.Fatalf("a ended with %v", te)
	}
	transporttest.WaitDone(t, sb)

	keep := func(c *Config) { c.IdleTimeout, c.KeepAlive = 1500*time.Millisecond, 150*time.Millisecond }
	_, _, sa, _ = pair(t, nodeOptions{mod: keep}, nodeOptions{mod: idle})
	select {
	case <-sa.Done():
		t.Fatalf("session with keepalive ended: %v", sa.Err())
	case <-time.After(4 * time.Second):
	}
	sa.Close(transport.ReasonNormal)
}

// TestShutdown: when Run ends, sessions end with reason 3 on both sides.
func TestShutdown(t *testing.T) {
	transporttest.LeakCheck(t)
	b := newNode(t, nodeOptions{})
	id := newIdentity(t, riOptions{})
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := transporttest.NewRecorder()
	tr, err := New(Config{NetID: testNetID, StaticKeys: id.Static, RouterInfo: id.RouterInfo, Handler: rec,
		ListenPacket: func(context.Context, string, string) (net.PacketConn, error) { return pc, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- tr.Run(ctx) }()
	sa, err := tr.Dial(dialCtx(t, 10*time.Second), b.id.RouterInfo())
	if err != nil {
		t.Fatal(err)
	}
	sb := transporttest.WaitFor(t, b.rec.Sessions, "b established")
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if te := transporttest.Termination(t, sa.Err()); te.Reason != transport.ReasonRouterShutdown {
		t.Fatalf("a: %v", te)
	}
	if te := transporttest.Termination(t, transporttest.WaitDone(t, sb)); te.Reason != transport.ReasonRouterShutdown || !te.Remote {
		t.Fatalf("b: %v", te)
	}
	if _, err := tr.Dial(context.Background(), b.id.RouterInfo()); err == nil {
		t.Fatal("dial after Run ended")
	}
}

// TestMangledAndReplayedData: in an established session, a data packet
// cut short anywhere (even inside its header) or with bytes added fails
// authentication and is dropped without an answer, the session staying
// up; the intact packet is then delivered, and the same packet again
// (a replay) is not delivered twice, only acknowledged again. Demux
// drops datagrams over maxPacketLen before any session sees them
// (TestGarbage sends up to 1600 bytes).
func TestMangledAndReplayedData(t *testing.T) {
	tr, cc, rec := handTransport(t)
	h := newHandSession(tr)
	h.s.rcv.track.Add(0) // Alice's Session Confirmed, as Bob records it
	h.pn = 1
	now := time.Now()
	m := &transport.Message{Type: 20, ID: 9, Expiration: now.Add(time.Minute), Payload: []byte("payload")}
	good := append([]byte(nil), h.packet(transport.AppendI2NPBlock(nil, blockI2NP, m), 0).bytes()...)
	feed := func(b []byte) {
		p := &packet{n: len(b), from: peerAddrPort, sock: h.s.sock}
		copy(p.buf[:], b)
		h.s.handleData(p, now)
		h.s.flush(now)
	}
	var mangled [][]byte
	for _, n := range []int{0, 1, shortHeaderLen - 1, shortHeaderLen, shortHeaderLen + 1, len(good) - macLen, len(good) - 1} {
		mangled = append(mangled, good[:n])
	}
	mangled = append(mangled, append(bytes.Clone(good), 0), append(bytes.Clone(good), make([]byte, maxPacketLen-len(good))...))
	for _, b := range mangled {
		feed(b)
	}
	if rec.Count() != 0 || h.s.state != stEstablished {
		t.Fatalf("mangled packets: %d delivered, session state %d", rec.Count(), h.s.state)
	}
	// A packet of the session that does not read as data may be Alice's
	// Session Confirmed sent again (our ACK of it lost), which an ACK
	// answers; nothing else goes back.
	if w := cc.taken(); len(w) > len(mangled) {
		t.Fatalf("%d mangled packets were answered by %d packets", len(mangled), len(w))
	} else if n := ackOnly(t, h, w); n != len(w) {
		t.Fatalf("mangled packets were answered by %d packets other than ACKs", len(w)-n)
	}
	feed(good)
	if rec.Count() != 1 {
		t.Fatalf("the intact packet: %d delivered", rec.Count())
	}
	cc.taken()
	feed(good)
	if rec.Count() != 1 || rec.Duplicates() != 0 {
		t.Fatalf("the replayed packet was delivered again (%d, %d duplicates)", rec.Count(), rec.Duplicates())
	}
	if w := cc.taken(); len(w) == 0 || ackOnly(t, h, w) != len(w) {
		t.Errorf("the replayed packet drew %d packets, want ACKs", len(w))
	}
}

// ackOnly counts the packets among pkts that carry an ACK block and no
// other block but padding and DateTime.
func ackOnly(t *testing.T, h *handSession, pkts [][]byte) int {
	t.Helper()
	n := 0
	for _, w := range pkts {
		pl, err := h.open(w)
		if err != nil {
			t.Fatal(err)
		}
		ack, other := false, false
		parseBlocks(pl, func(typ uint8, d []byte) error {
			ack = ack || typ == blockACK
			other = other || typ != blockACK && typ != blockPadding && typ != blockDateTime
			return nil
		})
		if ack && !other {
			n++
		}
	}
	return n
}
