package reseed

import (
	"sync"
	"time"
)

// limiter is a token bucket per key (a requester's address), with a cap
// on the keys it tracks. The zero value is not usable; see newLimiter.
type limiter struct {
	rate  float64 // tokens per second
	burst float64
	max   int // keys tracked at most

	mu      sync.Mutex // guards buckets
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(perSecond float64, burst, max int) *limiter {
	return &limiter{rate: perSecond, burst: float64(burst), max: max, buckets: make(map[string]*bucket)}
}

// allow takes a token from key's bucket. When the table is full, buckets
// that have refilled (they hold no state worth keeping) are dropped; if
// that frees nothing, new keys are refused until it does.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.pruneLocked(now)
			if len(l.buckets) >= l.max {
				return false
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

// pruneLocked drops the buckets that are full again. Must hold l.mu.
func (l *limiter) pruneLocked(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
