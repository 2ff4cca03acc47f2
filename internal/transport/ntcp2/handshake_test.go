package ntcp2

import (
	"bufio"
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

func TestHandshakePipe(t *testing.T) {
	transporttest.LeakCheck(t)
	a, b, sa, sb := pipePair(t, nodeOptions{}, nodeOptions{})
	if sa.Peer() != b.id.RouterInfo().Hash() || sb.Peer() != a.id.RouterInfo().Hash() {
		t.Fatal("peers do not match identities")
	}
	if sa.Direction() != transport.Outbound || sb.Direction() != transport.Inbound {
		t.Fatalf("directions %v %v", sa.Direction(), sb.Direction())
	}
	if got := transporttest.WaitFor(t, a.rec.Sessions, "a established"); got != sa {
		t.Fatal("a's Established got another session")
	}
	// Bob opens with his RouterInfo (ntcp2.rst, Data Phase).
	if ri := transporttest.WaitFor(t, a.rec.RouterInfos, "bob's RouterInfo"); ri.Hash() != b.id.RouterInfo().Hash() {
		t.Fatal("first RouterInfo is not bob's")
	}
	exp := time.Now().Add(time.Minute).Truncate(time.Second)
	for i, dir := range []struct {
		from transport.Session
		to   *recorder
	}{{sa, b.rec}, {sb, a.rec}} {
		m := &transport.Message{Type: 20, ID: uint32(1000 + i), Expiration: exp, Payload: []byte("hello over NTCP2")}
		if err := dir.from.Send(m, transport.PriorityNormal); err != nil {
			t.Fatal(err)
		}
		got := transporttest.WaitFor(t, dir.to.Messages, "message")
		if got.Type != m.Type || got.ID != m.ID || !got.Expiration.Equal(exp) || !bytes.Equal(got.Payload, m.Payload) {
			t.Fatalf("got %+v, want %+v", got, m)
		}
	}
	// A RouterInfo block with the flood flag.
	if err := sa.SendRouterInfo(a.id.RouterInfo(), true); err != nil {
		t.Fatal(err)
	}
	if ri := transporttest.WaitFor(t, b.rec.RouterInfos, "alice's RouterInfo"); ri.Hash() != a.id.RouterInfo().Hash() {
		t.Fatal("wrong RouterInfo")
	}
	if st := sa.Stats(); st.MsgsOut != 1 || st.MsgsIn != 1 || st.BytesOut == 0 || st.BytesIn == 0 {
		t.Fatalf("stats %+v", st)
	}
	if c := a.tr.Counters(); c.HandshakesOut != 1 || c.Sessions != 1 {
		t.Fatalf("a counters %+v", c)
	}
	if c := b.tr.Counters(); c.HandshakesIn != 1 || c.Sessions != 1 {
		t.Fatalf("b counters %+v", c)
	}
	// Normal close: the peer learns the reason.
	sa.Close(transport.ReasonNormal)
	if te := transporttest.Termination(t, transporttest.WaitDone(t, sb)); !te.Remote || te.Reason != transport.ReasonNormal {
		t.Fatalf("bob's end: %v", te)
	}
	if te := transporttest.Termination(t, transporttest.WaitDone(t, sa)); te.Remote {
		t.Fatalf("alice's end: %v", te)
	}
	transporttest.WaitFor(t, a.rec.Ends, "a closed")
	transporttest.WaitFor(t, b.rec.Ends, "b closed")
	if err := sa.Send(&transport.Message{}, transport.PriorityHigh); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
}

// TestWrongNetID: Bob drops a SessionRequest of another network and bans
// the IP (proposal 147); Alice's dial fails.
func TestWrongNetID(t *testing.T) {
	transporttest.LeakCheck(t)
	var mu sync.Mutex
	var banned []netip.Addr
	b := newNode(t, nodeOptions{listen: true, mod: func(c *Config) {
		c.Ban = func(ip netip.Addr, d time.Duration, why string) {
			mu.Lock()
			banned = append(banned, ip)
			mu.Unlock()
		}
	}})
	a := newNode(t, nodeOptions{ri: riOptions{NetID: 98}, mod: func(c *Config) { c.NetID = 98 }})
	if _, err := a.tr.Dial(context.Background(), b.id.RouterInfo()); err == nil {
		t.Fatal("dial across networks succeeded")
	}
	transporttest.Eventually(t, 5*time.Second, "ban", func() bool { mu.Lock(); defer mu.Unlock(); return len(banned) == 1 })
	if banned[0] != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("banned %v", banned)
	}
	if c := b.tr.Counters(); c.WrongNetID != 1 || c.HandshakesIn != 0 {
		t.Fatalf("counters %+v", c)
	}
	// The ban hook is consulted at accept.
	b2 := newNode(t, nodeOptions{listen: true, mod: func(c *Config) { c.Banned = func(netip.Addr) bool { return true } }})
	if _, err := newNode(t, nodeOptions{}).tr.Dial(context.Background(), b2.id.RouterInfo()); err == nil {
		t.Fatal("dial to a banning router succeeded")
	}
	transporttest.Eventually(t, 5*time.Second, "banned counter", func() bool { return b2.tr.Counters().BannedIn == 1 })
}

// recordingConn keeps a copy of everything written.
type recordingConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, bytes.Clone(p))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// expectSilentClose reads from c until it closes and fails if Bob sent
// anything.
func expectSilentClose(t *testing.T, c net.Conn) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, c)
	if n != 0 {
		t.Fatalf("bob replied with %d bytes", n)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("bob did not close the connection")
	}
	return time.Since(start)
}

func TestReplayedSessionRequest(t *testing.T) {
	transporttest.LeakCheck(t)
	a, b := newNode(t, nodeOptions{}), newNode(t, nodeOptions{})
	var rec *recordingConn
	a.tr.cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c1, c2 := net.Pipe()
		b.tr.wg.Go(func() { b.tr.serveConn(c2) })
		rec = &recordingConn{Conn: c1}
		return rec, nil
	}
	s, err := a.tr.Dial(context.Background(), b.id.RouterInfo())
	if err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	msg1 := rec.writes[0]
	rec.mu.Unlock()
	c1, c2 := net.Pipe()
	b.tr.wg.Go(func() { b.tr.serveConn(c2) })
	go c1.Write(msg1)
	expectSilentClose(t, c1)
	c1.Close()
	if c := b.tr.Counters(); c.Replays != 1 || c.Probed != 1 {
		t.Fatalf("counters %+v", c)
	}
	s.Close(0)
	transporttest.WaitDone(t, s)
}

func TestProber(t *testing.T) {
	transporttest.LeakCheck(t)
	const delay = 200 * time.Millisecond
	b := newNode(t, nodeOptions{listen: true, mod: func(c *Config) { c.ProbeDelay = delay; c.ProbeRead = 1 << 20 }})
	for _, size := range []int{64, 100, 300} {
		c, err := net.Dial("tcp", b.ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		junk := make([]byte, size)
		cryptorand.Read(junk)
		if _, err := c.Write(junk); err != nil {
			t.Fatal(err)
		}
		if d := expectSilentClose(t, c); d > delay+time.Second {
			t.Fatalf("closed after %v, want within %v", d, delay)
		}
		c.Close()
	}
	transporttest.Eventually(t, 5*time.Second, "probe counter", func() bool { c := b.tr.Counters(); return c.Probed == 3 && c.FailedIn == 3 })
	if c := b.tr.Counters(); c.Replays != 0 || c.HandshakesIn != 0 {
		t.Fatalf("counters %+v", c)
	}
}

// TestStaticKeyMismatch: Alice's RouterInfo publishes another s; Bob
// terminates with reason 16 after authenticating her.
func TestStaticKeyMismatch(t *testing.T) {
	transporttest.LeakCheck(t)
	a, b := newNode(t, nodeOptions{ri: riOptions{WrongS: true}}), newNode(t, nodeOptions{})
	pipeTo(a, b)
	s, err := a.tr.Dial(context.Background(), b.id.RouterInfo())
	if err != nil {
		t.Fatal(err) // Alice cannot know until Bob tells her
	}
	te := transporttest.Termination(t, transporttest.WaitDone(t, s))
	if !te.Remote || te.Reason != transport.ReasonBadStaticKey {
		t.Fatalf("got %v, want peer reason 16", te)
	}
	if len(b.rec.Sessions) != 0 {
		t.Fatal("bob established the session")
	}
}

func TestSessionConfirmedChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ri     riOptions
		reason uint8
	}{
		{"no NTCP2 address", riOptions{NoAddr: true}, transport.ReasonBadStaticKey},
		{"RouterInfo of another network", riOptions{NetID: 42}, transport.ReasonMsg3Error},
		{"stale RouterInfo", riOptions{Published: time.Now().Add(-3 * time.Hour)}, transport.ReasonMsg3Error},
		{"RouterInfo from the future", riOptions{Published: time.Now().Add(time.Hour)}, transport.ReasonMsg3Error},
	} {
		t.Run(tc.name, func(t *testing.T) {
			transporttest.LeakCheck(t)
			a, b := newNode(t, nodeOptions{ri: tc.ri}), newNode(t, nodeOptions{})
			pipeTo(a, b)
			s, err := a.tr.Dial(context.Background(), b.id.RouterInfo())
			if err != nil {
				t.Fatal(err)
			}
			if te := transporttest.Termination(t, transporttest.WaitDone(t, s)); !te.Remote || te.Reason != tc.reason {
				t.Fatalf("got %v, want peer reason %d", te, tc.reason)
			}
		})
	}
}

// TestClockSkew: Bob's clock is 73 s ahead. Bob still answers
// SessionRequest so Alice learns his time; Alice refuses (reason 7). An
// Alice that carries on anyway gets a Termination with reason 7 from Bob.
func TestClockSkew(t *testing.T) {
	transporttest.LeakCheck(t)
	skewed := func(c *Config) { c.Now = func() time.Time { return time.Now().Add(73 * time.Second) } }
	a, b := newNode(t, nodeOptions{}), newNode(t, nodeOptions{mod: skewed})
	pipeTo(a, b)
	_, err := a.tr.Dial(context.Background(), b.id.RouterInfo())
	if te := transporttest.Termination(t, err); te.Reason != transport.ReasonClockSkew || !contains(err, "session created: clock skew 73s") {
		t.Fatalf("dial: %v", err)
	}
	transporttest.Eventually(t, 5*time.Second, "bob notes the skew", func() bool { return b.tr.Counters().ClockSkew == 1 })

	a.tr.ignoreSkew = true
	s, err := a.tr.Dial(context.Background(), b.id.RouterInfo())
	if err != nil {
		t.Fatal(err)
	}
	if te := transporttest.Termination(t, transporttest.WaitDone(t, s)); !te.Remote || te.Reason != transport.ReasonClockSkew {
		t.Fatalf("got %v, want peer reason 7", te)
	}
}

// TestEstablishedRejects: a Handler refusing the session (say, a
// duplicate) makes the transport send its reason.
func TestEstablishedRejects(t *testing.T) {
	transporttest.LeakCheck(t)
	a := newNode(t, nodeOptions{})
	b := newNode(t, nodeOptions{})
	b.rec.SetReject(func(transport.Session) error {
		return &transport.TerminationError{Reason: transport.ReasonBanned, Detail: "duplicate"}
	})
	pipeTo(a, b)
	s, err := a.tr.Dial(context.Background(), b.id.RouterInfo())
	if err != nil {
		t.Fatal(err)
	}
	if te := transporttest.Termination(t, transporttest.WaitDone(t, s)); !te.Remote || te.Reason != transport.ReasonBanned {
		t.Fatalf("got %v", te)
	}
	if c := b.tr.Counters(); c.Sessions != 0 {
		t.Fatalf("bob kept the session: %+v", c)
	}
}

func TestDialErrors(t *testing.T) {
	transporttest.LeakCheck(t)
	a := newNode(t, nodeOptions{})
	if _, err := a.tr.Dial(context.Background(), a.id.RouterInfo()); err == nil {
		t.Fatal("dialed ourselves")
	}
	noAddr := newIdentity(t, riOptions{NoAddr: true})
	if a.tr.CanDial(noAddr.RouterInfo()) {
		t.Fatal("CanDial without an address")
	}
	if _, err := a.tr.Dial(context.Background(), noAddr.RouterInfo()); err == nil {
		t.Fatal("dialed a router without an address")
	}
	// Nobody listens on the port: the dial fails, nothing leaks.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	gone := newIdentity(t, riOptions{Port: port})
	if _, err := a.tr.Dial(context.Background(), gone.RouterInfo()); err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	// A peer that never answers: the handshake timeout ends the dial.
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	var conns []net.Conn
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	quiet := newIdentity(t, riOptions{Port: silent.Addr().(*net.TCPAddr).Port})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := a.tr.Dial(ctx, quiet.RouterInfo()); err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("dial to a silent peer: %v after %v", err, time.Since(start))
	}
}

// TestHandshakeSteps drives both state machines message by message and
// checks that a truncated or altered message fails.
func TestHandshakeSteps(t *testing.T) {
	a := newNode(t, nodeOptions{})
	b := newNode(t, nodeOptions{})
	run := func(tamper func(msg1, msg2, msg3 []byte) (m1, m2, m3 []byte)) (errA, errB error) {
		addr := dialAddrs(b.id.RouterInfo(), true, true)[0]
		alice, err := newOutboundHandshake(a.tr, nil, b.id.RouterInfo(), addr)
		if err != nil {
			t.Fatal(err)
		}
		bob := newInboundHandshake(b.tr, nil)
		m1, err := alice.sessionRequest()
		if err != nil {
			t.Fatal(err)
		}
		m1, _, _ = tamper(m1, nil, nil)
		pad, err := bob.consumeSessionRequest(m1[:msg1Len])
		if err != nil {
			return nil, err
		}
		if len(m1) != msg1Len+pad {
			return nil, errors.New("padding length")
		}
		if pad > 0 {
			bob.sym.MixHash(m1[msg1Len:])
		}
		m2, err := bob.sessionCreated()
		if err != nil {
			t.Fatal(err)
		}
		_, m2, _ = tamper(nil, m2, nil)
		pad, err = alice.consumeSessionCreated(m2[:msg2Len])
		if err != nil {
			return err, nil
		}
		if pad > 0 {
			alice.sym.MixHash(m2[msg2Len:])
		}
		m3, err := alice.sessionConfirmed()
		if err != nil {
			t.Fatal(err)
		}
		_, _, m3 = tamper(nil, nil, m3)
		if _, err := bob.consumeSessionConfirmed(m3); err != nil {
			return nil, err
		}
		ka, kb := deriveDataKeys(&alice.sym), bob.keys
		if ka != kb {
			return errors.New("data keys differ"), nil
		}
		return nil, nil
	}
	id := func(m1, m2, m3 []byte) ([]byte, []byte, []byte) { return m1, m2, m3 }
	if ea, eb := run(id); ea != nil || eb != nil {
		t.Fatalf("clean run: %v / %v", ea, eb)
	}
	flip := func(which, at int) func(m1, m2, m3 []byte) ([]byte, []byte, []byte) {
		return func(m1, m2, m3 []byte) ([]byte, []byte, []byte) {
			m := [][]byte{m1, m2, m3}[which]
			if m != nil && at < len(m) {
				m[at] ^= 0x04
			}
			return m1, m2, m3
		}
	}
	for _, tc := range []struct {
		name       string
		tamper     func(m1, m2, m3 []byte) ([]byte, []byte, []byte)
		aliceFails bool
	}{
		{"msg1 X", flip(0, 3), false},
		{"msg1 options", flip(0, 40), false},
		{"msg1 MAC", flip(0, 63), false},
		{"msg2 Y", flip(1, 5), true},
		{"msg2 options", flip(1, 33), true},
		{"msg3 static key", flip(2, 10), false},
		{"msg3 payload", flip(2, 60), false},
		{"msg3 last byte", flip(2, -1+msg3p1Len+minM3P2Len), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ea, eb := run(tc.tamper)
			if tc.aliceFails && ea == nil || !tc.aliceFails && eb == nil {
				t.Fatalf("tampering went unnoticed: alice %v, bob %v", ea, eb)
			}
			if eb != nil && !errors.Is(eb, errUnauthenticated) {
				t.Fatalf("bob's error is not an unauthenticated failure: %v", eb)
			}
		})
	}
}

// TestDataKeysMatchHKDF checks deriveDataKeys against the HKDF wording of
// the same KDF (as i2pd writes it).
func TestDataKeysMatchHKDF(t *testing.T) {
	var rs [32]byte
	cryptorand.Read(rs[:])
	sym := initialState(&rs)
	sym.MixKey(rs[:])
	ck, h := sym.ChainingKey(), sym.Hash()
	got := deriveDataKeys(&sym)
	k := crypto.HKDF(ck[:], nil, "", 64)
	ask := crypto.HKDF(ck[:], nil, "ask", 32)
	sipMaster := crypto.HKDF(ask, append(h[:], "siphash"...), "", 32)
	sip := crypto.HKDF(sipMaster, nil, "", 64)
	if !bytes.Equal(got.ab[:], k[:32]) || !bytes.Equal(got.ba[:], k[32:]) ||
		!bytes.Equal(got.sipAB[:], sip[:24]) || !bytes.Equal(got.sipBA[:], sip[32:56]) {
		t.Fatal("data-phase keys differ from the HKDF formulation")
	}
	if sym.ChainingKey() != [32]byte{} || sym.Hash() != [32]byte{} {
		t.Fatal("handshake state not wiped")
	}
}

// rawAlice completes a handshake with b by hand and returns the
// connection and Alice's data-phase halves, for tests that speak frames
// directly.
func rawAlice(t *testing.T, a, b *node) (net.Conn, *frameWriter, *frameReader) {
	t.Helper()
	c1, c2 := net.Pipe()
	b.tr.wg.Go(func() { b.tr.serveConn(c2) })
	h, err := newOutboundHandshake(a.tr, c1, b.id.RouterInfo(), dialAddrs(b.id.RouterInfo(), true, true)[0])
	if err != nil {
		t.Fatal(err)
	}
	c1.SetDeadline(time.Now().Add(5 * time.Second))
	res, err := h.handshake()
	if err != nil {
		t.Fatal(err)
	}
	c1.SetDeadline(time.Time{})
	out, _ := newHalfConn(&res.keys.ab, res.keys.sipAB[:])
	in, _ := newHalfConn(&res.keys.ba, res.keys.sipBA[:])
	return c1, newFrameWriter(out, c1), newFrameReader(in, res.br, nil)
}

var _ = bufio.NewReader

// TestAcceptLimits: the per-IP rate limit and the cap on concurrent
// handshakes drop connections at accept.
func TestAcceptLimits(t *testing.T) {
	transporttest.LeakCheck(t)
	t.Run("rate", func(t *testing.T) {
		b := newNode(t, nodeOptions{listen: true, mod: func(c *Config) { c.HandshakeRate, c.HandshakeBurst = 0.001, 1 }})
		a := newNode(t, nodeOptions{})
		s, err := a.tr.Dial(context.Background(), b.id.RouterInfo())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.tr.Dial(context.Background(), b.id.RouterInfo()); err == nil {
			t.Fatal("second handshake within the rate limit")
		}
		transporttest.Eventually(t, 5*time.Second, "rate limited", func() bool { return b.tr.Counters().RateLimited == 1 })
		s.Close(0)
		transporttest.WaitDone(t, s)
	})
	t.Run("concurrency", func(t *testing.T) {
		b := newNode(t, nodeOptions{listen: true, mod: func(c *Config) { c.MaxHandshakes = 1 }})
		idle, err := net.Dial("tcp", b.ln.Addr().String()) // holds the only slot
		if err != nil {
			t.Fatal(err)
		}
		defer idle.Close()
		transporttest.Eventually(t, 5*time.Second, "slot taken", func() bool { return len(b.tr.hsSem) == 1 })
		if _, err := newNode(t, nodeOptions{}).tr.Dial(context.Background(), b.id.RouterInfo()); err == nil {
			t.Fatal("handshake past the cap")
		}
		if c := b.tr.Counters(); c.Busy != 1 {
			t.Fatalf("counters %+v", c)
		}
	})
}
