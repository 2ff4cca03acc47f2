package transport

import (
	"errors"
	"testing"
)

func msgItem(id uint32) *Message {
	return &Message{ID: id, Payload: make([]byte, 100)}
}

func msgSize(m **Message) int { return len((*m).Payload) }

func TestSendQueuePriorities(t *testing.T) {
	q := NewSendQueue[*Message](4)
	for i, p := range []Priority{PriorityLow, PriorityHigh, PriorityNormal, PriorityLow} {
		if err := q.Push(msgItem(uint32(i)), p); err != nil {
			t.Fatal(err)
		}
	}
	// Full: a low-priority item is refused, a high one evicts the oldest low.
	if err := q.Push(msgItem(10), PriorityLow); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("push to full queue: %v", err)
	}
	if err := q.Push(msgItem(11), PriorityHigh); err != nil {
		t.Fatal(err)
	}
	if q.Dropped() != 2 || q.Len() != 4 {
		t.Fatalf("dropped %d len %d", q.Dropped(), q.Len())
	}
	var ids []uint32
	for _, it := range q.PopBatch(nil, 1<<20, msgSize) {
		ids = append(ids, it.ID)
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
	q.Push(msgItem(20), 0)
	q.Push(msgItem(21), 0)
	if got := q.PopBatch(nil, 10, msgSize); len(got) != 1 {
		t.Fatalf("popped %d items past the limit", len(got))
	}
	q.Close()
	if err := q.Push(msgItem(30), 2); !errors.Is(err, ErrClosed) {
		t.Fatalf("push after close: %v", err)
	}
	// Priorities above High are treated as High.
	q2 := NewSendQueue[*Message](2)
	if err := q2.Push(msgItem(1), 200); err != nil {
		t.Fatal(err)
	}
}

func TestSendQueueLongRun(t *testing.T) {
	q := NewSendQueue[*Message](1000)
	next := uint32(0)
	for round := 0; round < 50; round++ {
		for i := 0; i < 700; i++ {
			q.Push(msgItem(next), PriorityNormal)
			next++
		}
		got := q.PopBatch(nil, 1<<30, msgSize)
		if len(got) != 700 || got[0].ID != next-700 || got[699].ID != next-1 {
			t.Fatalf("round %d: %d items", round, len(got))
		}
	}
	if cap(q.lanes[PriorityNormal]) > 4096 {
		t.Fatalf("lane grew to %d", cap(q.lanes[PriorityNormal]))
	}
}
