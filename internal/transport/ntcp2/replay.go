package ntcp2

import (
	"sync"
	"time"
)

// replayCache remembers the ephemeral keys X of accepted SessionRequests
// so a captured message 1 cannot be replayed ("SessionRequest", notes:
// a cache of handshake values with a lifetime of at least 2*D, D the
// allowed clock skew). Entries expire after ttl; past cap the oldest entry
// is forgotten early (and counted), which only shortens protection for
// the oldest keys rather than refusing new handshakes.
//
// The zero value is not usable; use newReplayCache. Safe for concurrent
// use.
type replayCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	cap     int
	seen    map[[keyLen]byte]time.Time
	order   []replayEntry // insertion order = expiry order
	head    int
	evicted uint64
}

type replayEntry struct {
	key [keyLen]byte
	exp time.Time
}

func newReplayCache(ttl time.Duration, cap int) *replayCache {
	return &replayCache{ttl: ttl, cap: cap, seen: make(map[[keyLen]byte]time.Time)}
}

// check records key at now and reports whether it was new (not a replay).
func (c *replayCache) check(key *[keyLen]byte, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expireLocked(now)
	if exp, ok := c.seen[*key]; ok && now.Before(exp) {
		return false
	}
	for len(c.seen) >= c.cap && c.head < len(c.order) {
		delete(c.seen, c.order[c.head].key)
		c.order[c.head] = replayEntry{}
		c.head++
		c.evicted++
	}
	exp := now.Add(c.ttl)
	c.seen[*key] = exp
	c.order = append(c.order, replayEntry{*key, exp})
	return true
}

// expireLocked drops expired entries from the front and compacts the
// queue once half of it is dead. Must hold c.mu.
func (c *replayCache) expireLocked(now time.Time) {
	for c.head < len(c.order) && !now.Before(c.order[c.head].exp) {
		delete(c.seen, c.order[c.head].key)
		c.order[c.head] = replayEntry{}
		c.head++
	}
	if c.head > 64 && c.head*2 > len(c.order) {
		c.order = append(c.order[:0], c.order[c.head:]...)
		c.head = 0
	}
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
