package streaming

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// rawPeer signs packets as a destination that is not a Manager, to send
// whatever a test needs straight into one.
type rawPeer struct {
	id *identity
}

func newRawPeer(t testing.TB) *rawPeer {
	id, err := newIdentity(newKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	return &rawPeer{id: id}
}

// syn is a signed SYN from the peer's stream streamID to target.
func (r *rawPeer) syn(t testing.TB, streamID uint32, target data.Hash, payload string) []byte {
	p := &Packet{RecvStreamID: streamID, Flags: FlagSynchronize | FlagNoAck | FlagMaxPacketSize, MaxSize: 1812, Payload: []byte(payload)}
	p.SetReplayHash(target)
	r.id.withFrom(p)
	b, err := r.id.sign(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPing(t *testing.T) {
	n := newFakeNet(20*time.Millisecond, 0, 0)
	a, b := pair(t, n, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rtt, err := a.Ping(ctx, b.Addr().Hash)
	if err != nil || rtt < 40*time.Millisecond {
		t.Fatalf("ping: %v, %v", rtt, err)
	}
	if b.Counters().Pongs != 1 {
		t.Errorf("counters %+v", b.Counters())
	}
	// answerPings=false: no pong.
	o := testOptions()
	o.AnswerPings = false
	c := n.join(t, &o)
	defer c.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if _, err := a.Ping(ctx2, c.Addr().Hash); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ping of a silent destination: %v", err)
	}
}

func TestPortsAndListeners(t *testing.T) {
	n := newFakeNet(5*time.Millisecond, 0, 0)
	a, b := pair(t, n, nil)
	l80, _ := b.Listen(80)
	lany, _ := b.Listen(0)
	if _, err := b.Listen(80); err == nil {
		t.Error("second listener on port 80")
	}
	got := make(chan string, 2)
	serve(t, l80, func(c net.Conn) { got <- "80 " + c.LocalAddr().String() })
	serve(t, lany, func(c net.Conn) { got <- "any " + c.LocalAddr().String() })
	for _, port := range []uint16{80, 22} {
		c := dial(t, a, b, port)
		c.Close()
	}
	want := map[string]bool{"80 " + b.Addr().Hash.B32() + ":80": true, "any " + b.Addr().Hash.B32() + ":22": true}
	for range 2 {
		if s := <-got; !want[s] {
			t.Errorf("accepted %q", s)
		}
	}
}

func TestLimits(t *testing.T) {
	a, b, _ := sinkPair(t, func(o *Options) { o.MaxConnsPerMinute = 2 })
	for range 2 {
		dial(t, a, b, 1).Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.Dial(ctx, b.Addr().Hash, 1); !errors.Is(err, ErrRefused) {
		t.Fatalf("third connection in a minute: %v", err)
	}
	if c := b.Counters(); c.Throttled != 1 {
		t.Errorf("counters %+v", c)
	}
}

func TestLimitActionHTTP(t *testing.T) {
	a, b, _ := sinkPair(t, func(o *Options) {
		o.MaxTotalConnsPerMinute = 1
		o.LimitAction = "http"
	})
	dial(t, a, b, 1).Close()
	c := dial(t, a, b, 1)
	defer c.Close()
	body, err := io.ReadAll(c)
	if err != nil || !strings.HasPrefix(string(body), "HTTP/1.1 429 ") {
		t.Fatalf("over the limit with http: %q, %v", body, err)
	}
}

func TestAccessLists(t *testing.T) {
	n := newFakeNet(5*time.Millisecond, 0, 0)
	checkGoroutines(t)
	a := n.join(t, nil)
	c := n.join(t, nil)
	o := testOptions()
	o.EnableAccessList = true
	o.AccessList = []data.Hash{a.Addr().Hash}
	b := n.join(t, &o)
	t.Cleanup(func() {
		a.Close()
		b.Close()
		c.Close()
		n.close()
	})
	l, _ := b.Listen(0)
	serve(t, l, func(c net.Conn) {})
	dial(t, a, b, 1).Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := c.Dial(ctx, b.Addr().Hash, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a peer off the access list: %v (refusals are silent)", err)
	}
	if got := b.Counters().Refused; got != 1 {
		t.Errorf("refused %d", got)
	}
	parsed, err := ParseOptions(map[string]string{"i2cp.enableBlackList": "true",
		"i2cp.accessList": a.Addr().Hash.String() + "," + c.Addr().Hash.B32()})
	if err != nil || !parsed.EnableBlackList || len(parsed.AccessList) != 2 || parsed.AccessList[1] != c.Addr().Hash {
		t.Fatalf("ParseOptions: %+v, %v", parsed, err)
	}
	lim := newLimits(&parsed)
	if lim.permitted(a.Addr().Hash) || lim.permitted(c.Addr().Hash) || !lim.permitted(b.Addr().Hash) {
		t.Error("blacklist")
	}
}

func TestMaxConcurrentStreams(t *testing.T) {
	a, b, _ := sinkPair(t, func(o *Options) { o.MaxConcurrentStreams = 1 })
	c := dial(t, a, b, 1)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.Dial(ctx, b.Addr().Hash, 1); !errors.Is(err, ErrTooManyConns) {
		t.Fatalf("second stream out: %v", err)
	}
}

// loneListener is a Manager listening on port 0 and a rawPeer to talk
// to it directly.
func loneListener(t testing.TB, o *Options) (*Manager, *Listener, *rawPeer) {
	n := newFakeNet(5*time.Millisecond, 0, 0)
	checkGoroutines(t)
	b := n.join(t, o)
	t.Cleanup(func() { b.Close(); n.close() })
	l, err := b.listen(0)
	if err != nil {
		t.Fatal(err)
	}
	return b, l, newRawPeer(t)
}

// Packets that come before their SYN are kept and delivered after it.
func TestDataBeforeSYN(t *testing.T) {
	b, l, alice := loneListener(t, nil)
	second, _ := (&Packet{RecvStreamID: 77, Seq: 1, Flags: FlagNoAck, Payload: []byte(" world")}).Append(nil)
	third, _ := (&Packet{RecvStreamID: 77, Seq: 2, Flags: FlagNoAck, Payload: []byte("!")}).Append(nil)
	b.HandlePacket(Inbound{Packet: third})
	b.HandlePacket(Inbound{Packet: second})
	b.HandlePacket(Inbound{Packet: alice.syn(t, 77, b.Addr().Hash, "hello")})
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	got := ""
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(got) < len("hello world!") {
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read %q: %v", got, err)
		}
		got += string(buf[:k])
	}
	if got != "hello world!" {
		t.Fatalf("got %q", got)
	}
	if c.RemoteAddr().(Addr).Hash != alice.id.hash {
		t.Error("remote is not the SYN's FROM")
	}
}

// A SYN signed for another destination is dropped (replay prevention).
func TestSYNReplay(t *testing.T) {
	b, l, alice := loneListener(t, nil)
	b.HandlePacket(Inbound{Packet: alice.syn(t, 5, data.HashOf([]byte("charlie")), "")})
	select {
	case <-l.backlog:
		t.Fatal("accepted a SYN meant for another destination")
	default:
	}
	if b.Counters().Foreign != 1 {
		t.Errorf("counters %+v", b.Counters())
	}
}

// A flood of SYNs, valid or forged, and of junk costs bounded state: the
// backlog, then refusals, whose replies are bounded by the control queue.
func TestSYNFlood(t *testing.T) {
	o := testOptions()
	o.Backlog = 16
	b, _, flooder := loneListener(t, &o) // never accepts
	before := runtime.NumGoroutine()
	junk := make([]byte, 200)
	for i := range 2000 {
		switch i % 3 {
		case 0:
			b.HandlePacket(Inbound{Packet: flooder.syn(t, uint32(i+1), b.Addr().Hash, "")})
		case 1:
			forged := flooder.syn(t, uint32(i+1), b.Addr().Hash, "")
			forged[len(forged)-1] ^= 1 // the signature no longer covers it
			forged = append(forged, 'x')
			b.HandlePacket(Inbound{Packet: forged})
		default:
			rand.Read(junk)
			b.HandlePacket(Inbound{Packet: junk})
		}
	}
	if got := b.Conns(); got > o.Backlog {
		t.Errorf("%d connections kept, backlog %d", got, o.Backlog)
	}
	// Deliveries of the fake network come and go; the connections' stay.
	for settle := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		g := runtime.NumGoroutine() - before
		if g <= o.Backlog+2 {
			break
		}
		if time.Now().After(settle) {
			t.Errorf("%d goroutines more", g)
			break
		}
	}
	c := b.Counters()
	if c.BadSignature < 600 || c.Refused < 600 {
		t.Errorf("counters %+v", c)
	}
	b.mu.Lock()
	early := len(b.early)
	b.mu.Unlock()
	if early > maxEarlyStreams {
		t.Errorf("%d early streams", early)
	}
}

func TestListenerCloseResetsBacklog(t *testing.T) {
	n := newFakeNet(5*time.Millisecond, 0, 0)
	a, b := pair(t, n, nil)
	l, _ := b.listen(0)
	c := dial(t, a, b, 1) // queued, never accepted
	defer c.Close()
	l.Close()
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("accept after close: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, ErrReset) {
		t.Fatalf("read from a connection never accepted: %v", err)
	}
}

func TestManyStreams(t *testing.T) {
	n := newFakeNet(25*time.Millisecond, 5*time.Millisecond, 0.01)
	a, b := pair(t, n, nil)
	l, _ := b.Listen(0)
	serve(t, l, echo)
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, a, b, 1)
			defer c.Close()
			roundTrip(t, c, 10<<10)
		}()
	}
	wg.Wait()
	// With 1% loss a CLOSE or its ack may need a resend or two, each
	// after a backed-off RTO: on a loaded machine under -race that has
	// taken more than 5 s (CI), so wait up to 30 s.
	deadline := time.Now().Add(30 * time.Second)
	for a.Conns() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if a.Conns() != 0 {
		t.Errorf("%d connections left after all closed", a.Conns())
	}
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions(map[string]string{
		"i2p.streaming.maxConnsPerMinute":    "3",
		"i2p.streaming.maxConnsPerHour":      "4",
		"i2p.streaming.maxConnsPerDay":       "5",
		"i2p.streaming.maxConcurrentStreams": "6",
		"i2p.streaming.answerPings":          "false",
		"i2p.streaming.initialAckDelay":      "100",
		"i2p.streaming.maxMessageSize":       "1730",
		"i2p.streaming.readTimeout":          "-1",
		"inbound.length":                     "3", // not ours
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.MaxConnsPerMinute != 3 || o.MaxConnsPerHour != 4 || o.MaxConnsPerDay != 5 || o.MaxConcurrentStreams != 6 ||
		o.AnswerPings || o.AckDelay != 100*time.Millisecond || o.MaxMessageSize != 1730 || o.ReadTimeout != 0 {
		t.Errorf("%+v", o)
	}
	for _, bad := range []map[string]string{
		{"i2p.streaming.maxMessageSize": "100"},
		{"i2p.streaming.maxWindowSize": "1000"},
		{"i2p.streaming.answerPings": "maybe"},
		{"i2cp.accessList": "nonsense"},
	} {
		if _, err := ParseOptions(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// A second connection to the same peer starts from the first one's RTT
// and window (control block sharing), not from the initial RTO.
func TestControlBlockSharing(t *testing.T) {
	n := newFakeNet(20*time.Millisecond, 0, 0)
	a, b := pair(t, n, nil)
	l, _ := b.Listen(0)
	serve(t, l, echo)
	c := dial(t, a, b, 1)
	roundTrip(t, c, 100<<10)
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for a.Conns() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	a.mu.Lock()
	e := a.tcb[b.Addr().Hash]
	a.mu.Unlock()
	if e == nil || e.srtt < 30*time.Millisecond || e.window < 6 {
		t.Fatalf("shared %+v", e)
	}
	c2 := dial(t, a, b, 1)
	defer c2.Close()
	if s := c2.Stats(); s.RTO >= testOptions().InitialRTO && s.SRTT == 0 {
		t.Errorf("second connection starts cold: %+v", s)
	}
}
