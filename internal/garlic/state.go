package garlic

import (
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Engine state upkeep: the peer table with its LRU order, the inbound tag
// table, eviction to stay within Limits, and expiry. Every function here
// must be called with e.mu held.

// lruScan is how far from the least recently active end eviction looks
// for a peer without an established session before taking the last one.
const lruScan = 32

// replaceAfter: a New Session from a peer we have an established session
// with replaces it only if the session is older than this (ecies.rst,
// "Replace session if NS received after: 3 minutes"); younger, it is a
// late copy of the handshake.
const replaceAfter = 3 * time.Minute

// maxOldSessions bounds the retired sessions kept receiving per peer.
const maxOldSessions = 2

// peerLocked returns the peer for key, creating it (and evicting to make
// room) if create. It marks the peer active.
func (e *Engine) peerLocked(key [32]byte, t crypto.EncType, now time.Time, create bool) *peer {
	p := e.peers[key]
	if p == nil {
		if !create {
			return nil
		}
		for len(e.peers) >= e.limits.Peers && e.evictLocked(nil) {
		}
		p = &peer{key: key, typ: t}
		p.lru = e.lru.PushFront(p)
		e.peers[key] = p
	}
	p.lastActive = now
	e.lru.MoveToFront(p.lru)
	return p
}

// evictLocked drops one peer other than keep, preferring the least
// recently active one without an established session.
func (e *Engine) evictLocked(keep *peer) bool {
	var victim *peer
	i := 0
	for el := e.lru.Back(); el != nil && i < lruScan; el, i = el.Prev(), i+1 {
		p := el.Value.(*peer)
		if p == keep {
			continue
		}
		if victim == nil {
			victim = p
		}
		if p.cur == nil {
			victim = p
			break
		}
	}
	if victim == nil {
		return false
	}
	e.dropPeerLocked(victim)
	e.evicted++
	return true
}

// dropPeerLocked forgets a peer and everything it holds.
func (e *Engine) dropPeerLocked(p *peer) {
	for _, hs := range p.alice {
		e.releaseLocked(hs.nsr)
	}
	for _, hs := range p.bob {
		e.dropBobHSLocked(hs)
	}
	if p.cur != nil {
		e.dropSessionLocked(p.cur)
	}
	for _, s := range p.old {
		e.dropSessionLocked(s)
	}
	*p = peer{key: p.key, lru: p.lru}
	e.lru.Remove(p.lru)
	delete(e.peers, p.key)
}

func (e *Engine) dropSessionLocked(s *session) {
	for _, ts := range s.recv {
		e.releaseLocked(ts)
	}
	s.recv = nil
	s.send.zero()
}

func (e *Engine) dropBobHSLocked(hs *bobHS) {
	for _, s := range hs.candidates {
		if !s.confirmed {
			e.dropSessionLocked(s)
		}
	}
	hs.candidates = nil
	hs.st.Zero()
	hs.nsrTags.zero()
}

// releaseLocked removes a tag set's tags from the table.
func (e *Engine) releaseLocked(ts *recvTagSet) {
	ts.release(func(tag uint64, n int) { e.dropTagLocked(ts, tag, n) })
}

func (e *Engine) dropTagLocked(ts *recvTagSet, tag uint64, n int) {
	if r, ok := e.tags[tag]; ok && r.ts == ts && r.n == n {
		delete(e.tags, tag)
	}
}

func (e *Engine) addTagLocked(ts *recvTagSet, tag uint64, n int) {
	if len(e.tags) >= e.limits.Tags {
		return // the window has a hole; the message under it is lost
	}
	if _, dup := e.tags[tag]; !dup {
		e.tags[tag] = tagRef{ts: ts, n: n}
	}
}

// roomLocked evicts peers other than keep until need more tags fit.
func (e *Engine) roomLocked(need int, keep *peer) {
	for len(e.tags)+need > e.limits.Tags && e.evictLocked(keep) {
	}
}

// extendLocked fills ts's window up to message number until.
func (e *Engine) extendLocked(ts *recvTagSet, until int, keep *peer) {
	e.roomLocked(until-ts.nextIndex(), keep)
	ts.extend(until, func(tag uint64, n int) { e.addTagLocked(ts, tag, n) })
}

// consumeLocked takes tag (message n of ts) out of the table and moves
// ts's window.
func (e *Engine) consumeLocked(ts *recvTagSet, tag uint64, n int, now time.Time, keep *peer) {
	delete(e.tags, tag)
	e.roomLocked(ts.lookahead(n), keep)
	ts.consume(n, now,
		func(t uint64, i int) { e.addTagLocked(ts, t, i) },
		func(t uint64, i int) { e.dropTagLocked(ts, t, i) })
}

// retireLocked stops sending on s; it keeps receiving for a while so
// that messages already in flight still open.
func (e *Engine) retireLocked(s *session, now time.Time) {
	p := s.peer
	if p.cur == s {
		p.cur = nil
	}
	if !s.retired.IsZero() {
		return
	}
	s.retired = now
	for _, ts := range s.recv {
		if ts.expires.IsZero() || ts.expires.After(now.Add(previousTagSets)) {
			ts.expires = now.Add(previousTagSets)
		}
	}
	p.old = append(p.old, s)
	if len(p.old) > maxOldSessions {
		e.dropSessionLocked(p.old[0])
		p.old = p.old[1:]
	}
}

// Expire drops what has timed out at now: unanswered handshakes (3
// minutes), superseded and idle tag sets, sessions idle in both
// directions, peers left with nothing, expired one-time keys and ElGamal
// tags. Call it periodically.
func (e *Engine) Expire(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range e.peers {
		e.expirePeerLocked(p, now)
		if p.cur == nil && len(p.old) == 0 && len(p.alice) == 0 && len(p.bob) == 0 {
			e.dropPeerLocked(p)
		}
	}
	for tag, k := range e.oneTime {
		if now.After(k.expires) {
			delete(e.oneTime, tag)
		}
	}
	if e.elg != nil {
		e.elg.expire(now)
	}
	for key, o := range e.elgOut {
		if o.expire(now) {
			delete(e.elgOut, key)
		}
	}
}

func (e *Engine) expirePeerLocked(p *peer, now time.Time) {
	keepA := p.alice[:0]
	for _, hs := range p.alice {
		if now.Sub(hs.created) > nsrTimeout {
			e.releaseLocked(hs.nsr)
			continue
		}
		keepA = append(keepA, hs)
	}
	clear(p.alice[len(keepA):])
	p.alice = keepA
	keepB := p.bob[:0]
	for _, hs := range p.bob {
		if now.Sub(hs.created) > nsrTimeout {
			e.dropBobHSLocked(hs)
			continue
		}
		keepB = append(keepB, hs)
	}
	clear(p.bob[len(keepB):])
	p.bob = keepB
	if s := p.cur; s != nil {
		e.expireTagSetsLocked(s, now)
		if now.Sub(s.lastRecv) > recvIdle && now.Sub(s.lastSend) > sendIdle {
			e.dropSessionLocked(s)
			p.cur = nil
		}
	}
	keepO := p.old[:0]
	for _, s := range p.old {
		if e.expireTagSetsLocked(s, now); len(s.recv) == 0 {
			e.dropSessionLocked(s)
			continue
		}
		keepO = append(keepO, s)
	}
	clear(p.old[len(keepO):])
	p.old = keepO
}

// expireTagSetsLocked drops s's inbound tag sets past their expiry or
// idle too long (the newest stays while the session lives).
func (e *Engine) expireTagSetsLocked(s *session, now time.Time) {
	keep := s.recv[:0]
	for i, ts := range s.recv {
		newest := i == len(s.recv)-1 && s.retired.IsZero()
		if !ts.expires.IsZero() && now.After(ts.expires) || !newest && now.Sub(ts.last) > recvIdle {
			e.releaseLocked(ts)
			continue
		}
		keep = append(keep, ts)
	}
	clear(s.recv[len(keep):])
	s.recv = keep
}

// SessionInfo describes the state with one remote static key.
type SessionInfo struct {
	Remote [32]byte
	// Established: a session is ready to send Existing Session messages.
	Established bool
	// Type is the ratchet type of the established session: 4, or the
	// ML-KEM hybrid its handshake used (5, 6, 7).
	Type crypto.EncType
	// Initiator: we sent the New Session of the established session.
	Initiator bool
	// SendTagSet, RecvTagSet: IDs of the current tag sets (they grow with
	// each DH ratchet); SendN: messages sent on the outbound one.
	SendTagSet, RecvTagSet uint16
	SendN                  int
	// PendingNS: our New Sessions awaiting a reply; PendingReplies: their
	// New Sessions we may still answer; Retired: old sessions still
	// receiving.
	PendingNS, PendingReplies, Retired int
}

// Session reports on the state held for a remote static key.
func (e *Engine) Session(remote [32]byte) (SessionInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.peers[remote]
	if p == nil {
		return SessionInfo{}, false
	}
	info := SessionInfo{Remote: remote, PendingNS: len(p.alice), PendingReplies: len(p.bob), Retired: len(p.old)}
	if s := p.cur; s != nil {
		info.Established, info.Type, info.Initiator = true, s.typ, s.initiator
		info.SendTagSet, info.SendN = s.send.id, s.send.n
		if len(s.recv) > 0 {
			info.RecvTagSet = s.recv[len(s.recv)-1].id
		}
	}
	return info, true
}

// Forget drops all state for a remote static key, as after a
// Termination or when the application closes the connection.
func (e *Engine) Forget(remote [32]byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.peers[remote]; p != nil {
		e.dropPeerLocked(p)
	}
}
