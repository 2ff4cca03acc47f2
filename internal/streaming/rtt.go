package streaming

import "time"

// RTT estimation and the retransmission timeout of RFC 6298, as Java's
// streaming does it since 0.9.8 (alpha 1/8, beta 1/4, K 4), with Java's
// bounds: RTO from 100 ms to 45 s, RTT samples capped at 60 s. It is
// pure state; callers pass the samples in.

// maxRTTSample caps an RTT sample ("Maximum RTT estimate: 60 sec").
const maxRTTSample = 60 * time.Second

// rttGranularity is G, the clock granularity of RFC 6298 (2.4).
const rttGranularity = 10 * time.Millisecond

type rttEstimator struct {
	srtt, rttvar time.Duration
	min          time.Duration // lowest sample: the path without queues
	// recent smooths the shortest sample of each ack (1/4 weight): the
	// packet that triggered the ack waited least for it, so this follows
	// the path's queues without the receiver's ack delay.
	recent  time.Duration
	rto     time.Duration // before backoff
	floor   time.Duration
	sampled bool
	backoff uint // doublings since the last new ack (RFC 6298 5.5)
}

func newRTTEstimator(initialRTO, floor time.Duration) rttEstimator {
	return rttEstimator{rto: initialRTO, floor: floor}
}

// sampleAck takes the RTT samples of one ack: the longest feeds SRTT and
// the RTO (Java's choice: the packets left together, and the RTO must
// cover the ack delay), the shortest the queue estimate.
func (r *rttEstimator) sampleAck(longest, shortest time.Duration) {
	r.sample(longest)
	shortest = min(max(shortest, time.Millisecond), maxRTTSample)
	if r.recent == 0 {
		r.recent = shortest
	} else {
		r.recent = (3*r.recent + shortest) / 4
	}
	r.min = min(r.min, shortest)
}

// sample takes one RTT measurement of a packet sent once (Karn's rule is
// the caller's: samples of retransmitted packets are ambiguous).
func (r *rttEstimator) sample(rtt time.Duration) {
	rtt = min(max(rtt, time.Millisecond), maxRTTSample)
	if !r.sampled || rtt < r.min {
		r.min = rtt
	}
	if !r.sampled {
		r.srtt, r.rttvar, r.sampled = rtt, rtt/2, true
	} else {
		d := r.srtt - rtt
		if d < 0 {
			d = -d
		}
		r.rttvar = (3*r.rttvar + d) / 4
		r.srtt = (7*r.srtt + rtt) / 8
	}
	r.rto = min(max(r.srtt+max(rttGranularity, 4*r.rttvar), r.floor), maxRTO)
}

// timeout is the current RTO with exponential backoff.
func (r *rttEstimator) timeout() time.Duration {
	t := r.rto
	for i := uint(0); i < r.backoff && t < maxRTO; i++ {
		t *= 2
	}
	return min(t, maxRTO)
}

// smoothed returns SRTT, or the initial RTO's guess before any sample.
func (r *rttEstimator) smoothed() time.Duration {
	if !r.sampled {
		return r.rto
	}
	return r.srtt
}
