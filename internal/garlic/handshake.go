package garlic

import (
	"crypto/subtle"
	"io"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/noise"
)

// The New Session / New Session Reply handshake (ecies.rst, "1f) KDFs for
// New Session Message", "1g) New Session Reply format"; ecies-hybrid.rst
// for types 5-7): Noise IK with Elligator2-encoded ephemerals, an NSR tag
// mixed into the hash, and for the hybrid types an ML-KEM encapsulation
// key in the NS (after es, n = 0) and its ciphertext in the NSR (after
// ee, n = 0, then MixKey of the KEM secret). The functions here are pure:
// the engine snapshots what they need under its lock and runs them
// outside it.
//
//	NS:  e(32, Elligator2) [AEAD(encap key)] AEAD(static key or 32 zeros) AEAD(payload)
//	NSR: tag(8) e(32, Elligator2) [AEAD(KEM ciphertext)] AEAD("") AEAD(payload)

// Noise protocol names, hashed into the initial state. The ratchet's
// intro calls it Noise_IKelg2_…; the KDF section's name, with +hs2, is
// the one both implementations hash.
const nameX25519 = "Noise_IKelg2+hs2_25519_ChaChaPoly_SHA256"

// Fixed sizes of the handshake messages, payload excluded.
const (
	tagLen      = 8
	keyLen      = 32
	macLen      = crypto.ChaChaPolyOverhead
	nsFixedLen  = keyLen + keyLen + macLen + macLen // 96
	nsrFixedLen = tagLen + keyLen + macLen + macLen // 72
	esFixedLen  = tagLen + macLen                   // 24
)

// Accepted New Session clock skew (ecies.rst, "Parameters": -5 to +2
// minutes). A New Session dated up to 2 minutes ahead stays acceptable for
// 7 minutes, so the replay filter remembers for at least that long.
const (
	nsMaxAge    = 5 * time.Minute
	nsMaxFuture = 2 * time.Minute
)

// protocolName is the Noise name of a ratchet type (4, 5, 6, 7).
func protocolName(t crypto.EncType) string {
	switch t {
	case crypto.EncMLKEM512X25519:
		return "Noise_IKhfselg2_25519+MLKEM512_ChaChaPoly_SHA256"
	case crypto.EncMLKEM768X25519:
		return "Noise_IKhfselg2_25519+MLKEM768_ChaChaPoly_SHA256"
	case crypto.EncMLKEM1024X25519:
		return "Noise_IKhfselg2_25519+MLKEM1024_ChaChaPoly_SHA256"
	}
	return nameX25519
}

// ratchetType reports whether t is one of the ratchet types 4-7.
func ratchetType(t crypto.EncType) bool {
	return t == crypto.EncX25519 || isHybrid(t)
}

func isHybrid(t crypto.EncType) bool { _, ok := crypto.MLKEMLevelOf(t); return ok }

// kemSizes: the ML-KEM encapsulation key and ciphertext of a type, 0 for
// X25519.
func kemSizes(t crypto.EncType) (ek, ct int) {
	l, ok := crypto.MLKEMLevelOf(t)
	if !ok {
		return 0, 0
	}
	return l.EncapsulationKeyLen(), l.CiphertextLen()
}

// nsLen and nsrLen are the sizes of the handshake messages of a type.
func nsLen(t crypto.EncType, payload int) int {
	ek, _ := kemSizes(t)
	if ek > 0 {
		ek += macLen
	}
	return nsFixedLen + ek + payload
}

func nsrLen(t crypto.EncType, payload int) int {
	_, ct := kemSizes(t)
	if ct > 0 {
		ct += macLen
	}
	return nsrFixedLen + ct + payload
}

// initState is the state after "KDF for Initial ChainKey" and MixHash of
// the responder's static key; it depends only on that key and the type,
// so each engine computes it once per type for its own key.
func initState(t crypto.EncType, bpk *[32]byte) noise.SymmetricState {
	var s noise.SymmetricState
	s.InitXK(protocolName(t), bpk[:])
	return s
}

// mixDH returns MixKey for the result of a DH the caller computed with
// whichever key object it holds (so that each key's scalar
// multiplication is paid once): mixDH(s)(key.dh(pub)). The secret is
// wiped.
func mixDH(s *noise.SymmetricState) func(ss []byte, err error) error {
	return func(ss []byte, err error) error {
		if err != nil {
			return err
		}
		s.MixKey(ss)
		clear(ss)
		return nil
	}
}

// nsSecrets is what Alice keeps of a New Session to read the replies.
type nsSecrets struct {
	st  noise.SymmetricState // after the payload section
	eph elligatorKey
	dk  []byte // ML-KEM decapsulation key (seed) for the hybrid types
}

// sealNS appends a New Session message of type t to Bob's key bpk, bound
// to our static key (static, pub) or, with static nil, unbound (32 zero
// bytes, Noise N: the payload is then sealed with the es key, n = 1).
func sealNS(dst []byte, t crypto.EncType, bpk *[32]byte, static *crypto.X25519Key, pub *[32]byte,
	payload []byte, rand io.Reader) ([]byte, *nsSecrets, error) {
	const st = "seal New Session"
	eph, err := generateElligatorKey(rand)
	if err != nil {
		return dst, nil, err
	}
	sec := &nsSecrets{st: initState(t, bpk), eph: eph}
	s := &sec.st
	s.MixHash(eph.pub[:])
	if err := mixDH(s)(eph.dh(bpk[:])); err != nil { // es
		return dst, nil, errorf(ErrNoKey, st, "remote key: %v", err)
	}
	dst = append(dst, eph.rep[:]...)
	if l, ok := crypto.MLKEMLevelOf(t); ok { // e1
		dk, ek, err := l.GenerateKey(rand)
		if err != nil {
			return dst, nil, errorf(ErrInvalid, st, "%v", err)
		}
		sec.dk = dk
		dst = s.EncryptAndHash(dst, ek)
	}
	var fs [32]byte
	if static != nil {
		fs = *pub
	}
	dst = s.EncryptAndHash(dst, fs[:]) // s
	if static != nil {
		if err := mixDH(s)(static.DH(bpk[:])); err != nil { // ss
			return dst, nil, errorf(ErrNoKey, st, "remote key: %v", err)
		}
	}
	dst = s.EncryptAndHash(dst, payload)
	return dst, sec, nil
}

// nsIn is a New Session Bob has opened.
type nsIn struct {
	typ     crypto.EncType
	st      noise.SymmetricState // after the payload section
	aepk    [32]byte             // Alice's ephemeral key (the replay key)
	remote  [32]byte             // Alice's static key; zero if unbound
	bound   bool
	ek      []byte // ML-KEM encapsulation key (hybrid)
	payload []byte
}

// openNS opens a New Session to our static key with the first of types
// that fits (ecies-hybrid.rst, "Shared Tunnels": try the hybrid type when
// the message is long enough, then X25519). inits holds initState for
// each type. The es DH is shared by every attempt.
func openNS(body []byte, static *crypto.X25519Key, types []crypto.EncType, inits map[crypto.EncType]noise.SymmetricState) (*nsIn, error) {
	const st = "open New Session"
	if len(body) < nsFixedLen {
		return nil, errorf(ErrTruncated, st, "%d bytes", len(body))
	}
	aepk, ok := elligatorDecode((*[32]byte)(body[:32]))
	if !ok {
		return nil, errorf(ErrDecrypt, st, "ephemeral key out of range")
	}
	es, err := static.DH(aepk[:])
	if err != nil {
		return nil, errorf(ErrDecrypt, st, "ephemeral key: %v", err)
	}
	defer clear(es)
	for _, t := range types {
		ekLen, _ := kemSizes(t)
		if len(body) < nsLen(t, 0) {
			continue
		}
		in := &nsIn{typ: t, st: inits[t], aepk: aepk}
		s := &in.st
		s.MixHash(aepk[:])
		s.MixKey(es)
		off := keyLen
		if ekLen > 0 {
			ek, err := s.DecryptAndHash(nil, body[off:off+ekLen+macLen])
			if err != nil {
				continue
			}
			in.ek = ek
			off += ekLen + macLen
		}
		fs, err := s.DecryptAndHash(nil, body[off:off+keyLen+macLen])
		if err != nil {
			continue
		}
		off += keyLen + macLen
		var zero [32]byte
		in.bound = subtle.ConstantTimeCompare(fs, zero[:]) == 0
		if in.bound {
			copy(in.remote[:], fs)
			if err := mixDH(s)(static.DH(fs)); err != nil { // ss
				return nil, errorf(ErrDecrypt, st, "static key: %v", err)
			}
		}
		// Unbound: the payload follows under the same key with the next
		// nonce (1, or 2 after a hybrid encapsulation key).
		if in.payload, err = s.DecryptAndHash(nil, body[off:]); err != nil {
			return nil, errorf(ErrDecrypt, st, "payload section: %v", err)
		}
		return in, nil
	}
	return nil, errorf(ErrDecrypt, st, "no key opens it (%d bytes)", len(body))
}

// nsrSplit is the outcome of an NSR: the chaining key and the two
// directions' tag sets (ab: Alice to Bob, ba: Bob to Alice).
type nsrSplit struct {
	ab, ba chains
}

// split runs the NSR's split() and DH_INITIALIZE for both directions and
// returns the key of the NSR payload: HKDF(k_ba, "", "AttachPayloadKDF").
func split(s *noise.SymmetricState) (nsrSplit, [32]byte) {
	kab, kba := s.Split()
	ck := s.ChainingKey()
	out := nsrSplit{ab: dhInitialize(&ck, &kab), ba: dhInitialize(&ck, &kba)}
	k := hkdf32(&kba, nil, infoAttachPayload)
	clear(kab[:])
	clear(kba[:])
	clear(ck[:])
	return out, k
}

// nsrTagChains is the NSR tag set of a New Session: DH_INITIALIZE(ck,
// HKDF(ck, "", "SessionReplyTags", 32)) on the state after its payload.
func nsrTagChains(s *noise.SymmetricState) chains {
	ck := s.ChainingKey()
	k := hkdf32(&ck, nil, infoReplyTags)
	c := dhInitialize(&ck, &k)
	clear(ck[:])
	clear(k[:])
	return c
}

// sealNSR appends a New Session Reply with tag to the New Session whose
// state (after its payload) is ns, from Alice's keys aepk and apk; ek is
// her ML-KEM encapsulation key for the hybrid types.
func sealNSR(dst []byte, t crypto.EncType, ns noise.SymmetricState, tag uint64, aepk, apk *[32]byte, ek []byte,
	payload []byte, rand io.Reader) ([]byte, nsrSplit, error) {
	const st = "seal New Session Reply"
	eph, err := generateElligatorKey(rand)
	if err != nil {
		return dst, nsrSplit{}, err
	}
	s := &ns
	defer s.Zero()
	tb := tagBytes(tag)
	s.MixHash(tb[:])
	s.MixHash(eph.pub[:])
	dst = append(append(dst, tb[:]...), eph.rep[:]...)
	if err := mixDH(s)(eph.dh(aepk[:])); err != nil { // ee
		return dst, nsrSplit{}, errorf(ErrInvalid, st, "ephemeral key: %v", err)
	}
	if l, ok := crypto.MLKEMLevelOf(t); ok { // ekem1
		ct, ss, err := l.Encapsulate(ek)
		if err != nil {
			return dst, nsrSplit{}, errorf(ErrInvalid, st, "%v", err)
		}
		dst = s.EncryptAndHash(dst, ct)
		s.MixKey(ss)
		clear(ss)
	}
	if err := mixDH(s)(eph.dh(apk[:])); err != nil { // se
		return dst, nsrSplit{}, errorf(ErrInvalid, st, "static key: %v", err)
	}
	dst = s.EncryptAndHash(dst, nil)
	h := s.Hash()
	sp, k := split(s)
	dst = crypto.ChaChaPolySeal(&k, 0, dst, payload, h[:])
	clear(k[:])
	return dst, sp, nil
}

// openNSR opens a New Session Reply to the New Session whose secrets are
// sec, with our static key.
func openNSR(body []byte, t crypto.EncType, sec *nsSecrets, static *crypto.X25519Key) ([]byte, nsrSplit, error) {
	const st = "open New Session Reply"
	if len(body) < nsrLen(t, 0) {
		return nil, nsrSplit{}, errorf(ErrTruncated, st, "%d bytes", len(body))
	}
	bepk, ok := elligatorDecode((*[32]byte)(body[tagLen : tagLen+keyLen]))
	if !ok {
		return nil, nsrSplit{}, errorf(ErrDecrypt, st, "ephemeral key out of range")
	}
	s := sec.st
	defer s.Zero()
	s.MixHash(body[:tagLen])
	s.MixHash(bepk[:])
	if err := mixDH(&s)(sec.eph.dh(bepk[:])); err != nil { // ee
		return nil, nsrSplit{}, errorf(ErrDecrypt, st, "ephemeral key: %v", err)
	}
	off := tagLen + keyLen
	if l, ok := crypto.MLKEMLevelOf(t); ok { // ekem1
		n := l.CiphertextLen() + macLen
		ct, err := s.DecryptAndHash(nil, body[off:off+n])
		if err != nil {
			return nil, nsrSplit{}, errorf(ErrDecrypt, st, "KEM section: %v", err)
		}
		ss, err := l.Decapsulate(sec.dk, ct)
		if err != nil {
			return nil, nsrSplit{}, errorf(ErrDecrypt, st, "%v", err)
		}
		s.MixKey(ss)
		clear(ss)
		off += n
	}
	if err := mixDH(&s)(static.DH(bepk[:])); err != nil { // se
		return nil, nsrSplit{}, errorf(ErrDecrypt, st, "ephemeral key: %v", err)
	}
	if _, err := s.DecryptAndHash(nil, body[off:off+macLen]); err != nil {
		return nil, nsrSplit{}, errorf(ErrDecrypt, st, "key section: %v", err)
	}
	off += macLen
	h := s.Hash()
	sp, k := split(&s)
	defer clear(k[:])
	payload, err := crypto.ChaChaPolyOpen(&k, 0, nil, body[off:], h[:])
	if err != nil {
		return nil, nsrSplit{}, errorf(ErrDecrypt, st, "payload section: %v", err)
	}
	return payload, sp, nil
}
