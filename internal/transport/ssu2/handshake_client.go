package ssu2

// Alice's side of the handshake (ssu2.rst, "Session Establishment"):
//
//	TokenRequest ->          (when we hold no token from Bob)
//	             <- Retry    (a token; or a Termination: give up)
//	SessionRequest ->
//	             <- SessionCreated   (or a Retry: new token, new request)
//	SessionConfirmed ->      (one or more fragments)
//	             <- Data     (its ACK of packet 0 establishes the session)
//
// Each message is sent again byte for byte on the spec's timers until
// its answer arrives ("Handshake Retransmission"). Session Created and
// Retry are protected with Bob's intro key, so they reach us through
// demux's pending-by-address lookup; Bob's data packets use ours.

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/noise"
	"github.com/veil-i2p/veil/internal/transport"
)

// maxRetries bounds the Retries one dial follows.
const maxRetries = 2

// outboundHS is Alice's handshake state, owned by the session's
// goroutine and wiped when it ends.
type outboundHS struct {
	ri      *data.RouterInfo
	bob     peerAddr
	sym     noise.SymmetricState
	ePriv   [keyLen]byte
	ePub    [keyLen]byte
	retries int

	kh2Created   [keyLen]byte // Session Created's k_header_2
	kh2Confirmed [keyLen]byte // Session Confirmed's k_header_2

	sent     [][]byte        // the packets to resend as they are
	resends  []time.Duration // intervals still to come
	next     time.Time       // next resend, zero if none
	deadline time.Time       // the current step's timeout
	start    time.Time
}

func (h *outboundHS) zero() {
	h.sym.Zero()
	clear(h.ePriv[:])
	clear(h.kh2Created[:])
	clear(h.kh2Confirmed[:])
}

// Step timeouts ("Handshake Retransmission": 15 s for Token and Session
// Request; Session Confirmed until the total of 20 s).
const (
	requestTimeout = 15 * time.Second
)

// newOutbound prepares a session to Bob at a; run starts the handshake.
func newOutbound(t *Transport, sock *socket, ri *data.RouterInfo, a peerAddr) (*session, error) {
	s := newSession(t, sock, transport.Outbound, a.ap)
	s.recvID = t.randConnID()
	for s.sendID = t.randConnID(); s.sendID == s.recvID; {
		s.sendID = t.randConnID()
	}
	s.bobIntro = a.i
	s.peer = ri.Hash()
	s.peerRI.Store(ri)
	s.mtu = t.mtuFor(a.ap.Addr(), a.mtu)
	s.out = &outboundHS{ri: ri, bob: a}
	s.log = s.log.With("peer", s.peer.String())
	return s, nil
}

// startOutbound sends the first message: a Session Request if we hold a
// token for Bob's address, else a Token Request.
func (s *session) startOutbound(now time.Time) {
	h := s.out
	h.start = now
	if tok, ok := s.t.tokensOut.take(h.bob.ap, s.t.now(), tokenMargin); ok {
		s.t.cnt.tokensUsed.Add(1)
		s.sendSessionRequest(now, tok)
		return
	}
	s.sendTokenRequest(now)
}

// schedule makes pkts the step's packets, sends them, and arms the
// resend timer and the step's deadline.
func (h *outboundHS) schedule(s *session, now time.Time, pkts [][]byte, resends []time.Duration, timeout time.Duration) {
	h.sent, h.resends = pkts, resends
	for _, p := range pkts {
		s.send(p, now)
	}
	h.next = time.Time{}
	if len(resends) > 0 {
		h.next = now.Add(resends[0])
	}
	h.deadline = earlier(now.Add(timeout), h.start.Add(handshakeTimeout))
}

// outboundTimer resends or times out the current step. It reports
// whether the session ended.
func (s *session) outboundTimer(now time.Time) bool {
	h := s.out
	if !now.Before(h.deadline) {
		if s.state == stConfirmedSent {
			s.fail(fmt.Errorf("ssu2: session confirmed: no answer from %s: %w", h.bob.ap, errTimeout))
		} else {
			s.fail(fmt.Errorf("ssu2: %s: no answer from %s: %w", stepName(s.state), h.bob.ap, errTimeout))
		}
		return true
	}
	if !h.next.IsZero() && !now.Before(h.next) {
		for _, p := range h.sent {
			s.send(p, now)
		}
		h.resends = h.resends[1:]
		h.next = time.Time{}
		if len(h.resends) > 0 {
			h.next = now.Add(h.resends[0])
		}
	}
	return false
}

var errTimeout = errors.New("timed out")

func stepName(state int) string {
	switch state {
	case stTokenRequest:
		return "token request"
	case stSessionRequest:
		return "session request"
	}
	return "handshake"
}

// sendTokenRequest asks Bob for a token ("Token Request").
func (s *session) sendTokenRequest(now time.Time) {
	h := s.out
	hdr := longHeader{destID: s.sendID, pn: uint32(s.t.randUint64()), typ: typeTokenRequest,
		ver: protocolVersion, netID: s.t.netID, srcID: s.recvID}
	payload := transport.AppendDateTime(s.payload[:0], s.t.now())
	payload = transport.AppendPadding(payload, 1+s.t.rand.Intn(16))
	pkt := sealOutOfSession(make([]byte, 0, longHeaderLen+len(payload)+macLen), &hdr, payload, &h.bob.i)
	s.state = stTokenRequest
	h.schedule(s, now, [][]byte{pkt}, tokenRequestResends, requestTimeout)
}

// sendSessionRequest starts the Noise handshake with token ("KDF for
// Session Request", "SessionRequest (Type 0)").
func (s *session) sendSessionRequest(now time.Time, token uint64) {
	h := s.out
	priv, pub, err := crypto.GenerateX25519(s.t.rand)
	if err != nil {
		s.fail(fmt.Errorf("ssu2: session request: %w", err))
		return
	}
	h.ePriv, h.ePub = priv, pub
	hdr := longHeader{destID: s.sendID, pn: uint32(s.t.randUint64()), typ: typeSessionRequest,
		ver: protocolVersion, netID: s.t.netID, srcID: s.recvID, token: token}
	payload := transport.AppendDateTime(s.payload[:0], s.t.now())
	if s.t.wantRelayTag(&h.bob) {
		payload = transport.AppendBlockHeader(payload, blockRelayTagRequest, 0)
	}
	payload = transport.AppendPadding(payload, 1+s.t.rand.Intn(16))

	pkt := make([]byte, handshakeHeaderLen, handshakeHeaderLen+len(payload)+macLen)
	hdr.put(pkt)
	copy(pkt[longHeaderLen:], pub[:])
	h.sym = initialState(&h.bob.s)
	h.sym.MixHash(pkt[:longHeaderLen])
	h.sym.MixHash(pub[:])
	if err := h.sym.MixDH(h.ePriv[:], h.bob.s[:]); err != nil {
		s.fail(fmt.Errorf("ssu2: session request: es: %w", err))
		return
	}
	pkt = h.sym.EncryptAndHash(pkt, payload)
	h.kh2Created = headerKey(&h.sym, labelSessionCreated)
	protect(pkt, &h.bob.i, &h.bob.i, handshakeHeaderLen-shortHeaderLen)
	s.state = stSessionRequest
	h.schedule(s, now, [][]byte{pkt}, sessionRequestResends, requestTimeout)
}

// handleOutboundHandshake takes a packet from Bob's address that
// carries our connection id under Bob's intro key.
func (s *session) handleOutboundHandshake(p *packet, now time.Time) {
	pkt := p.bytes()
	h := s.out
	switch s.state {
	case stSessionRequest:
		if tb := peekTypeBytes(pkt, &h.kh2Created); tb[4] == typeSessionCreated {
			s.readSessionCreated(pkt, now)
			return
		}
		s.readRetry(pkt, now)
	case stTokenRequest:
		s.readRetry(pkt, now)
	case stConfirmedSent:
		// A Session Created again: ours was lost or is late; resend it
		// ("Session Confirmed": resend on an undecryptable packet).
		if tb := peekTypeBytes(pkt, &h.kh2Created); tb[4] == typeSessionCreated {
			for _, q := range h.sent {
				s.send(q, now)
			}
		}
	}
}

// readRetry handles a Retry ("Retry (Type 9)", "KDF for Retry"): a token
// for a new Session Request, or a Termination.
func (s *session) readRetry(pkt []byte, now time.Time) {
	h := s.out
	if tb := peekTypeBytes(pkt, &h.bob.i); tb[4] != typeRetry || len(pkt) < longHeaderLen+minPayloadLen+macLen {
		return
	}
	hb, hdr := revealLong(pkt, &h.bob.i, &h.bob.i)
	if hdr.check(s.t.netID) != nil || hdr.destID != s.recvID || hdr.srcID != s.sendID {
		return
	}
	payload, err := crypto.ChaChaPolyOpen(&h.bob.i, uint64(hdr.pn), s.payload[:0], pkt[longHeaderLen:], hb[:])
	if err != nil {
		return
	}
	var term *transport.TerminationError
	err = parseBlocks(payload, func(typ uint8, d []byte) error {
		switch typ {
		case blockTermination:
			_, reason, err := transport.ParseTermination(d)
			if err != nil {
				return err
			}
			term = &transport.TerminationError{Remote: true, Reason: reason, Detail: "in Retry"}
		case blockAddress:
			s.sawAddress(d)
		}
		return nil
	})
	switch {
	case err != nil:
		return
	case term != nil:
		if term.Reason == transport.ReasonClockSkew {
			s.t.cnt.clockSkew.Add(1)
		}
		s.fail(fmt.Errorf("ssu2: retry: %w", term))
	case hdr.token == 0:
		s.fail(errors.New("ssu2: retry: zero token"))
	case h.retries >= maxRetries:
		s.fail(errors.New("ssu2: retry: too many"))
	default:
		h.retries++
		s.sendSessionRequest(now, hdr.token)
	}
}

// readSessionCreated handles Session Created ("KDF for Session Created
// and Session Confirmed part 1") and answers with Session Confirmed. A
// packet that fails is dropped with the Noise state as it was, so a
// retransmitted genuine one still works.
func (s *session) readSessionCreated(pkt []byte, now time.Time) {
	h := s.out
	if len(pkt) < handshakeHeaderLen+minPayloadLen+macLen {
		return
	}
	hb, hdr := revealLong(pkt, &h.bob.i, &h.kh2Created)
	if hdr.check(s.t.netID) != nil || hdr.destID != s.recvID || hdr.srcID != s.sendID {
		return
	}
	xorLongRest(pkt, &h.kh2Created, handshakeHeaderLen-shortHeaderLen) // header rest and Y, in place
	y := pkt[longHeaderLen:handshakeHeaderLen]
	saved := h.sym
	h.sym.MixHash(hb[:])
	h.sym.MixHash(y)
	if err := h.sym.MixDH(h.ePriv[:], y); err != nil {
		h.sym = saved
		return
	}
	payload, err := h.sym.DecryptAndHash(s.payload[:0], pkt[handshakeHeaderLen:])
	if err != nil {
		h.sym = saved
		return
	}
	if err := s.readCreatedPayload(payload); err != nil {
		s.fail(fmt.Errorf("ssu2: session created: %w", err))
		return
	}
	var bobY [keyLen]byte
	copy(bobY[:], y)
	h.kh2Confirmed = headerKey(&h.sym, labelSessionConfirmed)
	if err := s.sendSessionConfirmed(now, &bobY); err != nil {
		s.fail(fmt.Errorf("ssu2: session confirmed: %w", err))
	}
}

// readCreatedPayload checks Session Created's blocks: the DateTime must
// be within MaxSkew; a New Token is kept for next time; a Termination
// ends the handshake.
func (s *session) readCreatedPayload(payload []byte) error {
	found := false
	return errors.Join(parseBlocks(payload, func(typ uint8, d []byte) error {
		switch typ {
		case blockDateTime:
			ts, err := transport.ParseDateTime(d)
			if err != nil {
				return err
			}
			found = true
			if skew := transport.Skew(ts, s.t.now()); skew > s.t.cfg.MaxSkew || skew < -s.t.cfg.MaxSkew {
				s.t.cnt.clockSkew.Add(1)
				return fmt.Errorf("%w: Bob is %v off", ErrClockSkew, skew)
			}
		case blockAddress:
			s.sawAddress(d)
		case blockNewToken:
			s.keepToken(d)
		case blockRelayTag:
			s.gotRelayTag(d)
		case blockTermination:
			_, reason, err := transport.ParseTermination(d)
			if err != nil {
				return err
			}
			return &transport.TerminationError{Remote: true, Reason: reason, Detail: "in Session Created"}
		}
		return nil
	}), func() error {
		if !found {
			return transport.FormatError("no DateTime block")
		}
		return nil
	}())
}

// sendSessionConfirmed sends our static key and RouterInfo ("KDF for
// Session Confirmed part 1/2", "Session Confirmed Fragmentation"), then
// derives the data-phase keys. Part 1 is sealed with the key of Session
// Created's ee step at n=1.
func (s *session) sendSessionConfirmed(now time.Time, y *[keyLen]byte) error {
	h := s.out
	maxPkt := s.maxPacket()
	payload, err := s.confirmedPayload(maxPkt)
	if err != nil {
		return err
	}
	frags, payload := splitConfirmed(payload, maxPkt-shortHeaderLen)
	if frags > maxConfirmedFragments {
		return fmt.Errorf("RouterInfo needs %d packets", frags)
	}
	hdr0 := shortHeader{destID: s.sendID, typ: typeSessionConfirmed, flags: [3]byte{byte(frags)}}
	var hb [shortHeaderLen]byte
	hdr0.put(hb[:])
	h.sym.MixHash(hb[:])
	h.sym.SetNonce(1)
	jumbo := h.sym.EncryptAndHash(make([]byte, 0, sessionConfirmedPart1Len+len(payload)+macLen), s.t.cfg.StaticKeys.Public[:])
	if err := h.sym.MixDH(s.t.static[:], y[:]); err != nil {
		return fmt.Errorf("se: %w", err)
	}
	jumbo = h.sym.EncryptAndHash(jumbo, payload)
	ab, ba := dataKeys(&h.sym)
	clear(h.ePriv[:])

	pkts := make([][]byte, frags)
	per := maxPkt - shortHeaderLen
	for i := range frags {
		part := jumbo[i*per : min((i+1)*per, len(jumbo))]
		hdr := shortHeader{destID: s.sendID, typ: typeSessionConfirmed, flags: [3]byte{byte(i<<4 | frags)}}
		pkt := make([]byte, shortHeaderLen, shortHeaderLen+len(part))
		hdr.put(pkt)
		pkt = append(pkt, part...)
		protect(pkt, &h.bob.i, &h.kh2Confirmed, 0)
		pkts[i] = pkt
	}
	s.startDataPhase(ab, ba, h.bob.i, 1) // Session Confirmed was packet 0
	s.state = stConfirmedSent
	h.schedule(s, now, pkts, sessionRequestResends, handshakeTimeout)
	return nil
}

// confirmedPayload is Session Confirmed part 2's plaintext: our
// RouterInfo block, gzipped if that saves a packet, and padding.
func (s *session) confirmedPayload(maxPkt int) ([]byte, error) {
	ri := s.t.cfg.RouterInfo().Bytes()
	room := maxPkt - shortHeaderLen - sessionConfirmedPart1Len - macLen - blockHeaderLen - 2
	gz := false
	if len(ri) > room {
		if z := gzipRouterInfo(ri); len(z) < len(ri) {
			ri, gz = z, true
		}
	}
	if len(ri) > maxRouterInfoLen {
		return nil, fmt.Errorf("our RouterInfo is %d bytes", len(ri))
	}
	b := appendRouterInfoBlock(make([]byte, 0, len(ri)+64), ri, false, gz)
	return transport.AppendPadding(b, s.t.rand.Intn(16)), nil
}

// splitConfirmed counts the packets Session Confirmed needs when each
// carries per bytes after its header, and grows the final Padding block
// (which confirmedPayload put last) so that the last fragment has the 24
// bytes header protection draws from.
func splitConfirmed(payload []byte, per int) (int, []byte) {
	total := sessionConfirmedPart1Len + len(payload) + macLen
	n := (total + per - 1) / per
	if last := total - (n-1)*per; n > 1 && last < 24 {
		grow := 24 - last
		payload = append(payload, make([]byte, grow)...)
		// The Padding block is the last block: widen its size field.
		i := lastBlockOffset(payload[:len(payload)-grow])
		size := int(payload[i+1])<<8 | int(payload[i+2])
		size += grow
		payload[i+1], payload[i+2] = byte(size>>8), byte(size)
	}
	return n, payload
}

// lastBlockOffset returns the offset of the last block of a well-formed
// payload we built.
func lastBlockOffset(p []byte) int {
	last := 0
	for off := 0; off+blockHeaderLen <= len(p); {
		last = off
		off += blockHeaderLen + (int(p[off+1])<<8 | int(p[off+2]))
	}
	return last
}

// sawAddress notes our address as the peer sees it (Address block).
func (s *session) sawAddress(d []byte) {
	if ap, err := parseAddress(d); err == nil {
		s.addrMu.Lock()
		changed := s.seen != ap
		s.seen = ap
		s.addrMu.Unlock()
		if changed {
			s.log.Debug("ssu2: peer sees us at", "ours", ap.String())
		}
	}
}

// keepToken stores a New Token block's token for this peer's address.
func (s *session) keepToken(d []byte) {
	exp, tok, err := parseNewToken(d)
	if err != nil || tok == 0 {
		return
	}
	now := s.t.now()
	expires := time.Unix(int64(exp), 0)
	if limit := now.Add(newTokenLifetime); expires.After(limit) {
		expires = limit
	}
	if expires.After(now) {
		s.t.tokensOut.put(s.RemoteAddr(), tok, expires, now)
	}
}

// remoteIs reports whether ap is the peer's current address.
func (s *session) remoteIs(ap netip.AddrPort) bool { return s.RemoteAddr() == ap }
