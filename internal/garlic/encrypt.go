package garlic

import (
	"io"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Sending: Encrypt picks the message kind from the state held for the
// remote key, in this order:
//
//  1. Existing Session, when an established session can still send.
//  2. New Session Reply, when the peer's New Session awaits our answer
//     (Bob before Alice's first Existing Session).
//  3. New Session (Alice), bound to our static key.
//
// Handshake crypto runs outside the lock: the state needed is reserved
// (an NSR tag) or only read under it, and the result committed after.

// maxPadding: default padding is 0-15 bytes (ecies.rst, "Parameters").
const maxPadding = 15

// Encrypt encrypts blocks to the destination whose key is to and returns
// the Garlic body. blocks may hold Clove, Options, Padding, Termination,
// AckRequest and Unknown blocks; the engine adds DateTime, NextKey, Ack
// and default padding itself. Termination needs an established session;
// an AckRequest is dropped from a New Session (Reply), which cannot carry
// one (Sent.Kind says which was sent). To an ElGamal key (type 0) it
// sends ElGamal/AES+SessionTags.
func (e *Engine) Encrypt(now time.Time, to Remote, blocks ...Block) (Sent, error) {
	if to.Type == crypto.EncElGamal {
		return e.encryptElGamal(now, to, blocks)
	}
	if !ratchetType(to.Type) || len(to.Key) != keyLen {
		return Sent{}, errorf(ErrNoKey, "encrypt", "type %v key of %d bytes", to.Type, len(to.Key))
	}
	if err := checkUserBlocks(blocks); err != nil {
		return Sent{}, err
	}
	key := [32]byte(to.Key)
	e.mu.Lock()
	p := e.peerLocked(key, to.Type, now, true)
	p.typ = to.Type
	if s := p.cur; s != nil && !s.sendable(now) {
		e.retireLocked(s, now)
	}
	if s := p.cur; s != nil {
		out, err := e.sealESLocked(s, now, blocks)
		e.mu.Unlock()
		return out, err
	}
	if hasTermination(blocks) {
		e.mu.Unlock()
		return Sent{}, errorf(ErrInvalid, "encrypt", "Termination without an established session")
	}
	blocks = withoutAckRequests(blocks)
	if hs := p.replyable(e.limits.Replies); hs != nil {
		return e.sealNSR(now, hs, blocks) // unlocks
	}
	if len(p.bob) > 0 {
		e.mu.Unlock()
		return Sent{}, errorf(ErrLimit, "encrypt", "%d replies sent, waiting for the peer's Existing Session", e.limits.Replies)
	}
	e.mu.Unlock()
	return e.sealNS(now, to.Type, key, blocks)
}

// EncryptOneTime sends blocks in a single unbound New Session (ecies.rst
// "1d) One-time format": 32 zero bytes instead of our static key), which
// keeps no state on either side and cannot be answered.
func (e *Engine) EncryptOneTime(now time.Time, to Remote, blocks ...Block) (Sent, error) {
	if !ratchetType(to.Type) || len(to.Key) != keyLen {
		return Sent{}, errorf(ErrNoKey, "encrypt one-time", "type %v key of %d bytes", to.Type, len(to.Key))
	}
	if err := checkUserBlocks(blocks); err != nil {
		return Sent{}, err
	}
	if hasTermination(blocks) {
		return Sent{}, errorf(ErrInvalid, "encrypt one-time", "Termination")
	}
	payload, err := e.payload(kindNS, now, withoutAckRequests(blocks))
	if err != nil {
		return Sent{}, err
	}
	key := [32]byte(to.Key)
	body, sec, err := sealNS(make([]byte, 0, nsLen(to.Type, len(payload))), to.Type, &key, nil, nil, payload, e.rand)
	if err != nil {
		return Sent{}, err
	}
	sec.st.Zero()
	e.count(e.sent, KindNewSession)
	return Sent{Body: body, Kind: KindNewSession, Type: to.Type}, nil
}

// checkUserBlocks refuses the blocks the engine manages itself.
func checkUserBlocks(blocks []Block) error {
	for _, b := range blocks {
		switch b.(type) {
		case Clove, Options, Padding, Termination, AckRequest, Unknown:
		default:
			return errorf(ErrInvalid, "encrypt", "type %d blocks are the engine's", b.BlockType())
		}
		if err := checkEncodable(b); err != nil {
			return err
		}
	}
	return nil
}

func hasTermination(blocks []Block) bool {
	for _, b := range blocks {
		if _, ok := b.(Termination); ok {
			return true
		}
	}
	return false
}

func withoutAckRequests(blocks []Block) []Block {
	out := blocks[:0:0]
	for _, b := range blocks {
		if _, ok := b.(AckRequest); !ok {
			out = append(out, b)
		}
	}
	return out
}

// payload orders blocks for a message of kind (a DateTime first in a New
// Session, engine blocks before a Termination, padding last, random
// padding if none was given) and encodes them.
func (e *Engine) payload(kind msgKind, now time.Time, blocks []Block, extra ...Block) ([]byte, error) {
	ordered := make([]Block, 0, len(blocks)+len(extra)+2)
	if kind == kindNS {
		ordered = append(ordered, DateTime{Time: now})
	}
	var term, pad Block
	for _, b := range blocks {
		switch b.(type) {
		case Termination:
			term = b
		case Padding:
			pad = b
		default:
			ordered = append(ordered, b)
		}
	}
	ordered = append(ordered, extra...)
	if term != nil {
		ordered = append(ordered, term)
	}
	if pad == nil {
		var n [1]byte
		if _, err := io.ReadFull(orRand(e.rand), n[:]); err != nil {
			return nil, errorf(ErrInvalid, "padding", "%v", err)
		}
		pad = Padding{N: int(n[0]) % (maxPadding + 1)}
	}
	ordered = append(ordered, pad)
	if err := checkOrder(kind, ordered); err != nil {
		return nil, err
	}
	if n := BlocksLen(ordered...); n > MaxPayload {
		return nil, errorf(ErrTooLarge, "encrypt", "payload of %d bytes", n)
	}
	return AppendBlocks(nil, ordered...)
}

func (e *Engine) count(m map[Kind]uint64, k Kind) {
	e.mu.Lock()
	m[k]++
	e.mu.Unlock()
}

// sealESLocked sends an Existing Session message on s.
func (e *Engine) sealESLocked(s *session, now time.Time, blocks []Block) (Sent, error) {
	if s.send.n >= e.ratchetAfter && !s.sr.active {
		// If it cannot start (key IDs used up, no randomness), the tag
		// set runs out and the next message starts a New Session.
		_ = s.startSendRatchet(e.rand)
	}
	var extra []Block
	if len(s.acks) > 0 {
		extra = append(extra, Ack{IDs: s.acks})
	}
	if s.rr.reply != nil {
		extra = append(extra, *s.rr.reply)
	}
	if s.sr.active {
		extra = append(extra, s.sr.forwardKey())
	}
	payload, err := e.payload(kindES, now, blocks, extra...)
	if err != nil {
		return Sent{}, err
	}
	if esFixedLen+len(payload) > maxBody {
		return Sent{}, errorf(ErrTooLarge, "encrypt", "Existing Session of %d bytes", esFixedLen+len(payload))
	}
	n, tag, key, ok := s.send.next()
	if !ok {
		e.retireLocked(s, now)
		return Sent{}, errorf(ErrLimit, "encrypt", "tag set %d used up", s.send.id)
	}
	tb := tagBytes(tag)
	body := make([]byte, 0, esFixedLen+len(payload))
	body = append(body, tb[:]...)
	body = crypto.ChaChaPolySeal(&key, uint64(n), body, payload, tb[:])
	clear(key[:])
	s.acks = nil
	s.lastSend = now
	if hasTermination(blocks) {
		e.retireLocked(s, now)
	}
	e.sent[KindExistingSession]++
	return Sent{Body: body, Kind: KindExistingSession, Type: s.typ, TagSet: s.send.id, N: n}, nil
}

// replyable returns the newest New Session from the peer that may take
// another reply.
func (p *peer) replyable(max int) *bobHS {
	for i := len(p.bob) - 1; i >= 0; i-- {
		if p.bob[i].sent < max {
			return p.bob[i]
		}
	}
	return nil
}

// sealNSR sends a New Session Reply to hs. Called with e.mu held; it
// unlocks.
func (e *Engine) sealNSR(now time.Time, hs *bobHS, blocks []Block) (Sent, error) {
	// Reserve the reply's tag and copy what the crypto needs.
	_, tag, _, _ := hs.nsrTags.next()
	hs.sent++
	t, st, aepk, apk, ek := hs.typ, hs.st, hs.aepk, hs.peer.key, hs.ek
	e.mu.Unlock()

	payload, err := e.payload(kindNSR, now, blocks)
	if err != nil {
		return Sent{}, err
	}
	if nsrLen(t, len(payload)) > maxBody {
		return Sent{}, errorf(ErrTooLarge, "encrypt", "New Session Reply of %d bytes", nsrLen(t, len(payload)))
	}
	body, sp, err := sealNSR(make([]byte, 0, nsrLen(t, len(payload))), t, st, tag, &aepk, &apk, ek, payload, e.rand)
	if err != nil {
		return Sent{}, err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	p := hs.peer
	if e.peers[p.key] != p || !contains(p.bob, hs) {
		return Sent{}, errorf(ErrLimit, "encrypt", "New Session dropped while replying")
	}
	s := newSession(p, t, false, sp.ba, sp.ab, now)
	hs.candidates = append(hs.candidates, s)
	e.extendLocked(s.recv[0], esTags0Min, p)
	e.sent[KindNewSessionReply]++
	return Sent{Body: body, Kind: KindNewSessionReply, Type: t}, nil
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// sealNS sends a bound New Session of type t to key.
func (e *Engine) sealNS(now time.Time, t crypto.EncType, key [32]byte, blocks []Block) (Sent, error) {
	payload, err := e.payload(kindNS, now, blocks)
	if err != nil {
		return Sent{}, err
	}
	if nsLen(t, len(payload)) > maxBody {
		return Sent{}, errorf(ErrTooLarge, "encrypt", "New Session of %d bytes", nsLen(t, len(payload)))
	}
	body, sec, err := sealNS(make([]byte, 0, nsLen(t, len(payload))), t, &key, e.static, &e.pub, payload, e.rand)
	if err != nil {
		return Sent{}, err
	}
	nsr := newRecvTagSet(0, nsrTagChains(&sec.st), nsrTagsMin, nsrTagsMax, now)
	nsr.expires = now.Add(nsrTimeout)

	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.peerLocked(key, t, now, true)
	hs := &aliceHS{peer: p, typ: t, sec: sec, nsr: nsr, created: now}
	nsr.hs = hs
	if len(p.alice) >= e.limits.PendingNS {
		// Keep the first New Session and drop the oldest after it: i2pd
		// 2.45 answers, for two minutes, only the session of the first
		// NS it got from a key (a later one does not replace it), so in
		// a one-way flow of many NS its replies are for that one; Java
		// answers each NS, the newest of which stay.
		drop := min(1, len(p.alice)-1)
		e.releaseLocked(p.alice[drop].nsr)
		p.alice = append(p.alice[:drop], p.alice[drop+1:]...)
	}
	p.alice = append(p.alice, hs)
	e.extendLocked(nsr, nsrTagsMin, p)
	e.sent[KindNewSession]++
	return Sent{Body: body, Kind: KindNewSession, Type: t}, nil
}
