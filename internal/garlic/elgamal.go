package garlic

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/i2np"
)

// ElGamal/AES+SessionTags (docs/how/elgamal-aes.html), for destinations
// that still publish ElGamal keys (i2pd 2.45 lists type 0 after type 4 by
// default). A New Session is a 514-byte ElGamal block (session key,
// pre-IV, padding) and an AES-256-CBC block; an Existing Session is a
// 32-byte session tag the receiver was given earlier and an AES block.
// Sessions are one-way: the sender delivers tags in its AES blocks and
// may use them once the receiver confirms delivery, which takes a
// DeliveryStatus clove in the same message routed back to the sender.
//
// Sending: Encrypt to a Remote of type 0 attaches a batch of new tags
// when the blocks hold a DeliveryStatus clove and few tags are left; the
// clove's message ID is Sent.AckID, and ConfirmDelivery(now, AckID) when that
// DeliveryStatus comes back makes the tags usable. Without confirmed
// tags every message is a New Session (an ElGamal encryption).
//
// Receiving (Config.ElGamal set): tags delivered to us are kept 15
// minutes (Limits.ElGamalTags at most); a New Session's ElGamal block is
// remembered by the New Session replay filter.

const (
	elgBlockLen      = crypto.ElGamalCiphertextLen // 514
	elgTagsPerBatch  = 32                          // i2pd's default for streaming
	elgInTagLife     = 15 * time.Minute
	elgOutTagLife    = 12 * time.Minute // i2pd: 12 of the receiver's 15-16
	elgConfirmWithin = time.Minute
	elgIdle          = 15 * time.Minute
	maxElGamalMsgAge = nsMaxAge
)

// elgamalIn is our inbound ElGamal state; e.mu guards tags.
type elgamalIn struct {
	priv []byte
	tags map[[32]byte]elgTag
	max  int
}

type elgTag struct {
	key     [32]byte
	expires time.Time
}

func newElGamalIn(priv []byte, max int) (*elgamalIn, error) {
	if _, err := crypto.ElGamalPublicKey(priv); err != nil {
		return nil, errorf(ErrInvalid, "ElGamal key", "%v", err)
	}
	return &elgamalIn{priv: append([]byte(nil), priv...), tags: make(map[[32]byte]elgTag), max: max}, nil
}

func (in *elgamalIn) tagCount() int { return len(in.tags) }

func (in *elgamalIn) expire(now time.Time) {
	for t, v := range in.tags {
		if now.After(v.expires) {
			delete(in.tags, t)
		}
	}
}

// elgamalOut is our outbound session to one ElGamal key; e.mu guards it.
type elgamalOut struct {
	pub      []byte
	key      [32]byte
	tags     []elgOutTag // confirmed, unused, oldest first
	pending  map[uint32]elgBatch
	lastUsed time.Time
}

type elgOutTag struct {
	tag     [32]byte
	created time.Time
}

type elgBatch struct {
	tags []elgOutTag
	sent time.Time
}

// expire drops stale tags and unconfirmed batches; it reports whether the
// whole session can go.
func (o *elgamalOut) expire(now time.Time) bool {
	keep := o.tags[:0]
	for _, t := range o.tags {
		if now.Sub(t.created) < elgOutTagLife {
			keep = append(keep, t)
		}
	}
	o.tags = keep
	for id, b := range o.pending {
		if now.Sub(b.sent) > elgConfirmWithin {
			delete(o.pending, id)
		}
	}
	return len(o.tags) == 0 && len(o.pending) == 0 && now.Sub(o.lastUsed) > elgIdle
}

// deliveryStatusID returns the message ID a DeliveryStatus clove among
// blocks acknowledges.
func deliveryStatusID(blocks []Block) (uint32, bool) {
	for _, b := range blocks {
		if c, ok := b.(Clove); ok && c.Header.Type == i2np.TypeDeliveryStatus {
			if ds, err := i2np.ParseDeliveryStatus(c.Payload); err == nil {
				return ds.MsgID, true
			}
		}
	}
	return 0, false
}

// encryptElGamal sends blocks (Garlic Cloves; padding and the rest are
// ignored) to an ElGamal key.
func (e *Engine) encryptElGamal(now time.Time, to Remote, blocks []Block) (Sent, error) {
	const st = "encrypt ElGamal"
	if len(to.Key) != crypto.ElGamalKeyLen {
		return Sent{}, errorf(ErrNoKey, st, "key of %d bytes", len(to.Key))
	}
	var cloves []Clove
	for _, b := range blocks {
		if c, ok := b.(Clove); ok {
			cloves = append(cloves, c)
		}
	}
	var hdr [4 + 8]byte // message ID, random
	if _, err := io.ReadFull(orRand(e.rand), hdr[:4]); err != nil {
		return Sent{}, errorf(ErrInvalid, st, "%v", err)
	}
	payload, err := appendCloveSet(nil, cloves, binary.BigEndian.Uint32(hdr[:4]), now.Add(time.Minute), e.rand)
	if err != nil {
		return Sent{}, err
	}
	ackID, wantAck := deliveryStatusID(blocks)
	pubHash := sha256.Sum256(to.Key)

	e.mu.Lock()
	o := e.elgOut[pubHash]
	if o == nil {
		if len(e.elgOut) >= e.limits.Peers {
			e.evictElGamalLocked()
		}
		o = &elgamalOut{pub: append([]byte(nil), to.Key...), pending: make(map[uint32]elgBatch)}
		if _, err := io.ReadFull(orRand(e.rand), o.key[:]); err != nil {
			e.mu.Unlock()
			return Sent{}, errorf(ErrInvalid, st, "%v", err)
		}
		e.elgOut[pubHash] = o
	}
	o.lastUsed = now
	o.expire(now)
	var tag *[32]byte
	if len(o.tags) > 0 {
		tag = &o.tags[0].tag
		o.tags = o.tags[1:]
	}
	var batch []elgOutTag
	unconfirmed := 0
	for _, b := range o.pending {
		unconfirmed += len(b.tags)
	}
	if wantAck && len(o.tags)+unconfirmed <= elgTagsPerBatch*2/3 {
		if _, dup := o.pending[ackID]; !dup {
			batch = make([]elgOutTag, elgTagsPerBatch)
		}
	}
	key := o.key
	e.mu.Unlock()

	newTags := make([][32]byte, len(batch))
	for i := range batch {
		if _, err := io.ReadFull(orRand(e.rand), newTags[i][:]); err != nil {
			return Sent{}, errorf(ErrInvalid, st, "%v", err)
		}
		batch[i] = elgOutTag{tag: newTags[i], created: now}
	}
	plain, err := appendAESBlock(nil, newTags, payload, e.rand)
	if err != nil {
		return Sent{}, err
	}
	var body []byte
	var iv [32]byte
	kind := KindElGamalExistingSession
	if tag != nil {
		body = append(make([]byte, 0, elgTagLen+len(plain)), tag[:]...)
		iv = sha256.Sum256(tag[:])
	} else {
		kind = KindElGamalNewSession
		var block [crypto.ElGamalMaxData]byte
		copy(block[:32], key[:])
		if _, err := io.ReadFull(orRand(e.rand), block[32:]); err != nil {
			return Sent{}, errorf(ErrInvalid, st, "%v", err)
		}
		iv = sha256.Sum256(block[32:64])
		ct, err := crypto.ElGamalEncrypt(to.Key, block[:], e.rand)
		clear(block[:])
		if err != nil {
			return Sent{}, errorf(ErrNoKey, st, "%v", err)
		}
		body = append(make([]byte, 0, elgBlockLen+len(plain)), ct...)
	}
	if len(body)+len(plain) > maxBody {
		return Sent{}, errorf(ErrTooLarge, st, "%d bytes", len(body)+len(plain))
	}
	p := len(body)
	body = append(body, plain...)
	if err := crypto.AESCBCEncrypt(key[:], iv[:16], body[p:], body[p:]); err != nil {
		return Sent{}, errorf(ErrInvalid, st, "%v", err)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	sent := Sent{Body: body, Kind: kind, Type: crypto.EncElGamal}
	if len(batch) > 0 {
		o.pending[ackID] = elgBatch{tags: batch, sent: now}
		sent.AckID = ackID
	}
	e.sent[kind]++
	return sent, nil
}

// evictElGamalLocked drops the least recently used outbound ElGamal
// session.
func (e *Engine) evictElGamalLocked() {
	var oldest [32]byte
	var at time.Time
	for k, o := range e.elgOut {
		if at.IsZero() || o.lastUsed.Before(at) {
			oldest, at = k, o.lastUsed
		}
	}
	delete(e.elgOut, oldest)
	e.evicted++
}

// ConfirmDelivery reports that the DeliveryStatus with message ID id came
// back: the ElGamal session tags sent with it (Sent.AckID) become usable.
// It reports whether id named such a batch.
func (e *Engine) ConfirmDelivery(now time.Time, id uint32) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, o := range e.elgOut {
		if b, ok := o.pending[id]; ok {
			delete(o.pending, id)
			if now.Sub(b.sent) <= elgConfirmWithin {
				o.tags = append(o.tags, b.tags...)
			}
			return true
		}
	}
	return false
}

// ElGamalWantsTags reports whether a message to the ElGamal key now
// would deliver a new batch of session tags if it held a DeliveryStatus
// clove: few confirmed tags are left and no batch awaits confirmation.
// Callers add the clove only then, sparing a DeliveryStatus round trip
// per message.
func (e *Engine) ElGamalWantsTags(now time.Time, key []byte) bool {
	h := sha256.Sum256(key)
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.elgOut[h]
	if o == nil {
		return true
	}
	n := 0
	for _, t := range o.tags {
		if now.Sub(t.created) < elgOutTagLife {
			n++
		}
	}
	for _, b := range o.pending {
		if now.Sub(b.sent) <= elgConfirmWithin {
			n += len(b.tags)
		}
	}
	return n <= elgTagsPerBatch*2/3
}

// openElGamalES tries body as an ElGamal Existing Session: a session tag
// we were given, then an AES block. handled is false when the first 32
// bytes are no tag of ours.
func (e *Engine) openElGamalES(now time.Time, body []byte) (m *Message, handled bool, err error) {
	if len(body)%16 != 0 || len(body) < elgTagLen+aesBlockMin {
		return nil, false, nil
	}
	tag := [32]byte(body[:elgTagLen])
	e.mu.Lock()
	t, ok := e.elg.tags[tag]
	if ok {
		delete(e.elg.tags, tag)
	}
	e.mu.Unlock()
	if !ok || now.After(t.expires) {
		return nil, false, nil
	}
	iv := sha256.Sum256(tag[:])
	m, err = e.openAESBlock(now, t.key, iv, body[elgTagLen:], KindElGamalExistingSession)
	return m, true, err
}

// openElGamalNS tries body as an ElGamal New Session: an ElGamal block to
// our key (an ElGamal decryption, some milliseconds), then an AES block.
func (e *Engine) openElGamalNS(now time.Time, body []byte) (*Message, error) {
	const st = "open ElGamal New Session"
	if len(body)%16 != 2 || len(body) < elgBlockLen+aesBlockMin {
		return nil, errorf(ErrDecrypt, st, "%d bytes", len(body))
	}
	plain, err := crypto.ElGamalDecrypt(e.elg.priv, body[:elgBlockLen])
	if err != nil || len(plain) < 64 {
		return nil, errorf(ErrDecrypt, st, "ElGamal block: %v", err)
	}
	key := [32]byte(plain[:32])
	iv := sha256.Sum256(plain[32:64])
	clear(plain)
	h := sha256.Sum256(body[:elgBlockLen])
	if e.nsFilter.Seen(binary.LittleEndian.Uint64(h[:8]), now) {
		return nil, e.replay(errorf(ErrReplay, st, "ElGamal block seen before"))
	}
	return e.openAESBlock(now, key, iv, body[elgBlockLen:], KindElGamalNewSession)
}

// openAESBlock decrypts and parses an AES block, keeps the tags it
// delivers and returns its cloves.
func (e *Engine) openAESBlock(now time.Time, key, iv [32]byte, ct []byte, kind Kind) (*Message, error) {
	const st = "open AES block"
	plain := make([]byte, len(ct))
	if err := crypto.AESCBCDecrypt(key[:], iv[:16], plain, ct); err != nil {
		return nil, errorf(ErrDecrypt, st, "%v", err)
	}
	tags, payload, err := parseAESBlock(plain)
	if err != nil {
		return nil, errorf(ErrDecrypt, st, "%v", err) // a wrong key reads as garbage
	}
	cloves, _, exp, err := parseCloveSet(payload)
	if err != nil {
		return nil, err
	}
	if now.Sub(exp) > maxElGamalMsgAge {
		return nil, e.replay(errorf(ErrReplay, st, "expired %v ago", now.Sub(exp).Round(time.Second)))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := 0; i+elgTagLen <= len(tags) && len(e.elg.tags) < e.elg.max; i += elgTagLen {
		e.elg.tags[[32]byte(tags[i:i+elgTagLen])] = elgTag{key: key, expires: now.Add(elgInTagLife)}
	}
	e.received[kind]++
	m := &Message{Kind: kind, Type: crypto.EncElGamal, Cloves: cloves}
	for _, c := range cloves {
		m.Blocks = append(m.Blocks, c)
	}
	return m, nil
}
