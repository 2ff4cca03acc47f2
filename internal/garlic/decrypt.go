package garlic

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Receiving (ecies.rst, "Classification"; with ElGamal, "X25519 Shared
// with ElGamal/AES+SessionTags"): look the first 8 bytes up as a ratchet
// tag (an Existing Session, a New Session Reply or a one-time key); then,
// for an ElGamal destination, the first 32 bytes as an ElGamal session
// tag when the length is a multiple of 16, and an ElGamal block when it
// is 2 more; else try a New Session.

// Decrypt decrypts a Garlic body (the bytes after its 4-byte length)
// received at now. Every failure is an error and leaves the state as it
// was, except that a New Session's ephemeral key, once seen, is refused
// again (replay).
func (e *Engine) Decrypt(now time.Time, body []byte) (*Message, error) {
	m, err := e.decrypt(now, body)
	if err != nil {
		e.mu.Lock()
		e.dropped++
		e.mu.Unlock()
	}
	return m, err
}

func (e *Engine) decrypt(now time.Time, body []byte) (*Message, error) {
	if len(body) > maxBody {
		return nil, errorf(ErrTooLarge, "decrypt", "%d bytes", len(body))
	}
	if len(body) >= esFixedLen {
		tag := binary.LittleEndian.Uint64(body[:tagLen])
		e.mu.Lock()
		if ref, ok := e.tags[tag]; ok {
			if ref.ts.hs != nil {
				return e.openNSR(now, body, tag, ref) // unlocks
			}
			m, err := e.openESLocked(now, body, tag, ref)
			e.mu.Unlock()
			return m, err
		}
		if k, ok := e.oneTime[tag]; ok {
			m, err := e.openOneTimeLocked(now, body, tag, k)
			e.mu.Unlock()
			return m, err
		}
		e.mu.Unlock()
	}
	if e.elg != nil {
		if m, ok, err := e.openElGamalES(now, body); ok {
			return m, err
		}
	}
	if len(body) < nsFixedLen+blockHeaderLen+4 { // a New Session holds a DateTime
		return nil, errorf(ErrDecrypt, "decrypt", "unknown tag, %d bytes", len(body))
	}
	m, err := e.openNS(now, body)
	if e.elg != nil && errors.Is(err, ErrDecrypt) && len(body)%16 == 2 {
		// Ratchet first: it costs one X25519 to rule out, ElGamal a
		// 2048-bit exponentiation.
		return e.openElGamalNS(now, body)
	}
	return m, err
}

// openESLocked opens an Existing Session message under ref.
func (e *Engine) openESLocked(now time.Time, body []byte, tag uint64, ref tagRef) (*Message, error) {
	ts, n := ref.ts, ref.n
	key, ok := ts.key(n)
	if !ok {
		return nil, errorf(ErrDecrypt, "open Existing Session", "no key for message %d", n)
	}
	plain, err := crypto.ChaChaPolyOpen(&key, uint64(n), nil, body[tagLen:], body[:tagLen])
	if err != nil {
		return nil, errorf(ErrDecrypt, "open Existing Session", "tag set %d message %d: %v", ts.id, n, err)
	}
	s := ts.sess
	p := s.peer
	// Authentic: the tag is used up whatever the payload holds.
	e.consumeLocked(ts, tag, n, now, p)
	e.peerLocked(p.key, p.typ, now, false)
	blocks, err := ParseBlocks(plain)
	if err == nil {
		err = checkOrder(kindES, blocks)
	}
	if err != nil {
		return nil, err
	}
	if !s.confirmed {
		e.confirmLocked(s, now)
	}
	s.lastRecv = now
	if s.rr.reply != nil && ts.id == s.rr.replyTS {
		// The sender uses the tag set our reverse key made: the ratchet
		// step is complete, and the tag sets before it are kept only for
		// messages still in flight.
		s.rr.reply = nil
		for _, old := range s.recv {
			if old != ts && old.expires.IsZero() {
				old.expires = now.Add(previousTagSets)
			}
		}
	}
	m := &Message{Kind: KindExistingSession, Type: s.typ, From: p.key, Bound: true, Blocks: blocks, TagSet: ts.id, N: uint16(n)}
	for _, b := range blocks {
		switch v := b.(type) {
		case Clove:
			m.Cloves = append(m.Cloves, v)
		case Ack:
			m.Acks = append(m.Acks, v.IDs...)
		case AckRequest:
			if len(s.acks) < maxPendingAcks {
				s.acks = append(s.acks, AckID{TagSet: ts.id, N: uint16(n)})
			}
			m.NeedsReply = true
		case NextKey:
			if v.Reverse {
				s.reverseKey(v)
				continue
			}
			next, err := s.forwardKeyIn(v, ts, now, e.rand)
			if err != nil {
				return nil, err
			}
			if next != nil {
				e.addRecvTagSetLocked(s, next)
			}
			if s.rr.reply != nil {
				m.NeedsReply = true
			}
		case Termination:
			m.Terminated = true
		}
	}
	if m.Terminated {
		e.retireLocked(s, now)
	}
	e.received[KindExistingSession]++
	return m, nil
}

// maxRecvTagSets bounds the inbound tag sets of one session: the current
// one, the one before it, and any expiring.
const maxRecvTagSets = 4

// addRecvTagSetLocked starts listening on a tag set made by a NextKey.
// The one it supersedes stays until the sender uses the new one (see
// openESLocked), then a few minutes more.
func (e *Engine) addRecvTagSetLocked(s *session, next *recvTagSet) {
	if len(s.recv) >= maxRecvTagSets {
		e.releaseLocked(s.recv[0])
		s.recv = append(s.recv[:0], s.recv[1:]...)
	}
	s.recv = append(s.recv, next)
	e.extendLocked(next, next.minAhead, s.peer)
}

// confirmLocked makes Bob's candidate session s the peer's session: the
// first Existing Session from Alice arrived on it. The other candidates
// and the handshakes are dropped (ecies.rst, "1g) Notes").
func (e *Engine) confirmLocked(s *session, now time.Time) {
	p := s.peer
	s.confirmed = true
	if p.cur != nil && p.cur != s {
		e.retireLocked(p.cur, now)
	}
	p.cur = s
	for _, hs := range p.bob {
		e.dropBobHSLocked(hs)
	}
	clear(p.bob)
	p.bob = p.bob[:0]
}

// openNSR opens a New Session Reply to one of our New Sessions. Called
// with e.mu held; it unlocks.
func (e *Engine) openNSR(now time.Time, body []byte, tag uint64, ref tagRef) (*Message, error) {
	hs := ref.ts.hs
	t, sec := hs.typ, hs.sec
	e.mu.Unlock()

	payload, sp, err := openNSR(body, t, sec, e.static)
	if err != nil {
		return nil, err
	}
	blocks, err := ParseBlocks(payload)
	if err == nil {
		err = checkOrder(kindNSR, blocks)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.tags[tag]; !ok || r != ref {
		return nil, errorf(ErrReplay, "open New Session Reply", "tag already used")
	}
	p := hs.peer
	e.consumeLocked(ref.ts, tag, ref.n, now, p)
	if err != nil {
		return nil, err
	}
	if e.peers[p.key] == p {
		e.peerLocked(p.key, p.typ, now, false)
		if p.cur == nil {
			// The first reply establishes; later ones (to this or another
			// of our New Sessions) only bring their payload.
			s := newSession(p, t, true, sp.ab, sp.ba, now)
			p.cur = s
			e.extendLocked(s.recv[0], esTags0Min, p)
		}
	}
	e.received[KindNewSessionReply]++
	return &Message{Kind: KindNewSessionReply, Type: t, From: p.key, Bound: true, Blocks: blocks,
		Cloves: cloves(blocks), NeedsReply: true}, nil
}

// openNS opens a New Session to us.
func (e *Engine) openNS(now time.Time, body []byte) (*Message, error) {
	in, err := openNS(body, e.static, e.types, e.inits)
	if err != nil {
		return nil, err
	}
	blocks, err := ParseBlocks(in.payload)
	if err == nil {
		err = checkOrder(kindNS, blocks)
	}
	if err != nil {
		return nil, err
	}
	at := blocks[0].(DateTime).Time
	if at.Before(now.Add(-nsMaxAge)) || at.After(now.Add(nsMaxFuture)) {
		return nil, e.replay(errorf(ErrReplay, "open New Session", "DateTime %v is %v from our clock", at.UTC(), at.Sub(now).Round(time.Second)))
	}
	h := sha256.Sum256(in.aepk[:])
	if e.nsFilter.Seen(binary.LittleEndian.Uint64(h[:8]), now) {
		return nil, e.replay(errorf(ErrReplay, "open New Session", "ephemeral key seen before"))
	}
	m := &Message{Kind: KindNewSession, Type: in.typ, From: in.remote, Bound: in.bound, Blocks: blocks,
		Cloves: cloves(blocks), NeedsReply: in.bound}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.received[KindNewSession]++
	if !in.bound {
		return m, nil
	}
	p := e.peerLocked(in.remote, in.typ, now, true)
	if p.cur != nil && now.Sub(p.cur.created) < replaceAfter {
		// A late copy of the handshake that made the current session:
		// deliver it, keep nothing.
		m.NeedsReply = false
		return m, nil
	}
	if p.cur != nil {
		e.retireLocked(p.cur, now) // the peer started over
	}
	hs := &bobHS{peer: p, typ: in.typ, st: in.st, aepk: in.aepk, ek: in.ek, created: now}
	hs.nsrTags.chains = nsrTagChains(&in.st)
	// Any of Alice's New Sessions will do for replies, so this one
	// replaces those not answered yet; those answered stay, as Alice may
	// have taken one of their replies.
	keep := p.bob[:0]
	for _, old := range p.bob {
		if old.sent == 0 {
			e.dropBobHSLocked(old)
			continue
		}
		keep = append(keep, old)
	}
	clear(p.bob[len(keep):])
	p.bob = keep
	if len(p.bob) >= e.limits.InboundNS {
		e.dropBobHSLocked(p.bob[0])
		p.bob = append(p.bob[:0], p.bob[1:]...)
	}
	p.bob = append(p.bob, hs)
	return m, nil
}

func (e *Engine) replay(err error) error {
	e.mu.Lock()
	e.replayed++
	e.mu.Unlock()
	return err
}

func cloves(blocks []Block) []Clove {
	var out []Clove
	for _, b := range blocks {
		if c, ok := b.(Clove); ok {
			out = append(out, c)
		}
	}
	return out
}
