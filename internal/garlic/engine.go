package garlic

import (
	"container/list"
	"fmt"
	"io"
	"sync"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/noise"
	"github.com/veil-i2p/veil/internal/replay"
)

// Config sets up an Engine for one local destination.
type Config struct {
	// Static is the destination's X25519 private key: the key its
	// LeaseSet2 publishes for type 4 and, the same key, for the hybrid
	// types it lists.
	Static [32]byte
	// Types are the ratchet types accepted in incoming New Sessions, in
	// the order they are tried: any of 4 (X25519) and 5, 6, 7 (ML-KEM
	// hybrids). Empty means {4}. Outgoing sessions use whatever type the
	// remote's key has (Remote.Type).
	Types []crypto.EncType
	// ElGamal is the destination's ElGamal private key (256 bytes) if it
	// publishes one, to receive ElGamal/AES+SessionTags; nil: none.
	// Sending to ElGamal destinations needs no key of ours.
	ElGamal []byte
	// Rand is the randomness for keys and padding; nil: crypto/rand.
	Rand io.Reader
	// RatchetAfter is how many messages a tag set carries before we
	// start a DH ratchet (ecies.rst: "Send next key at tag: 4096"). Zero
	// means 4096.
	RatchetAfter int
	Limits       Limits
}

// Limits bound what remote input can make an Engine hold. Zero fields
// take the defaults in brackets.
type Limits struct {
	// Peers is the most remote static keys with state [4096]. A new one
	// past it evicts the least recently active peer, preferring one
	// without an established session.
	Peers int
	// Tags is the most inbound ratchet tags held across all sessions
	// [1<<18, about 12 MiB]; past it the least recently active peers are
	// evicted.
	Tags int
	// PendingNS is the most of our New Sessions to one peer awaiting a
	// reply [8]; another drops the oldest.
	PendingNS int
	// InboundNS is the most New Sessions from one peer held for replies
	// [4]: the newest unanswered one and those we answered; past it the
	// oldest goes.
	InboundNS int
	// Replies is the most New Session Replies sent to one New Session
	// [12, the NSR tag set's size]; past it Encrypt fails with ErrLimit
	// until the peer's first Existing Session arrives.
	Replies int
	// OneTimeKeys is the most one-time keys held (AddOneTimeKey) [4096].
	OneTimeKeys int
	// ElGamalTags is the most ElGamal session tags held [1<<16].
	ElGamalTags int
}

func (l *Limits) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.Peers, 4096)
	def(&l.Tags, 1<<18)
	def(&l.PendingNS, 8)
	def(&l.InboundNS, 4)
	def(&l.Replies, nsrTagsMax)
	l.Replies = min(l.Replies, nsrTagsMax)
	def(&l.OneTimeKeys, 4096)
	def(&l.ElGamalTags, 1<<16)
}

// Remote is the far end's encryption key as its LeaseSet publishes it.
type Remote struct {
	Type crypto.EncType // 4, 5, 6, 7, or 0 for ElGamal
	Key  []byte         // 32 bytes, or 256 for ElGamal
}

// Kind is what a garlic message turned out to be.
type Kind uint8

// Message kinds.
const (
	KindNewSession             Kind = iota + 1 // ratchet NS (bound or not)
	KindNewSessionReply                        // ratchet NSR
	KindExistingSession                        // ratchet ES
	KindOneTime                                // ES format under a key from AddOneTimeKey
	KindElGamalNewSession                      // ElGamal block + AES block
	KindElGamalExistingSession                 // session tag + AES block
)

func (k Kind) String() string {
	switch k {
	case KindNewSession:
		return "NS"
	case KindNewSessionReply:
		return "NSR"
	case KindExistingSession:
		return "ES"
	case KindOneTime:
		return "one-time"
	case KindElGamalNewSession:
		return "ElGamal NS"
	case KindElGamalExistingSession:
		return "ElGamal ES"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Sent is an encrypted message.
type Sent struct {
	// Body is the Garlic message body (what follows its 4-byte length;
	// i2np.Garlic{Body: Body}).
	Body []byte
	Kind Kind
	Type crypto.EncType
	// TagSet and N name an Existing Session message, as an Ack of it
	// will (ratchet only).
	TagSet, N uint16
	// AckID is, for ElGamal messages that delivered new session tags, the
	// DeliveryStatus message ID that confirms them (ConfirmDelivery).
	AckID uint32
}

// Message is a decrypted message.
type Message struct {
	Kind Kind
	Type crypto.EncType
	// From is the sender's static key when the message is bound to one
	// (Bound): a bound New Session, its replies and the sessions they
	// establish. ElGamal and one-time messages are never bound.
	From  [32]byte
	Bound bool
	// Blocks are all payload blocks as parsed (aliasing the body's
	// decrypted copy); Cloves are its Garlic Clove blocks in order.
	Blocks []Block
	Cloves []Clove
	// Acks lists our Existing Session messages the sender acknowledged.
	Acks []AckID
	// Terminated: the sender ended the session.
	Terminated bool
	// NeedsReply: the ratchet layer owes the sender a message (after a
	// New Session or its Reply, an Ack Request or a NextKey). If the
	// application sends nothing to From within about a second, send an
	// Encrypt with no blocks (ecies.rst, "Ratchet-layer Responses").
	NeedsReply bool
	// TagSet and N name an Existing Session message.
	TagSet, N uint16
}

// Stats are counters since the Engine was made.
type Stats struct {
	Peers, Tags, OneTimeKeys, ElGamalTags int
	Received, Sent                        map[Kind]uint64
	Dropped                               uint64 // messages that did not decrypt or parse
	Replayed                              uint64 // New Sessions seen before or out of the time window
	Evicted                               uint64 // peers dropped to stay within Limits
}

// Engine holds the garlic sessions of one local destination. Its methods
// are safe for concurrent use: one mutex guards all state, and the costly
// handshake crypto runs outside it. It starts no goroutines; time is
// passed in, and Expire must be called now and then (every few seconds to
// a minute) to drop timed-out state.
type Engine struct {
	// Read-only after New.
	static       *crypto.X25519Key
	pub          [32]byte
	types        []crypto.EncType
	inits        map[crypto.EncType]noise.SymmetricState
	rand         io.Reader
	ratchetAfter int
	limits       Limits
	nsFilter     *replay.Filter // NS replay filter, its own lock
	elg          *elgamalIn     // nil without an ElGamal key

	mu       sync.Mutex
	peers    map[[32]byte]*peer
	lru      list.List // of *peer, most recently active first
	tags     map[uint64]tagRef
	oneTime  map[uint64]oneTimeKey
	elgOut   map[[32]byte]*elgamalOut // by SHA-256 of the remote ElGamal key
	received map[Kind]uint64
	sent     map[Kind]uint64
	dropped  uint64
	replayed uint64
	evicted  uint64
}

// tagRef locates a tag: message number n of an inbound tag set.
type tagRef struct {
	ts *recvTagSet
	n  int
}

// New returns an Engine for cfg.
func New(cfg Config) (*Engine, error) {
	types := cfg.Types
	if len(types) == 0 {
		types = []crypto.EncType{crypto.EncX25519}
	}
	pub, err := crypto.X25519Public(cfg.Static[:])
	if err != nil {
		return nil, fmt.Errorf("garlic: static key: %w", err)
	}
	e := &Engine{
		static: crypto.NewX25519Key(&cfg.Static), pub: pub,
		types: append([]crypto.EncType(nil), types...), inits: make(map[crypto.EncType]noise.SymmetricState),
		rand: cfg.Rand, ratchetAfter: cfg.RatchetAfter, limits: cfg.Limits,
		nsFilter: replay.NewFilter(nsMaxAge+nsMaxFuture, 1<<16),
		peers:    make(map[[32]byte]*peer), tags: make(map[uint64]tagRef), oneTime: make(map[uint64]oneTimeKey),
		elgOut: make(map[[32]byte]*elgamalOut), received: make(map[Kind]uint64), sent: make(map[Kind]uint64),
	}
	if e.ratchetAfter <= 0 {
		e.ratchetAfter = 4096
	}
	e.ratchetAfter = min(e.ratchetAfter, maxTagIndex)
	e.limits.defaults()
	for _, t := range e.types {
		if !ratchetType(t) {
			return nil, fmt.Errorf("garlic: type %v is not a ratchet type", t)
		}
		e.inits[t] = initState(t, &pub)
	}
	if cfg.ElGamal != nil {
		if e.elg, err = newElGamalIn(cfg.ElGamal, e.limits.ElGamalTags); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// PublicKey is the X25519 public key to publish (for type 4 and each
// hybrid type accepted).
func (e *Engine) PublicKey() [32]byte { return e.pub }

// Types are the ratchet types accepted, in trial order.
func (e *Engine) Types() []crypto.EncType { return append([]crypto.EncType(nil), e.types...) }

// maxBody is the largest Garlic body: an I2NP payload holds its 4-byte
// length and the body.
const maxBody = i2np.MaxPayloadLen - 4

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Stats{Peers: len(e.peers), Tags: len(e.tags), OneTimeKeys: len(e.oneTime),
		Received: make(map[Kind]uint64), Sent: make(map[Kind]uint64),
		Dropped: e.dropped, Replayed: e.replayed, Evicted: e.evicted}
	for k, v := range e.received {
		s.Received[k] = v
	}
	for k, v := range e.sent {
		s.Sent[k] = v
	}
	if e.elg != nil {
		s.ElGamalTags = e.elg.tagCount()
	}
	return s
}

// RemoteFor picks the key of ls to encrypt to: the first, in the
// LeaseSet's order of preference, of a type this package sends to (the
// ratchet types 4-7, and ElGamal if elgamal). This is how the ML-KEM
// hybrid is negotiated: a LeaseSet listing type 6 before 4 gets a hybrid
// New Session, one listing 4 (i2pd 2.45) plain X25519.
func RemoteFor(ls *data.LeaseSet2, elgamal bool) (Remote, bool) {
	for _, k := range ls.Keys {
		if ratchetType(k.Type) && len(k.Key) == keyLen || elgamal && k.Type == crypto.EncElGamal && len(k.Key) == crypto.ElGamalKeyLen {
			return Remote{Type: k.Type, Key: k.Key}, true
		}
	}
	return Remote{}, false
}
