package ack

import "time"

// RTT estimates a path's round-trip time and computes the retransmission
// timeout as RFC 6298 does (§2): the first sample sets SRTT = R and
// RTTVAR = R/2; later ones RTTVAR = 3/4·RTTVAR + 1/4·|SRTT − R|, SRTT =
// 7/8·SRTT + 1/8·R; RTO = SRTT + max(G, 4·RTTVAR), at least MinRTO. Each
// timeout doubles it (§5.5, Backoff) up to MaxRTO, until the next
// acknowledgement (Reset).
//
// The zero value has no samples and the default bounds. Not safe for
// concurrent use.
type RTT struct {
	// MinRTO and MaxRTO bound the timeout; zero means the defaults.
	MinRTO, MaxRTO time.Duration

	srtt, rttvar, latest time.Duration
	samples              int
	backoff              uint
}

// RTT defaults: the initial timeout before any sample (RFC 6298 §2.1),
// the minimum ssu2.rst recommends ("Data phase minimum retransmission
// timeout: 1 second, as in RFC 6298"), and a maximum.
const (
	InitialRTO    = time.Second
	DefaultMinRTO = time.Second
	DefaultMaxRTO = 60 * time.Second
	granularity   = time.Millisecond // G
)

// Sample adds a round-trip measurement. Non-positive samples are ignored.
func (r *RTT) Sample(d time.Duration) {
	if d <= 0 {
		return
	}
	r.latest = d
	if r.samples == 0 {
		r.srtt, r.rttvar = d, d/2
	} else {
		diff := r.srtt - d
		if diff < 0 {
			diff = -diff
		}
		r.rttvar = (3*r.rttvar + diff) / 4
		r.srtt = (7*r.srtt + d) / 8
	}
	r.samples++
}

// SRTT is the smoothed round-trip time, or zero before any sample.
func (r *RTT) SRTT() time.Duration { return r.srtt }

// Latest is the most recent sample, or zero.
func (r *RTT) Latest() time.Duration { return r.latest }

// RTO is the current retransmission timeout, backoff included.
func (r *RTT) RTO() time.Duration {
	minRTO, maxRTO := r.MinRTO, r.MaxRTO
	if minRTO <= 0 {
		minRTO = DefaultMinRTO
	}
	if maxRTO <= 0 {
		maxRTO = DefaultMaxRTO
	}
	rto := InitialRTO
	if r.samples > 0 {
		rto = r.srtt + max(granularity, 4*r.rttvar)
	}
	rto = max(rto, minRTO)
	for i := uint(0); i < r.backoff && rto < maxRTO; i++ {
		rto *= 2
	}
	return min(rto, maxRTO)
}

// Backoff doubles the timeout after it expired.
func (r *RTT) Backoff() {
	if r.backoff < 16 {
		r.backoff++
	}
}

// Reset ends the backoff once new data is acknowledged.
func (r *RTT) Reset() { r.backoff = 0 }
