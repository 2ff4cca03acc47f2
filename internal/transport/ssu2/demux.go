package ssu2

// Inbound packet flow ("Inbound Packet Handling"):
//
//  1. readLoop (one per socket) reads a datagram into a pooled packet.
//  2. demux reveals the destination connection id with our intro key and
//     hands the packet to the session registered under it: every packet
//     of an established session, and the handshake packets of ours.
//  3. Otherwise, if we are dialling the sender's address, the pending
//     outbound session checks for a Session Created or Retry, whose
//     headers are protected with Bob's intro key, not ours.
//  4. Otherwise the packet may open a session: a Token Request gets a
//     Retry with a token, and so does a Session Request without a valid
//     token (before any DH, "Tokens"); a Session Request with a valid
//     token starts an inbound session. Anything else is dropped without
//     a reply, as probing resistance asks.
//
// The reader does only symmetric crypto; the DHs of a handshake run on
// the session's own goroutine.

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/transport"
)

// maxRecvLen is the read buffer: larger than any valid datagram, so a
// too-long one is seen as such rather than truncated.
const maxRecvLen = 2048

// packet is one received datagram. Whoever holds the pointer owns it;
// the reader gets it from Transport.bufs and the session that consumed
// it puts it back.
type packet struct {
	buf  [maxRecvLen]byte
	n    int
	from netip.AddrPort
	sock *socket
}

func (p *packet) bytes() []byte { return p.buf[:p.n] }

func (t *Transport) getPacket() *packet { return t.bufs.Get().(*packet) }

func (t *Transport) putPacket(p *packet) {
	p.n, p.sock = 0, nil
	t.bufs.Put(p)
}

// addrPortConn is *net.UDPConn's allocation-free API.
type addrPortConn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

// socket is one UDP socket. Reads belong to its readLoop; writes come
// from any goroutine (a UDP socket takes concurrent writes).
type socket struct {
	pc    net.PacketConn
	fast  addrPortConn // pc's own, when it has one
	local netip.AddrPort
	v4    bool
}

func newSocket(pc net.PacketConn) *socket {
	s := &socket{pc: pc}
	s.fast, _ = pc.(addrPortConn)
	if ua, ok := pc.LocalAddr().(*net.UDPAddr); ok {
		ap := ua.AddrPort()
		s.local = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	s.v4 = s.local.Addr().Is4()
	return s
}

func (s *socket) read(b []byte) (int, netip.AddrPort, error) {
	if s.fast != nil {
		n, ap, err := s.fast.ReadFromUDPAddrPort(b)
		return n, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), err
	}
	n, a, err := s.pc.ReadFrom(b)
	if ua, ok := a.(*net.UDPAddr); ok {
		ap := ua.AddrPort()
		return n, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), err
	}
	return n, netip.AddrPort{}, err
}

func (s *socket) write(b []byte, to netip.AddrPort) error {
	if s.fast != nil {
		if !s.v4 && to.Addr().Is4() {
			to = netip.AddrPortFrom(netip.AddrFrom16(to.Addr().As16()), to.Port())
		}
		_, err := s.fast.WriteToUDPAddrPort(b, to)
		return err
	}
	_, err := s.pc.WriteTo(b, net.UDPAddrFromAddrPort(to))
	return err
}

// readLoop reads datagrams until the socket is closed.
func (t *Transport) readLoop(s *socket) {
	for {
		p := t.getPacket()
		n, from, err := s.read(p.buf[:])
		if err != nil {
			t.putPacket(p)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// An ICMP error reported on the socket, or a wrapper's
			// transient failure: keep reading, without spinning.
			t.log.Debug("ssu2: read", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if n < minPacketLen || n > maxPacketLen || !from.IsValid() {
			t.cnt.dropped.Add(1)
			t.putPacket(p)
			continue
		}
		p.n, p.from, p.sock = n, from, s
		t.demux(p)
	}
}

// demux routes one packet; see the flow at the top of this file.
func (t *Transport) demux(p *packet) {
	pkt := p.bytes()
	if t.cfg.Banned != nil && t.cfg.Banned(p.from.Addr()) {
		t.drop(p)
		return
	}
	id := peekConnID(pkt, &t.intro)
	if s := t.lookup(id); s != nil {
		s.deliver(p)
		return
	}
	if r, ok := t.rl.byConnID(id); ok {
		t.handleHolePunch(p, r)
		t.putPacket(p)
		return
	}
	if pt, ok := t.pt.byConnID(id); ok {
		t.handlePeerTestPacket(p, pt)
		t.putPacket(p)
		return
	}
	if s := t.pendingFor(p.from); s != nil && s.isReplyToUs(pkt) {
		s.deliver(p)
		return
	}
	tb := peekTypeBytes(pkt, &t.intro)
	typ, ver, netID := tb[4], tb[5], tb[6]
	if ver != protocolVersion || (typ != typeSessionRequest && typ != typeTokenRequest) {
		t.log.Debug("ssu2: packet for no session dropped", "addr", p.from.String(), "len", p.n)
		t.drop(p)
		return
	}
	if netID != t.netID {
		// Proposal 147 says to block such peers; from the header alone
		// a random packet passes for this one time in 30,000, so we
		// only drop it (a RouterInfo of another network gets a ban).
		t.cnt.wrongNetID.Add(1)
		t.drop(p)
		return
	}
	hb, hdr := revealLong(pkt, &t.intro, &t.intro)
	if hdr.srcID == hdr.destID || !t.limit.Allow(p.from.Addr(), time.Now()) {
		t.cnt.rateLimited.Add(1)
		t.drop(p)
		return
	}
	if typ == typeTokenRequest {
		t.handleTokenRequest(p, &hb, hdr)
		t.putPacket(p)
		return
	}
	t.handleSessionRequest(p, hdr)
}

// revealLong returns the first 32 bytes of protected packet pkt with
// header protection removed (k1, k2 for bytes 0–15, k2 for 16–31) and
// the header they hold, leaving pkt unchanged.
func revealLong(pkt []byte, k1, k2 *[keyLen]byte) ([longHeaderLen]byte, longHeader) {
	var hb [longHeaderLen]byte
	copy(hb[:], pkt)
	xor8(hb[:], headerMask(k1, pkt[len(pkt)-24:len(pkt)-12]))
	xor8(hb[8:], headerMask(k2, pkt[len(pkt)-12:]))
	var zero [crypto.ChaChaNonceLen]byte
	_ = crypto.ChaCha20XOR(k2, &zero, chachaCounter, hb[shortHeaderLen:], hb[shortHeaderLen:])
	return hb, parseLongHeader(hb[:])
}

func (t *Transport) drop(p *packet) {
	t.cnt.dropped.Add(1)
	t.putPacket(p)
}

// handleTokenRequest answers a valid Token Request with a Retry carrying
// a fresh token (ssu2.rst, "Token Request", "KDF for Token Request"). A
// skewed clock gets a Retry with a zero token and a Termination block
// (reason 7), as the notes allow.
func (t *Transport) handleTokenRequest(p *packet, hb *[longHeaderLen]byte, hdr longHeader) {
	pkt := p.bytes()
	var pl [maxPacketLen]byte
	payload, err := crypto.ChaChaPolyOpen(&t.intro, uint64(hdr.pn), pl[:0], pkt[longHeaderLen:], hb[:])
	if err != nil {
		t.cnt.dropped.Add(1)
		return
	}
	t.cnt.tokenRequests.Add(1)
	now := t.now()
	skewed, err := checkDateTime(payload, now, t.cfg.MaxSkew)
	if err != nil {
		t.cnt.dropped.Add(1)
		return
	}
	if skewed {
		t.cnt.clockSkew.Add(1)
		t.sendRetry(p.sock, p.from, hdr, 0, transport.ReasonClockSkew)
		return
	}
	t.sendRetry(p.sock, p.from, hdr, t.issueToken(p.from, retryTokenLifetime), noReason)
}

// handleSessionRequest starts an inbound session for a Session Request
// whose token we issued to its sender, or answers with a Retry (and a
// token) without doing any DH.
func (t *Transport) handleSessionRequest(p *packet, hdr longHeader) {
	if p.n < minSessionRequestLen {
		t.drop(p)
		return
	}
	if !t.tokensIn.use(p.from, hdr.token, t.now()) {
		t.sendRetry(p.sock, p.from, hdr, t.issueToken(p.from, retryTokenLifetime), noReason)
		t.putPacket(p)
		return
	}
	select {
	case t.hsSlots <- struct{}{}:
	default:
		t.cnt.busy.Add(1)
		t.drop(p)
		return
	}
	s := newInbound(t, p.sock, p.from, hdr)
	if err := t.start(s); err != nil {
		<-t.hsSlots
		t.cnt.busy.Add(1)
		t.log.Debug("ssu2: inbound session refused", "addr", p.from.String(), "err", err)
		t.drop(p)
		return
	}
	s.deliver(p)
}

// issueToken makes a token for ap, valid for d.
func (t *Transport) issueToken(ap netip.AddrPort, d time.Duration) uint64 {
	now := t.now()
	tok := t.randConnID()
	t.tokensIn.put(ap, tok, now.Add(d), now)
	return tok
}

// noReason marks a Retry without a Termination block.
const noReason uint8 = 0xff

// sendRetry sends a Retry to the sender of req ("Retry", "KDF for
// Retry"): connection ids swapped, our intro key as the AEAD key and
// both header keys, a DateTime and the sender's address, and with a
// reason a Termination block (then the token is zero).
func (t *Transport) sendRetry(sock *socket, to netip.AddrPort, req longHeader, token uint64, reason uint8) {
	hdr := longHeader{destID: req.srcID, pn: uint32(t.randUint64()), typ: typeRetry, ver: protocolVersion,
		netID: t.netID, srcID: req.destID, token: token}
	var pl [128]byte
	payload := transport.AppendDateTime(pl[:0], t.now())
	payload = appendAddress(payload, to)
	if reason != noReason {
		payload = transport.AppendTermination(payload, blockTermination, 0, reason)
	}
	payload = transport.AppendPadding(payload, 1+t.rand.Intn(16))
	var buf [longHeaderLen + 128 + macLen]byte
	pkt := sealOutOfSession(buf[:0], &hdr, payload, &t.intro)
	if err := sock.write(pkt, to); err != nil {
		t.log.Debug("ssu2: send Retry", "addr", to.String(), "err", err)
		return
	}
	t.cnt.retries.Add(1)
}

// sealOutOfSession builds a Retry, Token Request, Peer Test or Hole
// Punch: the long header as AD, the payload sealed with key at the packet
// number, then header protection with key for both halves and the rest.
func sealOutOfSession(b []byte, hdr *longHeader, payload []byte, key *[keyLen]byte) []byte {
	start := len(b)
	b = slices.Grow(b, longHeaderLen+len(payload)+macLen)[:start+longHeaderLen]
	hdr.put(b[start:])
	b = crypto.ChaChaPolySeal(key, uint64(hdr.pn), b, payload, b[start:start+longHeaderLen])
	protect(b[start:], key, key, shortHeaderLen)
	return b
}

// hasBlock reports whether a well-formed payload has a block of type typ.
func hasBlock(payload []byte, typ uint8) bool {
	found := false
	_ = parseBlocks(payload, func(t uint8, _ []byte) error {
		found = found || t == typ
		return nil
	})
	return found
}

// sendOutOfSession sends a Peer Test or Hole Punch message to to over
// sock: a long header with connection ids dest and its complement, a
// random packet number and token, sealed and protected with the
// receiver's intro key key; the payload is a DateTime, an Address block
// for addr if valid, block, and padding.
func (t *Transport) sendOutOfSession(sock *socket, to netip.AddrPort, typ uint8, dest uint64, key *[keyLen]byte, addr netip.AddrPort, block []byte) {
	if sock == nil {
		return
	}
	hdr := longHeader{destID: dest, pn: uint32(t.randUint64()), typ: typ, ver: protocolVersion,
		netID: t.netID, srcID: ^dest, token: t.randConnID()}
	var pl [maxPacketLen]byte
	p := transport.AppendDateTime(pl[:0], t.now())
	if addr.IsValid() {
		p = appendAddress(p, addr)
	}
	p = append(p, block...)
	p = transport.AppendPadding(p, t.rand.Intn(16))
	pkt := sealOutOfSession(make([]byte, 0, longHeaderLen+len(p)+macLen), &hdr, p, key)
	if err := sock.write(pkt, to); err != nil {
		t.log.Debug("ssu2: send out of session", "type", typ, "addr", to.String(), "err", err)
	}
}

// openOutOfSession removes header protection from a Peer Test or Hole
// Punch message to us (our intro key) and opens its payload into buf; it
// reports false unless the type is typ, the network ours and the AEAD
// verifies.
func (t *Transport) openOutOfSession(pkt []byte, typ uint8, buf []byte) ([]byte, bool) {
	if len(pkt) < longHeaderLen+minPayloadLen+macLen {
		return nil, false
	}
	hb, hdr := revealLong(pkt, &t.intro, &t.intro)
	if hdr.typ != typ || hdr.check(t.netID) != nil {
		return nil, false
	}
	payload, err := crypto.ChaChaPolyOpen(&t.intro, uint64(hdr.pn), buf, pkt[longHeaderLen:], hb[:])
	return payload, err == nil
}

// checkDateTime finds the DateTime block of an out-of-session or
// handshake payload and reports whether its time is too far from now;
// a payload without one is malformed ("Replay Prevention": these
// messages must carry DateTime blocks).
func checkDateTime(payload []byte, now time.Time, maxSkew time.Duration) (skewed bool, err error) {
	found := false
	err = parseBlocks(payload, func(typ uint8, d []byte) error {
		if typ != blockDateTime {
			return nil
		}
		ts, err := transport.ParseDateTime(d)
		if err != nil {
			return err
		}
		found = true
		skew := transport.Skew(ts, now)
		skewed = skew > maxSkew || skew < -maxSkew
		return nil
	})
	if err == nil && !found {
		err = transport.FormatError("no DateTime block")
	}
	return skewed, err
}
