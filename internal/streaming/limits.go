package streaming

import (
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Incoming connection limits, as Java's ConnThrottler counts them: per
// peer and in total, in fixed periods of a minute, an hour and a day,
// each counter cleared when its period ends. Refused SYNs count too, so a
// peer that keeps trying stays refused until the period ends.

// maxTracked bounds the peers a throttle counts. Beyond it new peers are
// let through uncounted: the total limits still hold, and refusing them
// would let a flood of fresh destinations lock everyone out.
const maxTracked = 16384

// throttle counts events per peer and in total over one period.
type throttle struct {
	period         time.Duration
	perPeer, total int // limits; 0: none
	start          time.Time
	counts         map[data.Hash]int
	sum            int
}

// allow counts one connection from peer at now and reports whether it is
// within the limits.
func (t *throttle) allow(peer data.Hash, now time.Time) bool {
	if t.perPeer <= 0 && t.total <= 0 {
		return true
	}
	if t.counts == nil || now.Sub(t.start) >= t.period || now.Before(t.start) {
		t.start, t.counts, t.sum = now, make(map[data.Hash]int), 0
	}
	t.sum++
	ok := t.total <= 0 || t.sum <= t.total
	if t.perPeer > 0 {
		n, tracked := t.counts[peer]
		if tracked || len(t.counts) < maxTracked {
			n++
			t.counts[peer] = n
			ok = ok && n <= t.perPeer
		}
	}
	return ok
}

// limits holds a Manager's throttles and access lists. The Manager's lock
// guards it.
type limits struct {
	throttles [3]throttle
	allowed   map[data.Hash]bool // nil: everyone
	blocked   map[data.Hash]bool
}

func newLimits(o *Options) *limits {
	l := &limits{throttles: [3]throttle{
		{period: time.Minute, perPeer: o.MaxConnsPerMinute, total: o.MaxTotalConnsPerMinute},
		{period: time.Hour, perPeer: o.MaxConnsPerHour, total: o.MaxTotalConnsPerHour},
		{period: 24 * time.Hour, perPeer: o.MaxConnsPerDay, total: o.MaxTotalConnsPerDay},
	}, blocked: make(map[data.Hash]bool)}
	for _, h := range o.Blacklist {
		l.blocked[h] = true
	}
	switch {
	case o.EnableAccessList:
		l.allowed = make(map[data.Hash]bool)
		for _, h := range o.AccessList {
			l.allowed[h] = true
		}
	case o.EnableBlackList:
		for _, h := range o.AccessList {
			l.blocked[h] = true
		}
	}
	return l
}

// permitted reports whether peer may connect at all.
func (l *limits) permitted(peer data.Hash) bool {
	if l.blocked[peer] {
		return false
	}
	return l.allowed == nil || l.allowed[peer]
}

// throttled counts a connection from peer and reports whether it exceeds
// a rate limit. Every throttle counts it, as in Java.
func (l *limits) throttled(peer data.Hash, now time.Time) bool {
	over := false
	for i := range l.throttles {
		if !l.throttles[i].allow(peer, now) {
			over = true
		}
	}
	return over
}
