package ntcp2

import (
	"net/netip"
	"sync"
	"time"
)

// rateLimiter is a per-source token bucket for inbound handshakes: rate
// tokens per second up to burst. Sources are IPv4 addresses or IPv6 /64
// prefixes (one host usually owns a whole /64). At most max sources are
// tracked; when full, sources whose bucket has refilled are forgotten
// first, and if none has, the new source is let through untracked: the
// cap on concurrent handshakes still bounds the damage.
//
// Safe for concurrent use.
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	max     int
	buckets map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst, max int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), max: max, buckets: make(map[netip.Addr]*bucket)}
}

// rateKey maps an address to its bucket key.
func rateKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// allow takes one token for a's source at now.
func (l *rateLimiter) allow(a netip.Addr, now time.Time) bool {
	if l.rate <= 0 {
		return true
	}
	k := rateKey(a)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[k]
	if !ok {
		if len(l.buckets) >= l.max {
			l.sweepLocked(now)
			if len(l.buckets) >= l.max {
				return true
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[k] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweepLocked forgets sources whose bucket is full again. Must hold l.mu.
func (l *rateLimiter) sweepLocked(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
