package transport

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// pair makes two nodes that know each other, on 198.18.0.1 and .2.
func pair(t *testing.T, cfg ManagerConfig) (a, b *node) {
	net := newFakeNet()
	a = newNode(t, net, "198.18.0.1", cfg)
	b = newNode(t, net, "198.18.0.2", cfg)
	a.knows(b)
	b.knows(a)
	t.Cleanup(func() { closeAll(t, a, b) })
	return a, b
}

func closeAll(t *testing.T, nodes ...*node) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, n := range nodes {
		if err := n.m.CloseAll(ctx, ReasonRouterShutdown); err != nil {
			t.Error(err)
		}
	}
}

// collect registers a handler of type typ that sends each message on a
// channel.
func collect(n *node, typ uint8) <-chan *Message {
	ch := make(chan *Message, 100)
	n.m.Handle(typ, func(from data.Hash, m *Message) { ch <- m })
	return ch
}

func recv(t *testing.T, ch <-chan *Message) *Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
		return nil
	}
}

func msg(typ uint8, payload string) *Message {
	return &Message{Type: typ, ID: 1, Expiration: time.Unix(1_800_000_060, 0), Payload: []byte(payload)}
}

func TestSendDialsOnceAndReuses(t *testing.T) {
	goroutineLeakCheck(t)
	a, b := pair(t, ManagerConfig{})
	got := collect(b, 20)
	ctx := context.Background()
	if err := a.m.Send(ctx, b.ri.Hash(), msg(20, "one"), PriorityNormal); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, got); string(m.Payload) != "one" {
		t.Fatalf("payload %q", m.Payload)
	}
	if err := a.m.Send(ctx, b.ri.Hash(), msg(20, "two"), PriorityNormal); err != nil {
		t.Fatal(err)
	}
	recv(t, got)
	if n := a.tr.dials.Load(); n != 1 {
		t.Fatalf("%d dials", n)
	}
	if a.m.NumSessions() != 1 || b.m.NumSessions() != 1 {
		t.Fatalf("sessions %d %d", a.m.NumSessions(), b.m.NumSessions())
	}
	s := b.m.Session(a.ri.Hash())
	if s == nil || s.Direction() != Inbound {
		t.Fatal("b has no inbound session to a")
	}
	// Reply on the inbound session, no dial.
	back := collect(a, 20)
	if err := b.m.Send(ctx, a.ri.Hash(), msg(20, "back"), PriorityHigh); err != nil {
		t.Fatal(err)
	}
	recv(t, back)
	if b.tr.dials.Load() != 0 {
		t.Fatal("b dialed")
	}
}

func TestConcurrentSendsShareOneDial(t *testing.T) {
	goroutineLeakCheck(t)
	a, b := pair(t, ManagerConfig{})
	got := collect(b, 20)
	a.tr.gate = make(chan struct{})
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if err := a.m.Send(context.Background(), b.ri.Hash(), msg(20, "x"), PriorityNormal); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(t, "the dial", func() bool { return a.tr.dials.Load() == 1 })
	time.Sleep(20 * time.Millisecond) // let the others queue on it
	close(a.tr.gate)
	wg.Wait()
	for range 10 {
		recv(t, got)
	}
	if n := a.tr.dials.Load(); n != 1 {
		t.Fatalf("%d dials", n)
	}
}

func TestSendErrors(t *testing.T) {
	goroutineLeakCheck(t)
	a, b := pair(t, ManagerConfig{})
	ctx := context.Background()
	if err := a.m.Send(ctx, data.Hash{1}, msg(20, ""), PriorityNormal); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := a.m.Connect(ctx, a.ri); err == nil {
		t.Fatal("connected to ourselves")
	}
	noAddr := testRouterInfo(t, "198.18.0.9")
	noAddr.Addresses = nil
	if _, err := a.m.Connect(ctx, noAddr); !errors.Is(err, ErrNoTransport) {
		t.Fatalf("no transport: %v", err)
	}

	// A failed dial backs off, then tries again.
	a.tr.failDials(errors.New("refused"))
	if _, err := a.m.Connect(ctx, b.ri); err == nil || errors.Is(err, ErrBackoff) {
		t.Fatalf("first failure: %v", err)
	}
	if _, err := a.m.Connect(ctx, b.ri); !errors.Is(err, ErrBackoff) {
		t.Fatalf("retry at once: %v", err)
	}
	if a.m.Dialable(b.ri) {
		t.Fatal("Dialable during back-off")
	}
	a.tr.dialErr.Store(nil)
	a.now.advance(backoffMin + time.Second)
	if !a.m.Dialable(b.ri) {
		t.Fatal("not Dialable after back-off")
	}
	if _, err := a.m.Connect(ctx, b.ri); err != nil {
		t.Fatal(err)
	}
	if n := a.tr.dials.Load(); n != 2 {
		t.Fatalf("%d dials", n)
	}
}

func TestQueueFullCounted(t *testing.T) {
	goroutineLeakCheck(t)
	a, b := pair(t, ManagerConfig{})
	a.tr.queueLen = 2
	s, err := a.m.Connect(context.Background(), b.ri)
	if err != nil {
		t.Fatal(err)
	}
	fs := s.(*fakeSession)
	// Stop delivery: the writeLoop takes one message and waits.
	fs.pause = make(chan struct{})
	// The loop may be blocked on the first; fill the queue behind it.
	var full int
	for range 5 {
		if err := a.m.Send(context.Background(), b.ri.Hash(), msg(20, "x"), PriorityNormal); errors.Is(err, ErrQueueFull) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if full < 2 {
		t.Fatalf("%d sends refused", full)
	}
	if c := a.m.Counters(); c.Dropped != uint64(full) || s.Stats().Dropped != uint64(full) {
		t.Fatalf("dropped %d/%d, refused %d", c.Dropped, s.Stats().Dropped, full)
	}
	close(fs.pause)
}

func TestDispatch(t *testing.T) {
	goroutineLeakCheck(t)
	a, b := pair(t, ManagerConfig{})
	got := collect(b, 1)
	ctx := context.Background()
	send := func(m *Message) {
		if err := a.m.Send(ctx, b.ri.Hash(), m, PriorityNormal); err != nil {
			t.Fatal(err)
		}
	}
	send(msg(99, "nobody handles 99"))
	expired := msg(1, "expired")
	expired.Expiration = b.now.Now().Add(-MaxClockSkew - time.Second)
	send(expired)
	send(msg(1, "handled"))
	if m := recv(t, got); string(m.Payload) != "handled" {
		t.Fatalf("got %q", m.Payload)
	}
	waitFor(t, "counters", func() bool {
		c := b.m.Counters()
		return c.Unhandled == 1 && c.Expired == 1
	})
	// Handle(nil) restores the default.
	b.m.Handle(1, nil)
	send(msg(1, "dropped"))
	waitFor(t, "unhandled", func() bool { return b.m.Counters().Unhandled == 2 })
}

func TestRouterInfosGoToStore(t *testing.T) {
	goroutineLeakCheck(t)
	a, b := pair(t, ManagerConfig{})
	delete(b.store.m, a.ri.Hash())
	s, err := a.m.Connect(context.Background(), b.ri)
	if err != nil {
		t.Fatal(err)
	}
	// The session's RouterInfo (NTCP2 message 3) is stored.
	if b.store.Get(a.ri.Hash()) == nil {
		t.Fatal("peer's RouterInfo not stored")
	}
	// So are RouterInfo blocks.
	c := testRouterInfo(t, "198.18.0.3")
	if err := s.SendRouterInfo(c, false); err != nil {
		t.Fatal(err)
	}
	if b.store.Get(c.Hash()) == nil || b.m.Counters().RouterInfos != 2 {
		t.Fatalf("RouterInfo block not stored: %+v", b.m.Counters())
	}
	b.store.err = errors.New("refused")
	s.SendRouterInfo(testRouterInfo(t, "198.18.0.4"), true)
	if b.m.Counters().RouterInfosBad != 1 {
		t.Fatal("refusal not counted")
	}
}

func TestEvents(t *testing.T) {
	goroutineLeakCheck(t)
	a, b := pair(t, ManagerConfig{})
	events, cancel := b.m.Subscribe(10)
	var connected []Session
	b.m.cfg.Connected = func(s Session) { connected = append(connected, s) }
	collect(b, 20)
	if err := a.m.Send(context.Background(), b.ri.Hash(), msg(20, "hi"), PriorityNormal); err != nil {
		t.Fatal(err)
	}
	next := func() Event {
		select {
		case e := <-events:
			return e
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
			return Event{}
		}
	}
	if e := next(); e.Kind != EventConnected || e.Peer != a.ri.Hash() || e.Session == nil {
		t.Fatalf("%+v", e)
	}
	if len(connected) != 1 {
		t.Fatal("Connected callback not run")
	}
	if e := next(); e.Kind != EventReceived || e.MsgType != 20 || e.MsgLen != 2 {
		t.Fatalf("%+v", e)
	}
	a.m.Session(b.ri.Hash()).Close(ReasonNormal)
	e := next()
	var te *TerminationError
	if e.Kind != EventDisconnected || !errors.As(e.Err, &te) || !te.Remote {
		t.Fatalf("%+v", e)
	}
	cancel()
	cancel()
	if _, ok := <-events; ok {
		t.Fatal("channel not closed")
	}

	// A full buffer drops and counts.
	_, cancel = b.m.Subscribe(1)
	defer cancel()
	for range 3 {
		b.m.events.emit(Event{Kind: EventReceived})
	}
	if b.m.Counters().EventsDropped != 2 {
		t.Fatalf("dropped %d", b.m.Counters().EventsDropped)
	}
}

func TestCloseAllSendsReason(t *testing.T) {
	goroutineLeakCheck(t)
	a, b := pair(t, ManagerConfig{})
	s, err := a.m.Connect(context.Background(), b.ri)
	if err != nil {
		t.Fatal(err)
	}
	in := b.m.Session(a.ri.Hash())
	if err := b.m.CloseAll(context.Background(), ReasonRouterShutdown); err != nil {
		t.Fatal(err)
	}
	<-s.Done()
	var te *TerminationError
	if !errors.As(s.Err(), &te) || !te.Remote || te.Reason != ReasonRouterShutdown {
		t.Fatalf("a saw %v", s.Err())
	}
	waitFor(t, "tables empty", func() bool { return a.m.NumSessions() == 0 && b.m.NumSessions() == 0 })
	if in.(*fakeSession).reason.Load() != int32(ReasonRouterShutdown) {
		t.Fatal("wrong reason")
	}
}

func TestBandwidth(t *testing.T) {
	goroutineLeakCheck(t)
	synctest.Test(t, func(t *testing.T) {
		a, b := pair(t, ManagerConfig{})
		a.m.cfg.Now = time.Now // the bubble's fake clock
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		defer cancel()
		go func() { done <- a.m.Run(ctx) }()
		synctest.Wait() // Run took its first sample
		collect(b, 20)
		payload := string(make([]byte, 991)) // 1000 bytes with the short header
		for range 3 {
			if err := a.m.Send(ctx, b.ri.Hash(), msg(20, payload), PriorityNormal); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		time.Sleep(time.Second + time.Millisecond)
		synctest.Wait()
		c := a.m.Counters()
		if c.BytesOut != 3000 || c.RateOut != 3000 {
			t.Fatalf("out %d, rate %v", c.BytesOut, c.RateOut)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if c := a.m.Counters(); c.RateOut != 0 {
			t.Fatalf("rate %v with no traffic", c.RateOut)
		}
		// Closed sessions keep counting in the totals.
		a.m.Session(b.ri.Hash()).Close(ReasonNormal)
		synctest.Wait()
		if c := a.m.Counters(); c.Sessions != 0 || c.BytesOut != 3000 {
			t.Fatalf("after close: %+v", c)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestLimits(t *testing.T) {
	goroutineLeakCheck(t)
	net := newFakeNet()
	hub := newNode(t, net, "198.18.0.1", ManagerConfig{MaxSessions: 3, MaxPerIP: 2})
	var nodes []*node
	for _, host := range []string{"198.18.0.2", "198.18.0.2", "198.18.0.2", "198.18.0.3", "198.18.0.4"} {
		n := newNode(t, net, host, ManagerConfig{})
		n.knows(hub)
		nodes = append(nodes, n)
	}
	t.Cleanup(func() { closeAll(t, append(nodes, hub)...) })
	ctx := context.Background()
	for i, n := range nodes {
		_, err := n.m.Connect(ctx, hub.ri)
		var te *TerminationError
		switch i {
		case 0, 1, 3:
			if err != nil {
				t.Fatalf("node %d: %v", i, err)
			}
		case 2: // third from 198.18.0.2
			if !errors.As(err, &te) || te.Reason != ReasonUnspecified {
				t.Fatalf("per-IP limit: %v", err)
			}
		case 4: // fourth session
			if !errors.As(err, &te) {
				t.Fatalf("total limit: %v", err)
			}
		}
	}
	if hub.m.NumSessions() != 3 || hub.m.Counters().Rejected != 2 {
		t.Fatalf("sessions %d, %+v", hub.m.NumSessions(), hub.m.Counters())
	}
	// The hub cannot dial out either while full.
	extra := newNode(t, net, "198.18.0.5", ManagerConfig{})
	t.Cleanup(func() { closeAll(t, extra) })
	if _, err := hub.m.Connect(ctx, extra.ri); !errors.Is(err, ErrLimit) {
		t.Fatalf("dial when full: %v", err)
	}
	// One leaves, the IP's count goes down, another may come.
	hub.m.Session(nodes[0].ri.Hash()).Close(ReasonNormal)
	waitFor(t, "slot", func() bool { return hub.m.NumSessions() == 2 })
	if _, err := nodes[2].m.Connect(ctx, hub.ri); err != nil && !errors.Is(err, ErrBackoff) {
		t.Fatal(err)
	}
	nodes[2].now.advance(time.Hour)
	if _, err := nodes[2].m.Connect(ctx, hub.ri); err != nil {
		t.Fatalf("after a slot freed: %v", err)
	}
}
