package ntcp2

import (
	"errors"
	"github.com/veil-i2p/veil/internal/ratelimit"
	"net/netip"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/transport"
)

func msgItem(id uint32) sendItem {
	return sendItem{msg: &transport.Message{ID: id, Payload: make([]byte, 100)}}
}

func TestSendQueuePriorities(t *testing.T) {
	q := newSendQueue(4)
	for i, p := range []transport.Priority{transport.PriorityLow, transport.PriorityHigh, transport.PriorityNormal, transport.PriorityLow} {
		if err := q.push(msgItem(uint32(i)), p); err != nil {
			t.Fatal(err)
		}
	}
	// Full: a low-priority item is refused, a high one evicts the oldest low.
	if err := q.push(msgItem(10), transport.PriorityLow); !errors.Is(err, transport.ErrQueueFull) {
		t.Fatalf("push to full queue: %v", err)
	}
	if err := q.push(msgItem(11), transport.PriorityHigh); err != nil {
		t.Fatal(err)
	}
	if q.droppedCount() != 2 || q.len() != 4 {
		t.Fatalf("dropped %d len %d", q.droppedCount(), q.len())
	}
	var ids []uint32
	for _, it := range q.pop(nil, 1<<20) {
		ids = append(ids, it.msg.ID)
	}
	want := []uint32{1, 11, 2, 3} // high in order, normal, the surviving low
	if len(ids) != len(want) {
		t.Fatalf("popped %v", ids)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("popped %v, want %v", ids, want)
		}
	}
	// pop honours the byte limit but always takes one item.
	q.push(msgItem(20), 0)
	q.push(msgItem(21), 0)
	if got := q.pop(nil, 10); len(got) != 1 {
		t.Fatalf("popped %d items past the limit", len(got))
	}
	q.close()
	if err := q.push(msgItem(30), 2); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("push after close: %v", err)
	}
	// Priorities above High are treated as High.
	q2 := newSendQueue(2)
	if err := q2.push(msgItem(1), 200); err != nil {
		t.Fatal(err)
	}
}

func TestSendQueueLongRun(t *testing.T) {
	q := newSendQueue(1000)
	next := uint32(0)
	for round := 0; round < 50; round++ {
		for i := 0; i < 700; i++ {
			q.push(msgItem(next), transport.PriorityNormal)
			next++
		}
		got := q.pop(nil, 1<<30)
		if len(got) != 700 || got[0].msg.ID != next-700 || got[699].msg.ID != next-1 {
			t.Fatalf("round %d: %d items", round, len(got))
		}
	}
	if cap(q.lanes[transport.PriorityNormal]) > 4096 {
		t.Fatalf("lane grew to %d", cap(q.lanes[transport.PriorityNormal]))
	}
}

func TestReplayCache(t *testing.T) {
	c := newReplayCache(2*time.Minute, 3)
	now := time.Unix(1000, 0)
	k := func(b byte) *[keyLen]byte { return &[keyLen]byte{b} }
	if !c.check(k(1), now) || c.check(k(1), now.Add(time.Minute)) {
		t.Fatal("replay within the window not caught")
	}
	if !c.check(k(1), now.Add(2*time.Minute)) {
		t.Fatal("key not forgotten after its lifetime")
	}
	for b := byte(2); b < 10; b++ {
		c.check(k(b), now.Add(3*time.Minute))
	}
	if c.len() > 3 || c.evicted == 0 {
		t.Fatalf("len %d evicted %d", c.len(), c.evicted)
	}
}

func TestRateLimiter(t *testing.T) {
	l := ratelimit.New[netip.Addr](1, 3, 2, true)
	now := time.Unix(1000, 0)
	a := netip.MustParseAddr("198.18.0.10")
	for i := 0; i < 3; i++ {
		if !l.Allow(ratelimit.SourceKey(a), now) {
			t.Fatalf("burst %d refused", i)
		}
	}
	if l.Allow(ratelimit.SourceKey(a), now) {
		t.Fatal("fourth handshake in the same instant allowed")
	}
	if !l.Allow(ratelimit.SourceKey(a), now.Add(time.Second)) {
		t.Fatal("no refill after a second")
	}
	// IPv6 sources share a /64.
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	for i := 0; i < 3; i++ {
		l.Allow(ratelimit.SourceKey(v6a), now)
	}
	if l.Allow(ratelimit.SourceKey(v6b), now) {
		t.Fatal("another host of the /64 got its own bucket")
	}
	// Past the cap, new sources pass untracked.
	if !l.Allow(ratelimit.SourceKey(netip.MustParseAddr("198.18.0.99")), now) {
		t.Fatal("new source refused when the table is full")
	}
}
