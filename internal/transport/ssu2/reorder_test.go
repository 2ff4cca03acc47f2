package ssu2

import (
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/transport/ssu2/ack"
)

// TestReorder: an acknowledgement of a packet declared lost switches the
// session to loss by time, with a threshold past that packet's
// lateness; a late one (past the minimum RTO) is no sign; the watch list
// stays bounded.
func TestReorder(t *testing.T) {
	var r reorder
	t0 := time.Now()
	r.declared(&sentPacket{pn: 10, at: t0})
	r.declared(&sentPacket{pn: 11, at: t0})
	if r.threshold() != packetThreshold || r.delay != 0 {
		t.Fatalf("before any spurious loss: threshold %d, delay %v", r.threshold(), r.delay)
	}
	r.acked([]ack.Range{{Lo: 9, Hi: 10}}, t0.Add(8*time.Millisecond))
	if r.threshold() != 0 || r.delay != 9*time.Millisecond || len(r.recent) != 1 {
		t.Fatalf("after packet 10 came late: threshold %d, delay %v, watching %d", r.threshold(), r.delay, len(r.recent))
	}
	r.acked([]ack.Range{{Lo: 11, Hi: 11}}, t0.Add(2*time.Second))
	if r.delay != 9*time.Millisecond || len(r.recent) != 0 {
		t.Fatalf("an acknowledgement after the minimum RTO moved the delay to %v (watching %d)", r.delay, len(r.recent))
	}
	r.declared(&sentPacket{pn: 12, at: t0})
	r.acked([]ack.Range{{Lo: 12, Hi: 12}}, t0.Add(900*time.Millisecond))
	if r.delay != ack.DefaultMinRTO {
		t.Fatalf("delay %v, want it capped at %v", r.delay, ack.DefaultMinRTO)
	}
	for i := range 3 * maxRecentLost {
		r.declared(&sentPacket{pn: uint32(100 + i), at: t0})
	}
	if len(r.recent) != maxRecentLost || r.recent[0].pn != uint32(100+2*maxRecentLost) {
		t.Fatalf("watching %d packets from %d", len(r.recent), r.recent[0].pn)
	}
}

// TestHoldsLast: a fragmented message's last fragment waits for every
// earlier one to be acknowledged; other chunks never wait.
func TestHoldsLast(t *testing.T) {
	for _, tc := range []struct {
		chunks, next, acked int
		want                bool
	}{
		{1, 0, 0, false}, // unfragmented
		{3, 1, 0, false}, // a middle fragment
		{3, 2, 1, true},  // last, one earlier unacknowledged
		{3, 2, 2, false}, // last, all earlier acknowledged
		{3, 3, 2, false}, // all sent
		{2, 1, 0, true},  // two fragments, the first unacknowledged
	} {
		m := &outMsg{chunks: make([]chunk, tc.chunks), next: tc.next, acked: tc.acked}
		if got := m.holdsLast(); got != tc.want {
			t.Errorf("%d chunks, next %d, %d acknowledged: holdsLast %v", tc.chunks, tc.next, tc.acked, got)
		}
	}
}
