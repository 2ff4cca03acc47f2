package garlic

import (
	"container/list"
	"crypto/ecdh"
	"io"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/noise"
)

// Sessions with one remote static key (a peer). Alice's New Sessions wait
// in aliceHS, Bob's received ones in bobHS with the sessions each of his
// replies created (candidates, until Alice's first Existing Session picks
// one). An established session holds our outbound tag set, the inbound
// tag sets still listened on, and the DH ratchet in each direction
// (ecies.rst, "4a) DH Ratchet"). Everything here is guarded by the
// engine's lock.

// peer is everything we hold for one remote static key.
type peer struct {
	key        [32]byte
	typ        crypto.EncType // type to use for our next New Session
	cur        *session       // established, used for sending
	old        []*session     // retired, still receiving until they expire
	alice      []*aliceHS     // our New Sessions awaiting a reply, oldest first
	bob        []*bobHS       // their New Sessions awaiting our reply, oldest first
	lastActive time.Time
	lru        *list.Element
}

// aliceHS is a New Session we sent: its secrets and its NSR tag set.
type aliceHS struct {
	peer    *peer
	typ     crypto.EncType
	sec     *nsSecrets
	nsr     *recvTagSet
	created time.Time
}

// bobHS is a New Session we received and may answer with replies; each
// reply creates a candidate session.
type bobHS struct {
	peer       *peer
	typ        crypto.EncType
	st         noise.SymmetricState // after the NS payload
	aepk       [32]byte
	ek         []byte     // ML-KEM encapsulation key (hybrid)
	nsrTags    sendTagSet // tags of our replies
	sent       int        // replies sent
	created    time.Time
	candidates []*session
}

// sendRatchet is our side of the DH ratchet as tag sender (ecies.rst,
// "DH RATCHET MESSAGE FLOW"): while active, every message carries a
// forward NextKey until the receiver's reverse NextKey arrives.
type sendRatchet struct {
	active    bool
	keyID     int // our key ID, -1 before the first
	newKey    bool
	requested bool // the current forward key asks for a reverse key
	priv      *ecdh.PrivateKey
	pub       [32]byte
	remoteID  int // the receiver's key ID, -1 before the first
	remote    [32]byte
}

// recvRatchet is our side as tag receiver: we answer each new forward
// NextKey with a reverse one, repeated until a message arrives on the
// tag set it created.
type recvRatchet struct {
	keyID    int // our key ID, -1 before the first
	priv     *ecdh.PrivateKey
	pub      [32]byte
	remoteID int // the sender's key ID, -1 before the first
	remote   [32]byte
	lastReq  bool // request flag of the last forward key handled
	reply    *NextKey
	replyTS  uint16 // tag set the reply created
}

// maxPendingAcks bounds the acknowledgements queued for our next message.
const maxPendingAcks = 64

// session is one established (or, for Bob, candidate) pair of tag sets.
type session struct {
	peer      *peer
	typ       crypto.EncType
	initiator bool // we sent the New Session
	confirmed bool // Alice: at once; Bob: once an ES arrived on recv
	send      sendTagSet
	recv      []*recvTagSet // newest last
	sr        sendRatchet
	rr        recvRatchet
	acks      []AckID
	created   time.Time
	lastSend  time.Time
	lastRecv  time.Time
	retired   time.Time // zero while current
}

func newSession(p *peer, t crypto.EncType, initiator bool, send, recv chains, now time.Time) *session {
	s := &session{peer: p, typ: t, initiator: initiator, confirmed: initiator,
		send: sendTagSet{chains: send}, created: now, lastSend: now, lastRecv: now}
	s.sr.keyID, s.sr.remoteID, s.rr.keyID, s.rr.remoteID = -1, -1, -1, -1
	s.recv = []*recvTagSet{newRecvTagSet(0, recv, esTags0Min, esTagsMax, now)}
	s.recv[0].sess = s
	return s
}

// sendable reports whether the session can carry one more message now:
// its tag set is not used up and the receiver still holds it (ecies.rst,
// "ES tagset timeout: 8 minutes for sender").
func (s *session) sendable(now time.Time) bool {
	return s.confirmed && s.retired.IsZero() && s.send.n <= maxTagIndex && now.Sub(s.lastSend) <= sendIdle
}

// newRatchetKey draws a fresh X25519 key pair for a NextKey block.
func newRatchetKey(rand io.Reader) (*ecdh.PrivateKey, [32]byte, error) {
	var seed [32]byte
	defer clear(seed[:])
	if _, err := io.ReadFull(orRand(rand), seed[:]); err != nil {
		return nil, [32]byte{}, errorf(ErrInvalid, "ratchet key", "%v", err)
	}
	k, err := ecdh.X25519().NewPrivateKey(seed[:])
	if err != nil {
		return nil, [32]byte{}, errorf(ErrInvalid, "ratchet key", "%v", err)
	}
	return k, [32]byte(k.PublicKey().Bytes()), nil
}

// ratchetTagSetKey is HKDF(DH(priv, pub), "", "XDHRatchetTagSet", 32).
func ratchetTagSetKey(priv *ecdh.PrivateKey, pub *[32]byte) ([32]byte, bool) {
	k := elligatorKey{priv: priv}
	ss, err := k.dh(pub[:])
	if err != nil {
		return [32]byte{}, false
	}
	defer clear(ss)
	return hkdf32((*[32]byte)(ss), nil, infoXDHTagSet), true
}

// startSendRatchet begins a NextKey exchange for our outbound direction:
// a new key for even tag sets, a request for the receiver's new key for
// odd ones (the table in "KEY AND TAG SET IDS").
func (s *session) startSendRatchet(rand io.Reader) error {
	r := &s.sr
	if r.keyID >= maxKeyID || int(s.send.id)+2 > maxTagSetID {
		return errorf(ErrLimit, "ratchet", "key IDs used up")
	}
	if r.keyID < 0 || !r.newKey || r.keyID == 0 {
		priv, pub, err := newRatchetKey(rand)
		if err != nil {
			return err
		}
		r.keyID++
		r.newKey, r.priv, r.pub = true, priv, pub
	} else {
		r.newKey = false
	}
	r.requested = !r.newKey || r.keyID == 0
	r.active = true
	return nil
}

// forwardKey is the NextKey block of an active exchange.
func (r *sendRatchet) forwardKey() NextKey {
	return NextKey{KeyID: uint16(r.keyID), HasKey: r.newKey, Key: r.pub, RequestReverse: r.requested}
}

// reverseKey handles the receiver's answer: with the expected key ID it
// completes the exchange and replaces the outbound tag set. Anything else
// (a repeat after completion, a stale ID) is ignored.
func (s *session) reverseKey(k NextKey) {
	r := &s.sr
	if !r.active {
		return
	}
	want := r.remoteID
	if r.requested {
		want++
	}
	if int(k.KeyID) != want || r.requested != k.HasKey || want < 0 {
		// A reverse key carries a key exactly when we requested one.
		// Without this a late copy of the previous answer (same key ID,
		// key present) would complete an exchange whose forward key the
		// receiver has not seen yet, and our next messages would use a
		// tag set it does not know.
		return
	}
	if k.HasKey {
		r.remote = k.Key
	}
	tsKey, ok := ratchetTagSetKey(r.priv, &r.remote)
	if !ok {
		return
	}
	r.remoteID = want
	id := 1 + r.keyID + r.remoteID
	s.send = sendTagSet{id: uint16(id), chains: dhInitialize(&s.send.nextRoot, &tsKey)}
	clear(tsKey[:])
	r.active = false
}

// forwardKey handles the sender's NextKey that arrived on tag set ts: a
// new inbound tag set, and a reverse key to send back. It returns the new
// tag set, nil if the block was a repeat or out of sequence.
func (s *session) forwardKeyIn(k NextKey, ts *recvTagSet, now time.Time, rand io.Reader) (*recvTagSet, error) {
	r := &s.rr
	if r.remoteID >= 0 && int(k.KeyID) == r.remoteID && k.RequestReverse == r.lastReq && (k.HasKey == false || k.Key == r.remote) {
		return nil, nil // the sender repeats it until our reply arrives
	}
	if r.reply != nil {
		return nil, nil // the sender has not used our last reply yet
	}
	switch {
	case k.HasKey && int(k.KeyID) == r.remoteID+1:
	case !k.HasKey && k.RequestReverse && int(k.KeyID) == r.remoteID && r.remoteID >= 0:
	default:
		return nil, nil
	}
	if !k.RequestReverse && r.keyID < 0 {
		return nil, nil // nothing of ours to pair with
	}
	if k.RequestReverse && r.keyID >= maxKeyID {
		return nil, nil
	}
	newKey := k.RequestReverse
	priv, pub := r.priv, r.pub
	if newKey {
		var err error
		if priv, pub, err = newRatchetKey(rand); err != nil {
			return nil, err
		}
	}
	remote := r.remote
	if k.HasKey {
		remote = k.Key
	}
	tsKey, ok := ratchetTagSetKey(priv, &remote)
	if !ok {
		return nil, nil
	}
	keyID := r.keyID
	if newKey {
		keyID++
	}
	id := 1 + int(k.KeyID) + keyID
	if id > maxTagSetID {
		return nil, nil
	}
	r.keyID, r.priv, r.pub, r.remote, r.remoteID, r.lastReq = keyID, priv, pub, remote, int(k.KeyID), k.RequestReverse
	next := newRecvTagSet(uint16(id), dhInitialize(&ts.nextRoot, &tsKey), esTagsNextMin, esTagsMax, now)
	next.sess = s
	clear(tsKey[:])
	r.reply = &NextKey{Reverse: true, KeyID: uint16(keyID), HasKey: newKey, Key: pub}
	r.replyTS = uint16(id)
	return next, nil
}
