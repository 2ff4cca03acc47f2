package ssu2

import (
	"net/netip"
	"sync"
	"time"
)

// tokenTable holds SSU2 tokens by remote endpoint ("Tokens"): a token is
// bound to the peer's IP and port (so also to IPv4 or IPv6), is used once
// and expires. Bob keeps the tokens he issued (in Retry and New Token
// blocks) to check Session Requests; Alice keeps the ones she received,
// to skip the Token Request next time. Only the last token per endpoint
// counts.
//
// Past max entries, expired ones go first, then the one closest to
// expiry: a forgotten token only costs its peer one Retry. Safe for
// concurrent use; the zero value is not usable, see newTokenTable.
type tokenTable struct {
	mu  sync.Mutex
	max int
	m   map[netip.AddrPort]tokenEntry
}

type tokenEntry struct {
	token   uint64
	expires time.Time
}

func newTokenTable(max int) *tokenTable {
	return &tokenTable{max: max, m: make(map[netip.AddrPort]tokenEntry)}
}

// put stores token for ap until expires, replacing any earlier one.
func (t *tokenTable) put(ap netip.AddrPort, token uint64, expires time.Time, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[ap]; !ok && len(t.m) >= t.max {
		t.evictLocked(now)
	}
	t.m[ap] = tokenEntry{token, expires}
}

// evictLocked makes room for one entry. Must hold t.mu.
func (t *tokenTable) evictLocked(now time.Time) {
	var victim netip.AddrPort
	var soonest time.Time
	for ap, e := range t.m {
		if !now.Before(e.expires) {
			delete(t.m, ap)
			continue
		}
		if soonest.IsZero() || e.expires.Before(soonest) {
			victim, soonest = ap, e.expires
		}
	}
	if len(t.m) >= t.max {
		delete(t.m, victim)
	}
}

// use reports whether token is the valid token for ap and, if so,
// consumes it (single use).
func (t *tokenTable) use(ap netip.AddrPort, token uint64, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[ap]
	if !ok || token == 0 || e.token != token || !now.Before(e.expires) {
		return false
	}
	delete(t.m, ap)
	return true
}

// take returns and removes the token for ap if it is valid for at least
// margin more.
func (t *tokenTable) take(ap netip.AddrPort, now time.Time, margin time.Duration) (uint64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[ap]
	if !ok {
		return 0, false
	}
	delete(t.m, ap)
	if !now.Add(margin).Before(e.expires) {
		return 0, false
	}
	return e.token, true
}

// expire drops expired tokens.
func (t *tokenTable) expire(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for ap, e := range t.m {
		if !now.Before(e.expires) {
			delete(t.m, ap)
		}
	}
}

func (t *tokenTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
