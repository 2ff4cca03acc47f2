package garlic

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// Tag sets (ecies.rst, "4) Ratchets"): each direction of a session draws
// 8-byte session tags and 32-byte message keys from two hash chains that
// both ends run in step. DH_INITIALIZE seeds a tag set from a root key
// and a DH-derived key; the session tag ratchet (SessionTagKeyGen) and
// the symmetric key ratchet (SymmetricRatchet) then advance once per
// message. The sender keeps only the chain heads; the receiver keeps a
// window of tags it expects (the look-ahead) in the engine's tag table and
// the keys of tags it skipped.

// KDF labels (ecies.rst).
const (
	infoDHRatchetStep = "KDFDHRatchetStep"
	infoTagAndKeyGen  = "TagAndKeyGenKeys"
	infoSTInit        = "STInitialization"
	infoTagGen        = "SessionTagKeyGen"
	infoSymmRatchet   = "SymmetricRatchet"
	infoXDHTagSet     = "XDHRatchetTagSet"
	infoReplyTags     = "SessionReplyTags"
	infoAttachPayload = "AttachPayloadKDF"
)

// Tag set sizes and timeouts (ecies.rst, "Parameters"). A tag set holds
// message numbers 0 … maxTagIndex: i2pd stops there (a 16-bit N with
// 65535 kept back), and veil's sender does too.
const (
	maxTagIndex   = 65533
	maxTagSetID   = 65535
	nsrTagsMin    = 12 // NSR tag set: tsmin = tsmax = 12
	nsrTagsMax    = 12
	esTags0Min    = 24 // ES tag set 0: tsmin 24, tsmax 160
	esTagsMax     = 160
	esTagsNextMin = 160 // ES tag sets 1+: 160, 160

	nsrTimeout      = 3 * time.Minute  // NSR tag set, receiver
	sendIdle        = 8 * time.Minute  // ES tag set, sender
	recvIdle        = 10 * time.Minute // ES tag set, receiver
	previousTagSets = 3 * time.Minute  // keep a superseded inbound tag set
)

// hkdf2 is HKDF(salt, ikm, info, 64) (RFC 5869 with HMAC-SHA256) split
// into its two halves. Every KDF of the ratchet has a 32-byte salt, at
// most 32 bytes of input and a short label, so it is written out here on
// fixed buffers: the tag and key chains run it twice per message, and
// crypto.HKDF allocates a dozen times per call. hkdf_test.go checks it
// against crypto.HKDF.
func hkdf2(salt *[32]byte, ikm []byte, info string) (a, b [32]byte) {
	prk := hmac32(salt, ikm, nil, nil)
	a = hmac32(&prk, nil, []byte(info), []byte{1})
	b = hmac32(&prk, a[:], []byte(info), []byte{2})
	clear(prk[:])
	return a, b
}

// hkdf32 is HKDF(salt, ikm, info, 32).
func hkdf32(salt *[32]byte, ikm []byte, info string) [32]byte {
	prk := hmac32(salt, ikm, nil, nil)
	k := hmac32(&prk, nil, []byte(info), []byte{1})
	clear(prk[:])
	return k
}

// hmacMax is the most message hmac32 takes: T(1) || info || counter.
const hmacMax = 32 + 32 + 1

// hmac32 is HMAC-SHA256 with a 32-byte key over x || y || z (at most
// hmacMax bytes in all; the callers above stay within it).
func hmac32(key *[32]byte, x, y, z []byte) [32]byte {
	var in [sha256.BlockSize + hmacMax]byte
	for i := range sha256.BlockSize {
		in[i] = 0x36
		if i < len(key) {
			in[i] ^= key[i]
		}
	}
	n := sha256.BlockSize
	n += copy(in[n:], x)
	n += copy(in[n:], y)
	n += copy(in[n:], z)
	var out [sha256.BlockSize + sha256.Size]byte
	for i := range sha256.BlockSize {
		out[i] = 0x5c
		if i < len(key) {
			out[i] ^= key[i]
		}
	}
	inner := sha256.Sum256(in[:n])
	copy(out[sha256.BlockSize:], inner[:])
	sum := sha256.Sum256(out[:])
	clear(in[:])
	clear(out[:])
	return sum
}

// chains is a freshly initialized tag set: the next root key for the
// following DH ratchet in this direction, and the heads of the tag and
// key chains.
type chains struct {
	nextRoot [32]byte
	tagCK    [32]byte
	tagConst [32]byte
	keyCK    [32]byte
}

// dhInitialize is DH_INITIALIZE(rootKey, k) followed by the session tag
// ratchet's initialization (ecies.rst, "DH INITIALIZATION KDF", "4b)").
func dhInitialize(rootKey, k *[32]byte) chains {
	var c chains
	var ck [32]byte
	c.nextRoot, ck = hkdf2(rootKey, k[:], infoDHRatchetStep)
	sessTagCK, symmKeyCK := hkdf2(&ck, nil, infoTagAndKeyGen)
	c.tagCK, c.tagConst = hkdf2(&sessTagCK, nil, infoSTInit)
	c.keyCK = symmKeyCK
	clear(ck[:])
	clear(sessTagCK[:])
	return c
}

// nextTag advances the tag chain: tag_n = HKDF(ck, CONSTANT,
// "SessionTagKeyGen", 64)[32:40]. Tags are kept as the little-endian
// uint64 of their 8 wire bytes.
func (c *chains) nextTag() uint64 {
	ck, out := hkdf2(&c.tagCK, c.tagConst[:], infoTagGen)
	c.tagCK = ck
	return binary.LittleEndian.Uint64(out[:8])
}

// nextKey advances the key chain: k_n = HKDF(ck, "", "SymmetricRatchet",
// 64)[32:64].
func (c *chains) nextKey() [32]byte {
	ck, k := hkdf2(&c.keyCK, nil, infoSymmRatchet)
	c.keyCK = ck
	return k
}

func (c *chains) zero() { *c = chains{} }

// tagBytes is a tag's wire form.
func tagBytes(t uint64) [8]byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], t)
	return b
}

// sendTagSet is our outbound tag set: the next message number and the
// chain heads. Not safe for concurrent use; the engine's lock guards it.
type sendTagSet struct {
	id uint16
	chains
	n int // next message number
}

// next returns the number, tag and key of the next message, or false when
// the tag set is used up.
func (s *sendTagSet) next() (n uint16, tag uint64, key [32]byte, ok bool) {
	if s.n > maxTagIndex {
		return 0, 0, key, false
	}
	n = uint16(s.n)
	s.n++
	return n, s.nextTag(), s.nextKey(), true
}

// recvTagSet is an inbound tag set. Its tags for message numbers lo …
// lo+len(window)-1 may be in the engine's tag table (those already
// received are not); keys derived ahead of the message that needs them
// wait in skipped. The look-ahead follows the spec: after message N,
// tags up to N + min(max, min + N/4) exist and those below
// N - min(max, min + N/4)/2 are dropped.
//
// (veil keeps tags up to tsmax behind the highest message instead of the
// spec's half look-ahead: tunnels reorder, and half of min(160, 24 + N/4)
// loses messages overtaken by a dozen others early in a tag set; i2pd
// keeps 800.)
//
// A recvTagSet belongs to one session (or, for an NSR tag set, one
// pending New Session); the engine's lock guards it.
type recvTagSet struct {
	id       uint16
	sess     *session // owner of an ES tag set
	hs       *aliceHS // owner of an NSR tag set
	minAhead int      // tsmin
	maxAhead int      // tsmax
	chains
	lo      int      // message number of window[0]
	window  []uint64 // tags generated, by message number - lo
	nextKey int      // message number of the next key of the key chain
	skipped map[int][32]byte
	high    int // highest message number received, -1 before any
	// expires is when the tag set is dropped: set when it is superseded
	// or created with a fixed lifetime (NSR); zero means "while the
	// session lives", which idle timeouts decide.
	expires time.Time
	last    time.Time // last message received, or creation
}

func newRecvTagSet(id uint16, c chains, minAhead, maxAhead int, now time.Time) *recvTagSet {
	return &recvTagSet{id: id, chains: c, minAhead: minAhead, maxAhead: maxAhead, high: -1, last: now}
}

// lookahead is min(tsmax, tsmin + N/4) after message N.
func (ts *recvTagSet) lookahead(n int) int {
	return min(ts.maxAhead, ts.minAhead+n/4)
}

// nextIndex is the message number of the next tag to generate.
func (ts *recvTagSet) nextIndex() int { return ts.lo + len(ts.window) }

// extend generates tags up to (not including) message number until and
// returns them with their numbers through add.
func (ts *recvTagSet) extend(until int, add func(tag uint64, n int)) {
	until = min(until, maxTagIndex+1)
	for n := ts.nextIndex(); n < until; n++ {
		t := ts.nextTag()
		ts.window = append(ts.window, t)
		add(t, n)
	}
}

// key returns the key of message n, deriving keys up to it; keys of the
// messages it skips are kept in skipped. The key of n stays there too
// until consume, so a forged message under a genuine tag costs nothing.
// ok is false for a message number whose key is gone.
func (ts *recvTagSet) key(n int) (k [32]byte, ok bool) {
	if n < ts.nextKey {
		k, ok = ts.skipped[n]
		return k, ok
	}
	if ts.skipped == nil {
		ts.skipped = make(map[int][32]byte)
	}
	for ts.nextKey <= n {
		ts.skipped[ts.nextKey] = ts.chains.nextKey()
		ts.nextKey++
	}
	return ts.skipped[n], true
}

// consume records that message n arrived at now: its key is dropped, the
// window moves (trim reports the tags that fall out behind, extend the
// new ones ahead).
func (ts *recvTagSet) consume(n int, now time.Time, add func(tag uint64, n int), drop func(tag uint64, n int)) {
	if k, ok := ts.skipped[n]; ok {
		clear(k[:])
		delete(ts.skipped, n)
	}
	ts.last = now
	if n <= ts.high {
		return
	}
	ts.high = n
	ts.trim(n-ts.maxAhead, drop)
	ts.extend(n+1+ts.lookahead(n), add)
}

// trim drops the tags and keys of message numbers below lo. It never moves
// past the tags generated: the tag chain must stay in step with lo.
// (Keys exist only for message numbers at or above the lowest received,
// so deleting as the window moves catches them all.)
func (ts *recvTagSet) trim(lo int, drop func(tag uint64, n int)) {
	for ts.lo < lo && len(ts.window) > 0 {
		drop(ts.window[0], ts.lo)
		ts.window = ts.window[1:]
		delete(ts.skipped, ts.lo)
		ts.lo++
	}
}

// release drops every tag and key, for a tag set being deleted.
func (ts *recvTagSet) release(drop func(tag uint64, n int)) {
	for i, t := range ts.window {
		drop(t, ts.lo+i)
	}
	ts.window = nil
	for n, k := range ts.skipped {
		clear(k[:])
		delete(ts.skipped, n)
	}
	ts.zero()
}
