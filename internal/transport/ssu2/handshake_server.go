package ssu2

// Bob's side of the handshake. demux has checked the Session Request's
// token (answering a missing or wrong one with a Retry, before any DH)
// and started this session; here the request is read, Session Created
// sent (and sent again on the spec's timers, or when the request comes
// again), and the Session Confirmed fragments collected, decrypted and
// checked: Alice's RouterInfo must be valid, of our network, and publish
// the static key she proved in an SSU2 address whose intro key then
// protects our data packets to her.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/noise"
	"github.com/veil-i2p/veil/internal/transport"
)

// RouterInfo age limits for Session Confirmed (as NTCP2's: i2pd drops
// RouterInfos older than 90 minutes from sessions; its netDb allows 2
// minutes ahead).
const (
	maxRouterInfoAge   = 90 * time.Minute
	maxRouterInfoAhead = 2 * time.Minute
	createdTimeout     = 12 * time.Second // "Session Created": 12 s total
	// minSessionRequestLen is 32 header + 32 X + 8 payload + 16 MAC.
	minSessionRequestLen = handshakeHeaderLen + minPayloadLen + macLen
)

// inboundHS is Bob's handshake state, owned by the session's goroutine.
type inboundHS struct {
	sym      noise.SymmetricState
	ePriv    [keyLen]byte
	x        [keyLen]byte // Alice's ephemeral key
	kh2Conf  [keyLen]byte // Session Confirmed's k_header_2
	created  []byte       // our Session Created, for resends
	resends  []time.Duration
	next     time.Time
	deadline time.Time

	// Session Confirmed fragments as they arrive.
	total int
	frags [maxConfirmedFragments][]byte
	have  int
	hdr0  [shortHeaderLen]byte
}

func (h *inboundHS) zero() {
	h.sym.Zero()
	clear(h.ePriv[:])
	clear(h.kh2Conf[:])
}

// newInbound prepares a session for Alice's Session Request hdr from
// remote.
func newInbound(t *Transport, sock *socket, remote netip.AddrPort, hdr longHeader) *session {
	s := newSession(t, sock, transport.Inbound, remote)
	s.recvID, s.sendID = hdr.destID, hdr.srcID
	s.inb = &inboundHS{deadline: time.Now().Add(handshakeTimeout)}
	s.state = stRequestReceived
	s.hsSlot = true
	return s
}

// inboundTimer resends Session Created or gives up.
func (s *session) inboundTimer(now time.Time) {
	h := s.inb
	if !now.Before(h.deadline) {
		s.fail(fmt.Errorf("ssu2: inbound handshake from %s: %w", s.RemoteAddr(), errTimeout))
		return
	}
	if !h.next.IsZero() && !now.Before(h.next) {
		s.send(h.created, now)
		h.resends = h.resends[1:]
		h.next = time.Time{}
		if len(h.resends) > 0 {
			h.next = now.Add(h.resends[0])
		}
	}
}

// handleInboundHandshake takes a packet for our connection id before the
// session is established.
func (s *session) handleInboundHandshake(p *packet, now time.Time) {
	pkt := p.bytes()
	h := s.inb
	if p.from != s.RemoteAddr() {
		return // the handshake stays on one address ("Connection Migration")
	}
	if s.state == stRequestReceived {
		s.readSessionRequest(pkt, now)
		return
	}
	if tb := peekTypeBytes(pkt, &h.kh2Conf); tb[4] == typeSessionConfirmed && binary.BigEndian.Uint32(tb[:4]) == 0 {
		s.readConfirmedFragment(pkt, tb[5], now)
		return
	}
	// Session Request again: our Session Created was lost.
	if tb := peekTypeBytes(pkt, &s.t.intro); tb[4] == typeSessionRequest {
		s.send(h.created, now)
	}
}

// readSessionRequest reads Alice's Session Request ("KDF for Session
// Request") and answers with Session Created. Any failure drops the
// session without a reply; a skewed clock gets a Retry with a
// Termination block (reason 7), which the notes allow.
func (s *session) readSessionRequest(pkt []byte, now time.Time) {
	h := s.inb
	t := s.t
	hb, hdr := revealLong(pkt, &t.intro, &t.intro)
	if hdr.typ != typeSessionRequest || hdr.check(t.netID) != nil {
		s.fail(errors.New("ssu2: session request: bad header"))
		return
	}
	xorLongRest(pkt, &t.intro, handshakeHeaderLen-shortHeaderLen)
	copy(h.x[:], pkt[longHeaderLen:handshakeHeaderLen])
	if h.x[keyLen-1]&0x80 != 0 {
		s.fail(errors.New("ssu2: session request: X is not a valid key"))
		return
	}
	if t.seenX.Seen(binary.BigEndian.Uint64(h.x[:8])^binary.BigEndian.Uint64(h.x[8:16]), t.now()) {
		t.cnt.replays.Add(1)
		s.fail(errors.New("ssu2: session request: replayed X"))
		return
	}
	h.sym = t.bob
	h.sym.MixHash(hb[:])
	h.sym.MixHash(h.x[:])
	if err := h.sym.MixDH(t.static[:], h.x[:]); err != nil {
		s.fail(fmt.Errorf("ssu2: session request: es: %w", err))
		return
	}
	payload, err := h.sym.DecryptAndHash(s.payload[:0], pkt[handshakeHeaderLen:])
	if err != nil {
		s.fail(fmt.Errorf("ssu2: session request: %w", err))
		return
	}
	skewed, err := checkDateTime(payload, t.now(), t.cfg.MaxSkew)
	if err != nil {
		s.fail(fmt.Errorf("ssu2: session request: %w", err))
		return
	}
	if skewed {
		t.cnt.clockSkew.Add(1)
		t.sendRetry(s.sock, s.RemoteAddr(), hdr, 0, transport.ReasonClockSkew)
		s.fail(fmt.Errorf("ssu2: session request: %w", ErrClockSkew))
		return
	}
	if err := s.sendSessionCreated(now, hasBlock(payload, blockRelayTagRequest)); err != nil {
		s.fail(fmt.Errorf("ssu2: session created: %w", err))
	}
}

// sendSessionCreated answers with our ephemeral key, the time, Alice's
// address as we see it ("SessionCreated (Type 1)") and, if she asked
// and we introduce, a relay tag.
func (s *session) sendSessionCreated(now time.Time, tagWanted bool) error {
	h := s.inb
	t := s.t
	kh2 := headerKey(&h.sym, labelSessionCreated)
	defer clear(kh2[:])
	priv, pub, err := crypto.GenerateX25519(t.rand)
	if err != nil {
		return err
	}
	h.ePriv = priv
	hdr := longHeader{destID: s.sendID, pn: uint32(t.randUint64()), typ: typeSessionCreated,
		ver: protocolVersion, netID: t.netID, srcID: s.recvID}
	payload := transport.AppendDateTime(s.payload[:0], t.now())
	payload = appendAddress(payload, s.RemoteAddr())
	if tagWanted {
		if tag := s.giveRelayTag(); tag != 0 {
			payload = appendRelayTag(payload, tag)
		}
	}
	payload = transport.AppendPadding(payload, t.rand.Intn(16))
	pkt := make([]byte, handshakeHeaderLen, handshakeHeaderLen+len(payload)+macLen)
	hdr.put(pkt)
	copy(pkt[longHeaderLen:], pub[:])
	h.sym.MixHash(pkt[:longHeaderLen])
	h.sym.MixHash(pub[:])
	if err := h.sym.MixDH(h.ePriv[:], h.x[:]); err != nil {
		return fmt.Errorf("ee: %w", err)
	}
	pkt = h.sym.EncryptAndHash(pkt, payload)
	protect(pkt, &t.intro, &kh2, handshakeHeaderLen-shortHeaderLen)
	h.kh2Conf = headerKey(&h.sym, labelSessionConfirmed)
	h.created = pkt
	h.resends = sessionCreatedResends
	h.next = now.Add(h.resends[0])
	h.deadline = earlier(h.deadline, now.Add(createdTimeout))
	s.state = stCreatedSent
	s.send(pkt, now)
	return nil
}

// readConfirmedFragment collects one Session Confirmed packet (frag =
// number<<4 | total) and reads the message once all are in.
func (s *session) readConfirmedFragment(pkt []byte, frag byte, now time.Time) {
	h := s.inb
	num, total := int(frag>>4), int(frag&0x0f)
	if total == 0 || num >= total || len(pkt) <= shortHeaderLen {
		return
	}
	if h.total != total {
		h.total, h.have = total, 0
		clear(h.frags[:])
	}
	if h.frags[num] != nil {
		return // a resend
	}
	h.frags[num] = append([]byte(nil), pkt[shortHeaderLen:]...)
	h.have++
	if num == 0 {
		// bytes 0–15 of fragment 0 unprotected: the AD of the message.
		copy(h.hdr0[:], pkt[:shortHeaderLen])
		xor8(h.hdr0[:], headerMask(&s.t.intro, pkt[len(pkt)-24:len(pkt)-12]))
		xor8(h.hdr0[8:], headerMask(&h.kh2Conf, pkt[len(pkt)-12:]))
	}
	if h.have < h.total {
		return
	}
	var jumbo []byte
	for _, f := range h.frags[:h.total] {
		jumbo = append(jumbo, f...)
	}
	h.total, h.have = 0, 0
	clear(h.frags[:])
	s.readSessionConfirmed(jumbo, now)
}

// readSessionConfirmed decrypts the reassembled Session Confirmed. A
// message that does not decrypt leaves the Noise state as it was, so
// Alice's resend can still succeed; one that decrypts but fails the
// checks ends the handshake.
func (s *session) readSessionConfirmed(jumbo []byte, now time.Time) {
	h := s.inb
	t := s.t
	if len(jumbo) < sessionConfirmedPart1Len+minPayloadLen+macLen {
		return
	}
	saved := h.sym
	h.sym.MixHash(h.hdr0[:])
	h.sym.SetNonce(1)
	static, err := h.sym.DecryptAndHash(nil, jumbo[:sessionConfirmedPart1Len])
	if err != nil {
		h.sym = saved
		return
	}
	if err := h.sym.MixDH(h.ePriv[:], static); err != nil {
		s.fail(fmt.Errorf("ssu2: session confirmed: se: %w", err))
		return
	}
	payload, err := h.sym.DecryptAndHash(jumbo[sessionConfirmedPart1Len:sessionConfirmedPart1Len], jumbo[sessionConfirmedPart1Len:])
	if err != nil {
		h.sym = saved
		return
	}
	ri, rest, err := s.checkConfirmed(payload, static)
	if err != nil {
		s.fail(fmt.Errorf("ssu2: session confirmed: %w", err))
		return
	}
	ab, ba := dataKeys(&h.sym)
	<-t.hsSlots
	s.hsSlot = false
	t.cnt.handshakesIn.Add(1)
	s.peer = ri.Hash()
	s.peerRI.Store(ri)
	s.startDataPhase(ba, ab, s.peerIntroFor(ri, static), 0)
	// Session Confirmed is packet 0 of Alice's numbering: acknowledge it
	// at once ("Session Confirmed ACK").
	s.rcv.window.Accept(0)
	s.rcv.track.Add(0)
	s.rcv.received++
	s.rcv.ackNow(now)
	if !s.accept(now) {
		return
	}
	s.queueWelcome()
	if err := s.handleBlocks(rest, now); err != nil {
		s.terminate(err, reasonOf(err))
	}
}

// checkConfirmed checks Session Confirmed part 2: a RouterInfo block
// first, whose RouterInfo is signed, of our network, not ours, recent,
// and lists static in an SSU2 address. It returns the RouterInfo and the
// blocks after it.
func (s *session) checkConfirmed(payload, static []byte) (*data.RouterInfo, []byte, error) {
	t := s.t
	if len(payload) < blockHeaderLen || payload[0] != blockRouterInfo {
		return nil, nil, transport.FormatError("first block is not a RouterInfo")
	}
	size := int(binary.BigEndian.Uint16(payload[1:]))
	if size > len(payload)-blockHeaderLen {
		return nil, nil, transport.FormatError("RouterInfo block overruns the payload")
	}
	rest := payload[blockHeaderLen+size:]
	if err := parseBlocks(rest, func(uint8, []byte) error { return nil }); err != nil {
		return nil, nil, err
	}
	b, err := parseRouterInfoBlock(payload[blockHeaderLen : blockHeaderLen+size])
	if err != nil {
		return nil, nil, err
	}
	ri, err := data.ParseRouterInfo(append([]byte(nil), b.ri...))
	if err == nil {
		err = ri.Verify()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("RouterInfo: %w", &transport.TerminationError{Reason: transport.ReasonRIVerifyFailed, Detail: err.Error()})
	}
	now := t.now()
	switch pub := ri.Published.Time(); {
	case ri.NetID() != t.cfg.NetID:
		t.cnt.wrongNetID.Add(1)
		if t.cfg.Ban != nil {
			t.cfg.Ban(s.RemoteAddr().Addr(), t.cfg.BanDuration, "wrong network id")
		}
		return nil, nil, fmt.Errorf("RouterInfo of network %d: %w", ri.NetID(), ErrWrongNetID)
	case ri.Hash() == t.us:
		return nil, nil, errors.New("RouterInfo is ours")
	case now.Sub(pub) > maxRouterInfoAge || pub.Sub(now) > maxRouterInfoAhead:
		return nil, nil, fmt.Errorf("RouterInfo published %v", pub.UTC())
	}
	if _, ok := addrWithStaticKey(ri, static, s.RemoteAddr().Addr().Is6()); !ok {
		return nil, nil, fmt.Errorf("no SSU2 address with the static key: %w", &transport.TerminationError{Reason: transport.ReasonBadStaticKey})
	}
	return ri, rest, nil
}

// peerIntroFor returns the intro key of the peer's SSU2 address with
// static key s (checkConfirmed found it), and adopts its MTU.
func (s *session) peerIntroFor(ri *data.RouterInfo, static []byte) [keyLen]byte {
	a, _ := addrWithStaticKey(ri, static, s.RemoteAddr().Addr().Is6())
	s.mtu = s.t.mtuFor(s.RemoteAddr().Addr(), a.mtu)
	return a.i
}

// queueWelcome queues what Bob sends with the ACK of Session Confirmed:
// a New Token for Alice's next session and our RouterInfo ("Tokens";
// "Data Message": Bob may send his RouterInfo first, as i2pd does).
func (s *session) queueWelcome() {
	now := s.t.now()
	s.snd.newToken = s.t.issueToken(s.RemoteAddr(), newTokenLifetime)
	s.snd.newTokenExp = now.Add(newTokenLifetime - time.Minute)
	if ri := s.t.cfg.RouterInfo(); ri != nil {
		s.SendRouterInfo(ri, false)
	}
}
