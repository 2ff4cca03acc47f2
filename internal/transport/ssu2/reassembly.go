package ssu2

import (
	"time"

	"github.com/veil-i2p/veil/internal/transport"
)

// reassembler puts fragmented I2NP messages back together ("First
// Fragment", "Follow-on Fragment"). Fragments come in any order; the
// first carries the message's header, the last says it is last, and the
// message is complete when fragments 0..last are all in.
//
// Bounds, so a peer cannot make us hold memory: at most maxIncomplete
// messages and maxIncompleteBytes in all (the oldest message goes when
// either would be passed), fragment numbers below maxFragments, messages
// of at most maxMessageSize bytes, and incompleteTimeout after a
// message's latest fragment. Owned by the session's goroutine; the zero
// value is ready to use.
type reassembler struct {
	msgs  map[uint32]*partial
	bytes int
}

type partial struct {
	hdr      transport.Message // type, id, expiration (id from any fragment)
	hasFirst bool
	frags    [maxFragments][]byte
	have     int
	maxHeld  int // highest fragment number held
	last     int // -1 until the last fragment arrived
	size     int
	touched  time.Time
}

// first adds a First Fragment (m's payload is the part, aliasing the
// packet) and returns the message if it is now complete.
func (r *reassembler) first(m transport.Message, now time.Time) *transport.Message {
	p := r.get(m.ID, now)
	if p.hasFirst {
		return nil
	}
	p.hdr = transport.Message{Type: m.Type, ID: m.ID, Expiration: m.Expiration}
	p.hasFirst = true
	return r.add(p, 0, m.Payload, false, now)
}

// followOn adds a Follow-on Fragment and returns the message if it is now
// complete.
func (r *reassembler) followOn(f followOn, now time.Time) *transport.Message {
	if f.num >= maxFragments {
		return nil
	}
	return r.add(r.get(f.msgID, now), f.num, f.part, f.last, now)
}

// get returns the partial message id, making room for a new one.
func (r *reassembler) get(id uint32, now time.Time) *partial {
	if p := r.msgs[id]; p != nil {
		return p
	}
	if r.msgs == nil {
		r.msgs = make(map[uint32]*partial)
	}
	for len(r.msgs) >= maxIncomplete {
		r.dropOldest()
	}
	p := &partial{hdr: transport.Message{ID: id}, maxHeld: -1, last: -1, touched: now}
	r.msgs[id] = p
	return p
}

// add stores fragment num of p. A fragment that contradicts the others
// (a second "last", one past the last) or makes the message too large
// gives the whole message up.
func (r *reassembler) add(p *partial, num int, part []byte, last bool, now time.Time) *transport.Message {
	switch {
	case p.frags[num] != nil:
		return nil // a duplicate
	case last && (p.last >= 0 || p.maxHeld > num),
		p.last >= 0 && num > p.last,
		p.size+len(part) > maxMessageSize:
		r.drop(p)
		return nil
	}
	for r.bytes+len(part) > maxIncompleteBytes && len(r.msgs) > 1 {
		r.dropOldest()
		if r.msgs[p.hdr.ID] != p {
			return nil // it was the oldest
		}
	}
	p.frags[num] = append([]byte(nil), part...)
	p.have++
	p.maxHeld = max(p.maxHeld, num)
	p.size += len(part)
	r.bytes += len(part)
	p.touched = now
	if last {
		p.last = num
	}
	if !p.hasFirst || p.last < 0 || p.have != p.last+1 {
		return nil
	}
	body := make([]byte, 0, p.size)
	for _, f := range p.frags[:p.last+1] {
		body = append(body, f...)
	}
	m := p.hdr
	m.Payload = body
	r.drop(p)
	return &m
}

func (r *reassembler) drop(p *partial) {
	if r.msgs[p.hdr.ID] == p {
		delete(r.msgs, p.hdr.ID)
		r.bytes -= p.size
	}
}

func (r *reassembler) dropOldest() {
	var old *partial
	for _, p := range r.msgs {
		if old == nil || p.touched.Before(old.touched) {
			old = p
		}
	}
	if old != nil {
		r.drop(old)
	}
}

// expire drops messages whose latest fragment is incompleteTimeout old.
func (r *reassembler) expire(now time.Time) {
	for _, p := range r.msgs {
		if now.Sub(p.touched) >= incompleteTimeout {
			r.drop(p)
		}
	}
}

// nextExpiry is when expire next has work, or zero.
func (r *reassembler) nextExpiry() time.Time {
	var t time.Time
	for _, p := range r.msgs {
		if at := p.touched.Add(incompleteTimeout); t.IsZero() || at.Before(t) {
			t = at
		}
	}
	return t
}

// recentIDs remembers the last maxRecentIDs message ids delivered, to drop
// duplicates. Owned by the session's goroutine; the zero value is ready.
type recentIDs struct {
	set  map[uint32]struct{}
	ring [maxRecentIDs]uint32
	n    int
}

// seen reports whether id was delivered recently and records it.
func (r *recentIDs) seen(id uint32) bool {
	if r.has(id) {
		return true
	}
	if r.set == nil {
		r.set = make(map[uint32]struct{}, maxRecentIDs)
	}
	slot := r.n % maxRecentIDs
	if r.n >= maxRecentIDs {
		delete(r.set, r.ring[slot])
	}
	r.ring[slot] = id
	r.set[id] = struct{}{}
	r.n++
	return false
}

func (r *recentIDs) has(id uint32) bool {
	_, ok := r.set[id]
	return ok
}
