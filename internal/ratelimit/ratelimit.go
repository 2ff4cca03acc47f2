// Package ratelimit is a token bucket per key (a peer's address), with a
// cap on the keys it tracks, for anything reachable from outside: NTCP2
// handshakes, reseed requests. Time is passed in.
package ratelimit

import (
	"net/netip"
	"sync"
	"time"
)

// Limiter allows rate events per second per key, in bursts of up to
// burst. At most max keys are tracked: when the table is full, keys whose
// bucket has refilled (they hold no state worth keeping) are forgotten;
// if that frees nothing, a new key is let through untracked or refused,
// as chosen by AllowWhenFull. A rate of zero or less allows everything.
//
// Safe for concurrent use; the zero value is not usable, see New.
type Limiter[K comparable] struct {
	rate          float64
	burst         float64
	max           int
	allowWhenFull bool

	mu      sync.Mutex // guards buckets
	buckets map[K]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Limiter; see Limiter for the parameters.
func New[K comparable](rate float64, burst, max int, allowWhenFull bool) *Limiter[K] {
	return &Limiter[K]{rate: rate, burst: float64(burst), max: max, allowWhenFull: allowWhenFull,
		buckets: make(map[K]*bucket)}
}

// Allow takes one token from key's bucket at now.
func (l *Limiter[K]) Allow(key K, now time.Time) bool {
	if l.rate <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.pruneLocked(now)
			if len(l.buckets) >= l.max {
				return l.allowWhenFull
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Len is the number of keys tracked.
func (l *Limiter[K]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// pruneLocked forgets keys whose bucket is full again. Must hold l.mu.
func (l *Limiter[K]) pruneLocked(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// SourceKey maps an address to the source it counts as: an IPv4 address
// or an IPv6 /64 (one host usually owns a whole /64).
func SourceKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}
