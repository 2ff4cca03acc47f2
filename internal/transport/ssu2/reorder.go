package ssu2

// Reordering. RFC 9002's loss thresholds (three packets, 9/8 of the RTT)
// take a packet that merely comes late for lost, and its content goes
// again. To veil a spurious resend costs only bandwidth. To i2pd 2.45.1
// it can cost the message: a Follow-on Fragment that arrives again after
// it was joined sits in front of the out-of-order fragments i2pd keeps
// and stops them from ever being joined
// (SSU2Session::ConcatOutOfSequenceFragments), and a First Fragment that
// arrives again starts the message afresh, dropping the follow-ons
// joined to it (SSU2Session::HandleFirstFragment). So, as RFC 9002
// (§6.1.1, §6.1.2) allows, an acknowledgement that shows a packet
// declared lost was not tells the session that the path reorders: from
// then on, as in TCP's RACK (RFC 8985), a packet is lost only by time,
// and the time threshold covers the lateness seen, up to the minimum
// RTO. TestSSU2LossyI2pd is the case.

import (
	"time"

	"github.com/veil-i2p/veil/internal/transport/ssu2/ack"
)

// maxRecentLost bounds the packets declared lost that reorder watches.
const maxRecentLost = 128

// reorder holds a session's loss thresholds.
type reorder struct {
	seen   bool          // a loss turned out spurious: judge by time only
	delay  time.Duration // least time threshold
	recent []lostPacket  // declared lost within the last minimum RTO
}

type lostPacket struct {
	pn uint32
	at time.Time // sent
}

// threshold is how many numbers below the largest acknowledged a packet
// is lost; 0 once the path was seen to reorder.
func (r *reorder) threshold() int64 {
	if r.seen {
		return 0
	}
	return packetThreshold
}

// declared records p as lost.
func (r *reorder) declared(p *sentPacket) {
	if len(r.recent) == maxRecentLost {
		copy(r.recent, r.recent[1:])
		r.recent = r.recent[:len(r.recent)-1]
	}
	r.recent = append(r.recent, lostPacket{pn: p.pn, at: p.at})
}

// acked looks for packets declared lost in an ACK's ranges; each one
// found marks the path as reordering and raises the time threshold past
// its lateness. Only an acknowledgement that comes
// within the minimum RTO of the send counts: i2pd, once it holds many
// packets past a gap, acknowledges the gap as if it had arrived
// (SSU2Session::CleanUp), which is no sign of reordering.
func (r *reorder) acked(ranges []ack.Range, now time.Time) {
	keep := r.recent[:0]
	for _, l := range r.recent {
		age := now.Sub(l.at)
		switch {
		case age >= ack.DefaultMinRTO:
		case inRanges(ranges, l.pn):
			r.seen = true
			r.delay = min(max(r.delay, age*9/8), ack.DefaultMinRTO)
		default:
			keep = append(keep, l)
		}
	}
	r.recent = keep
}
