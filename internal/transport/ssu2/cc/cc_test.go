package cc

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	const d = 1000
	w := New(d)
	t0 := time.Unix(1000, 0)
	if w.Size() != InitialPackets*d || !w.CanSend(d) {
		t.Fatalf("initial window %d", w.Size())
	}
	for range InitialPackets {
		w.Sent(d)
	}
	if w.CanSend(d) || w.InFlight() != InitialPackets*d {
		t.Fatalf("window full yet CanSend; in flight %d", w.InFlight())
	}
	// Slow start: each acked byte grows the window by one.
	w.Acked(d, t0)
	if w.Size() != (InitialPackets+1)*d || !w.CanSend(d) {
		t.Fatalf("slow start: %d", w.Size())
	}
	// A loss halves it once per recovery period.
	w.Lost(d, t0.Add(time.Millisecond), t0.Add(time.Second))
	half := (InitialPackets + 1) * d / 2
	if w.Size() != half {
		t.Fatalf("after loss %d, want %d", w.Size(), half)
	}
	w.Lost(d, t0.Add(2*time.Millisecond), t0.Add(time.Second)) // sent before recovery began
	if w.Size() != half {
		t.Fatalf("second loss in one period cut the window to %d", w.Size())
	}
	// Congestion avoidance: about a datagram per window of acks.
	w.Acked(d, t0.Add(2*time.Second))
	if w.Size() <= half || w.Size() > half+d {
		t.Fatalf("congestion avoidance grew %d -> %d", half, w.Size())
	}
	w.Timeout(t0.Add(3 * time.Second))
	if w.Size() != MinPackets*d {
		t.Fatalf("after timeout %d", w.Size())
	}
	// The window never exceeds its maximum, and an empty pipe always
	// takes one packet.
	for i := range 100000 {
		w.Sent(d)
		w.Acked(d, t0.Add(time.Duration(4+i)*time.Second))
	}
	if w.Size() != MaxPackets*d {
		t.Fatalf("window %d, want the maximum %d", w.Size(), MaxPackets*d)
	}
	w.Discard(w.InFlight() + 5)
	if w.InFlight() != 0 || !w.CanSend(10*MaxPackets*d) {
		t.Fatal("empty pipe refuses a packet")
	}
}
