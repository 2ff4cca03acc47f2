package ssu2

// Data-phase output, on the session's goroutine:
//
//  1. Send queues messages; flush takes them as the window allows and
//     cuts each into chunks once: a whole message is one I2NP block, a
//     larger one a First Fragment and Follow-on Fragments whose sizes
//     never change, since a retransmitted fragment must keep its length
//     ("I2NP Message Fragmentation"). The last fragment waits until the
//     others are acknowledged (holdsLast).
//  2. Each packet gets a new packet number and carries an ACK block if
//     one is due, a DateTime now and then, pending control blocks, then
//     chunks: first those to resend, then new ones.
//  3. An ACK removes packets from flight, feeds the RTT estimator and the
//     window, and marks their chunks delivered; a message whose chunks
//     are all delivered is done. A packet is lost when three later ones
//     were acknowledged (until the path is seen to reorder, reorder.go),
//     when it is older than 9/8 RTT behind an acknowledged one, or when
//     the retransmission timer (RFC 6298) fires; its undelivered chunks
//     go out again in new packets ("Data phase packets ... are never
//     retransmitted whole").

import (
	"slices"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/ssu2/ack"
	"github.com/veil-i2p/veil/internal/transport/ssu2/cc"
)

// Packet layout choices.
const (
	// ackRoom is what a chunk leaves free in a full packet: an ACK block
	// with a few ranges fits next to any chunk.
	ackRoom = blockHeaderLen + ack.MinLen + 2*12
	// maxACKBlock bounds the ACK block (ranges beyond are left out).
	maxACKBlock = blockHeaderLen + ack.MinLen + 2*maxACKRanges
	// maxBurst bounds the packets one flush sends before returning to
	// the loop, so received packets are not starved.
	maxBurst = 64
	// maxActive bounds the messages being cut and sent at once (some
	// wait to send their last fragment, see holdsLast).
	maxActive = 64
	// expiryGrace keeps sending a message a little past its expiration
	// (peers allow clock skew too).
	expiryGrace = 10 * time.Second
)

// sender is the sending half of the data phase, owned by run.
type sender struct {
	keys      dirKeys
	aead      *crypto.ChaChaPoly
	peerIntro [keyLen]byte // k_header_1 of our packets: the receiver's intro key
	pn        uint32       // next packet number
	win       *cc.Window
	rtt       ack.RTT

	inflight     []*sentPacket // ascending packet numbers; done ones leave from the front
	active       []*outMsg     // messages with chunks not yet sent once, in order
	retx         []chunkRef    // chunks to send again
	largestAcked int64         // -1 before any ACK
	reo          reorder       // loss thresholds
	lastDateTime time.Time
	lastProgress time.Time // data last acknowledged, or first put in flight

	newToken    uint64 // a New Token to send once, 0 if none
	newTokenExp time.Time
	pathReply   []byte      // Path Response data to send
	ping        bool        // send a Path Challenge (keepalive)
	ranges      []ack.Range // scratch
	pending     []chunkRef  // scratch: chunks of the packet being built
}

// sentPacket is one ack-eliciting packet in flight.
type sentPacket struct {
	pn         uint32
	at         time.Time
	size       int
	chunks     []chunkRef
	ackThrough int64 // the ACK block's "ack through" it carried, -1 if none
	done       bool  // acknowledged or declared lost
}

// outMsg is a message being sent, cut into chunks.
type outMsg struct {
	it     *outItem
	gz     bool // RouterInfo gzipped
	chunks []chunk
	next   int // first chunk never sent
	acked  int
	exp    time.Time
}

type chunk struct {
	off, n int
	acked  bool
	queued bool // waiting in retx
	sends  int
}

type chunkRef struct {
	m *outMsg
	i int
}

// newOutMsg cuts it into chunks whose blocks are at most max bytes. It
// returns nil for a RouterInfo that cannot fit one packet even gzipped.
func newOutMsg(it *outItem, max int) *outMsg {
	m := &outMsg{it: it}
	if it.block != nil {
		if len(it.block) > max {
			return nil
		}
		m.chunks = []chunk{{n: len(it.block)}}
		return m
	}
	if it.ri != nil {
		if blockHeaderLen+2+len(it.ri) > max {
			z := gzipRouterInfo(it.ri)
			if blockHeaderLen+2+len(z) > max {
				return nil
			}
			m.it = &outItem{ri: z, flood: it.flood}
			m.gz = true
		}
		m.chunks = []chunk{{n: len(m.it.ri)}}
		return m
	}
	msg := it.msg
	m.exp = msg.Expiration.Add(expiryGrace)
	body := len(msg.Payload)
	if blockHeaderLen+i2npHeaderLen+body <= max {
		m.chunks = []chunk{{n: body}}
		return m
	}
	first := max - blockHeaderLen - i2npHeaderLen
	m.chunks = append(m.chunks, chunk{n: first})
	per := max - blockHeaderLen - followOnHeaderLen
	for off := first; off < body; off += per {
		m.chunks = append(m.chunks, chunk{off: off, n: min(per, body-off)})
	}
	return m
}

func (r chunkRef) blockLen() int {
	m := r.m
	switch {
	case m.it.block != nil:
		return len(m.it.block)
	case m.it.ri != nil:
		return blockHeaderLen + 2 + len(m.it.ri)
	case len(m.chunks) == 1:
		return blockHeaderLen + i2npHeaderLen + m.chunks[0].n
	case r.i == 0:
		return blockHeaderLen + i2npHeaderLen + m.chunks[0].n
	}
	return blockHeaderLen + followOnHeaderLen + m.chunks[r.i].n
}

func (r chunkRef) appendTo(b []byte) []byte {
	m := r.m
	if m.it.block != nil {
		return append(b, m.it.block...)
	}
	if m.it.ri != nil {
		return appendRouterInfoBlock(b, m.it.ri, m.it.flood, m.gz)
	}
	msg := m.it.msg
	if len(m.chunks) == 1 {
		return transport.AppendI2NPBlock(b, blockI2NP, msg)
	}
	c := m.chunks[r.i]
	part := msg.Payload[c.off : c.off+c.n]
	if r.i == 0 {
		return appendFirstFragment(b, msg, part)
	}
	return appendFollowOn(b, msg.ID, r.i, r.i == len(m.chunks)-1, part)
}

// startDataPhase installs the data-phase keys; our packets are numbered
// from firstPN.
func (s *session) startDataPhase(send, recv dirKeys, peerIntro [keyLen]byte, firstPN uint32) {
	now := time.Now()
	s.snd.keys, s.snd.peerIntro, s.snd.pn = send, peerIntro, firstPN
	s.snd.aead = crypto.NewChaChaPoly(&s.snd.keys.data)
	s.snd.win = cc.New(s.maxPacket())
	s.snd.largestAcked = -1
	s.rcv.keys = recv
	s.rcv.aead = crypto.NewChaChaPoly(&s.rcv.keys.data)
	s.rcv.track = ack.Tracker{MaxRanges: maxACKRanges, MaxDepth: maxACKDepth}
	s.lastRecv = now
	s.keepAt = now
}

// maxPayload is the plaintext that fits a data packet.
func (s *session) maxPayload() int { return s.maxPacket() - shortHeaderLen - macLen }

// chunkMax is the largest chunk block, leaving room for an ACK block.
func (s *session) chunkMax() int { return s.maxPayload() - ackRoom }

// flush sends what is due: data the window allows, an ACK, control
// blocks. Only an established session sends data.
func (s *session) flush(now time.Time) {
	if s.state != stEstablished {
		return
	}
	for range maxBurst {
		if !s.sendPacket(now) {
			return
		}
	}
	// More to send: come back through the loop (received packets first).
	s.q.Wake()
}

// nextChunk returns the next chunk to send, taking a new message from
// the queue when nothing is pending; ok is false when there is none.
func (s *session) nextChunk(now time.Time) (chunkRef, bool) {
	sn := &s.snd
	for len(sn.retx) > 0 {
		r := sn.retx[0]
		c := &r.m.chunks[r.i]
		if c.acked || r.m.expired(now) {
			c.queued = false
			sn.retx = sn.retx[1:]
			continue
		}
		return r, true
	}
	for {
		for i := 0; i < len(sn.active); {
			switch m := sn.active[i]; {
			case m.next >= len(m.chunks) || m.expired(now):
				sn.active = slices.Delete(sn.active, i, i+1)
			case m.holdsLast():
				i++
			default:
				return chunkRef{m: m, i: m.next}, true
			}
		}
		if len(sn.active) >= maxActive {
			return chunkRef{}, false
		}
		it, ok := s.q.Pop()
		if !ok {
			return chunkRef{}, false
		}
		if m := newOutMsg(it, s.chunkMax()); m != nil {
			sn.active = append(sn.active, m)
		}
	}
}

// takeChunk records that r goes out now.
func (s *session) takeChunk(r chunkRef) {
	sn := &s.snd
	c := &r.m.chunks[r.i]
	if c.queued {
		c.queued = false
		sn.retx = sn.retx[1:] // r came from the front of retx
	} else {
		r.m.next++
		if r.m.next == len(r.m.chunks) && r.m.it.msg != nil {
			s.msgsOut.Add(1)
		}
	}
	c.sends++
}

// holdsLast reports whether m's next chunk is its last Follow-on
// Fragment while an earlier fragment is unacknowledged: it waits until
// they all are. i2pd 2.45.1 drops a message that its out-of-order
// fragments complete behind a resent one (SSU2Session::
// HandleFollowOnFragment hands it on without FromNTCP2, so it reads as
// expired), and that is what happens when a middle fragment is lost but
// the last one arrives. Sent last and alone, the last fragment always
// completes the message in order (or a resent First Fragment does). It
// costs a fragmented message one round trip; other messages go on
// meanwhile (TestSSU2LossyI2pd: 64 of 150 fragmented messages lost at 5%
// loss without it).
func (m *outMsg) holdsLast() bool {
	return len(m.chunks) > 1 && m.next == len(m.chunks)-1 && m.acked < m.next
}

func (m *outMsg) expired(now time.Time) bool {
	return !m.exp.IsZero() && now.After(m.exp)
}

// sendPacket builds and sends one data packet; it reports whether it
// sent chunks (so there may be more to send).
func (s *session) sendPacket(now time.Time) bool {
	sn := &s.snd
	rc := &s.rcv
	maxPayload := s.maxPayload()
	ackDue := rc.ackDue(now)
	if ackDue && len(rc.track.Ranges()) == 0 {
		rc.acked() // nothing received to acknowledge: no packet for it
		ackDue = false
	}
	dateDue := now.Sub(sn.lastDateTime) >= dateTimeInterval
	control := sn.newToken != 0 || sn.pathReply != nil || sn.ping
	_, haveData := s.nextChunk(now)
	canSend := haveData && sn.win.CanSend(s.maxPacket())
	if !ackDue && !control && !canSend {
		return false
	}
	p := s.payload[:0]
	through := int64(-1)
	if len(rc.track.Ranges()) > 0 {
		p = transport.AppendBlockHeader(p, blockACK, 0)
		start := len(p)
		p = ack.Append(p, rc.track.Ranges(), min(maxACKBlock, maxPayload/2)-blockHeaderLen)
		setBlockSize(p, start)
		through = int64(rc.track.Ranges()[0].Hi)
		rc.acked()
	}
	if dateDue && len(p)+blockHeaderLen+transport.DateTimeLen <= maxPayload {
		p = transport.AppendDateTime(p, s.t.now())
		sn.lastDateTime = now
	}
	eliciting := false
	if sn.newToken != 0 && len(p)+blockHeaderLen+newTokenLen <= maxPayload {
		p = appendNewToken(p, sn.newTokenExp, sn.newToken)
		sn.newToken, eliciting = 0, true
	}
	if sn.pathReply != nil && len(p)+blockHeaderLen+len(sn.pathReply) <= maxPayload {
		p = appendPath(p, blockPathResponse, sn.pathReply)
		sn.pathReply, eliciting = nil, true
	}
	if sn.ping && len(p)+blockHeaderLen+pathChallengeLen <= maxPayload {
		s.t.randBytes(s.path.data[:])
		s.path.to, s.path.sentAt = s.RemoteAddr(), now
		p = appendPath(p, blockPathChallenge, s.path.data[:])
		sn.ping, eliciting = false, true
	}
	sn.pending = sn.pending[:0]
	for canSend {
		r, ok := s.nextChunk(now)
		if !ok || len(p)+r.blockLen() > maxPayload {
			break
		}
		p = r.appendTo(p)
		s.takeChunk(r)
		sn.pending = append(sn.pending, r)
	}
	eliciting = eliciting || len(sn.pending) > 0
	if pad := maxPayload - len(p); pad >= blockHeaderLen {
		n := s.t.rand.Intn(16)
		if len(p)+blockHeaderLen+n < minPayloadLen {
			n = minPayloadLen - len(p) - blockHeaderLen
		}
		p = transport.AppendPadding(p, min(max(n, 0), pad-blockHeaderLen))
	}
	var flags byte
	_, more := s.nextChunk(now)
	if len(sn.pending) > 0 && (!more || !sn.win.CanSend(2*s.maxPacket())) {
		flags = flagImmediateACK // the last of a burst ("Immediate ACK Flag")
	}
	pn := sn.pn
	pkt := s.sealData(p, pn, flags)
	s.send(pkt, now)
	sn.pn++
	if eliciting {
		sp := &sentPacket{pn: pn, at: now, size: len(pkt), ackThrough: through}
		if len(sn.pending) > 0 {
			sp.chunks = append([]chunkRef(nil), sn.pending...)
		}
		if !s.hasInflight() {
			sn.lastProgress = now
		}
		sn.inflight = append(sn.inflight, sp)
		sn.win.Sent(sp.size)
	}
	return len(sn.pending) > 0
}

// setBlockSize writes the size of the block whose data starts at start
// and runs to the end of p.
func setBlockSize(p []byte, start int) {
	n := len(p) - start
	p[start-2], p[start-1] = byte(n>>8), byte(n)
}

// sealData encrypts payload as data packet pn ("Data Message", "KDF for
// data phase"): the unprotected 16-byte header is the AD, the packet
// number the nonce; then header protection with the peer's intro key and
// our direction's header key.
func (s *session) sealData(payload []byte, pn uint32, flags byte) []byte {
	sn := &s.snd
	pkt := s.scratch[:shortHeaderLen]
	h := shortHeader{destID: s.sendID, pn: pn, typ: typeData, flags: [3]byte{flags}}
	h.put(pkt)
	pkt = sn.aead.Seal(uint64(pn), pkt, payload, pkt[:shortHeaderLen])
	protect(pkt, &sn.peerIntro, &sn.keys.header, 0)
	return pkt
}

func (s *session) hasInflight() bool {
	for _, p := range s.snd.inflight {
		if !p.done {
			return true
		}
	}
	return false
}

// onACK processes an ACK block's ranges.
func (s *session) onACK(ranges []ack.Range, now time.Time) {
	sn := &s.snd
	if len(ranges) == 0 {
		return
	}
	var newest *sentPacket
	progress := false
	for _, p := range sn.inflight {
		if p.done || !inRanges(ranges, p.pn) {
			continue
		}
		p.done = true
		progress = true
		sn.win.Acked(p.size, p.at)
		for _, r := range p.chunks {
			r.m.ack(r.i)
		}
		if p.ackThrough >= 0 {
			s.rcv.track.Forget(uint32(p.ackThrough))
		}
		if newest == nil || p.pn > newest.pn {
			newest = p
		}
	}
	if hi := int64(ranges[0].Hi); hi > sn.largestAcked {
		sn.largestAcked = hi
		if newest != nil && int64(newest.pn) == hi {
			sn.rtt.Sample(now.Sub(newest.at))
		}
	}
	if progress {
		sn.rtt.Reset()
		sn.lastProgress = now
	}
	sn.reo.acked(ranges, now)
	s.detectLoss(now)
	s.compactInflight()
}

func inRanges(rs []ack.Range, pn uint32) bool {
	for _, r := range rs {
		if pn >= r.Lo && pn <= r.Hi {
			return true
		}
	}
	return false
}

// ack marks chunk i delivered.
func (m *outMsg) ack(i int) {
	if c := &m.chunks[i]; !c.acked {
		c.acked = true
		m.acked++
	}
}

// lossDelay is RFC 9002's time threshold: 9/8 of the larger of the
// smoothed and the latest RTT, or the reordering seen (see reorder.go).
func (s *session) lossDelay() time.Duration {
	rtt := max(s.snd.rtt.SRTT(), s.snd.rtt.Latest())
	if rtt == 0 {
		rtt = ack.InitialRTO
	}
	return max(rtt*9/8, s.snd.reo.delay, time.Millisecond)
}

// detectLoss declares lost the packets below the largest acknowledged
// one that are the packet threshold numbers (unless the path reorders)
// or lossDelay behind it.
func (s *session) detectLoss(now time.Time) {
	sn := &s.snd
	delay, threshold := s.lossDelay(), sn.reo.threshold()
	for _, p := range sn.inflight {
		if p.done {
			continue
		}
		if int64(p.pn) >= sn.largestAcked {
			break
		}
		if threshold > 0 && sn.largestAcked-int64(p.pn) >= threshold || now.Sub(p.at) >= delay {
			s.lost(p, now)
		}
	}
}

// lost requeues a lost packet's undelivered chunks.
func (s *session) lost(p *sentPacket, now time.Time) {
	sn := &s.snd
	p.done = true
	sn.reo.declared(p)
	sn.win.Lost(p.size, p.at, now)
	for _, r := range p.chunks {
		c := &r.m.chunks[r.i]
		if c.acked || c.queued || r.m.expired(now) {
			continue
		}
		if c.sends > maxResends {
			s.terminate(errTooManyResends, reasonTimeout)
			return
		}
		c.queued = true
		sn.retx = append(sn.retx, r)
	}
}

// compactInflight drops finished packets from the front.
func (s *session) compactInflight() {
	sn := &s.snd
	i := 0
	for i < len(sn.inflight) && sn.inflight[i].done {
		sn.inflight[i] = nil
		i++
	}
	sn.inflight = sn.inflight[i:]
	if len(sn.inflight) == 0 {
		sn.inflight = nil
	}
}

// rtoAt is when the oldest packet in flight times out, or zero.
func (s *session) rtoAt() time.Time {
	for _, p := range s.snd.inflight {
		if !p.done {
			return p.at.Add(s.snd.rtt.RTO())
		}
	}
	return time.Time{}
}

// onRTO handles an expired retransmission timer: every packet older than
// the timeout is lost, the window collapses and the timeout doubles.
func (s *session) onRTO(now time.Time) {
	sn := &s.snd
	rto := sn.rtt.RTO()
	any := false
	for _, p := range sn.inflight {
		if !p.done && now.Sub(p.at) >= rto {
			s.lost(p, now)
			any = true
		}
	}
	if any {
		sn.win.Timeout(now)
		sn.rtt.Backoff()
		s.compactInflight()
	}
}

// sendTermination sends a data packet with a Termination block and
// returns it (for resends while closing). The block comes first: i2pd
// 2.45.1 reads the reason at payload byte 11.
func (s *session) sendTermination(reason uint8) []byte {
	p := transport.AppendTermination(s.payload[:0], blockTermination, s.rcv.received, reason)
	p = transport.AppendPadding(p, s.t.rand.Intn(16))
	pkt := s.sealData(p, s.snd.pn, 0)
	s.snd.pn++
	s.send(pkt, time.Now())
	return append([]byte(nil), pkt...)
}

// keepAlive asks for a Path Challenge (a ping, which the peer answers)
// once nothing was sent for the keepalive period.
func (s *session) keepAlive(now time.Time) {
	ka := s.t.cfg.KeepAlive
	if ka <= 0 || now.Before(s.keepAt) {
		return
	}
	if now.Sub(s.lastSent) >= ka {
		s.snd.ping = true
	}
	s.keepAt = now.Add(s.t.rand.Jitter(ka))
}

var errTooManyResends = &transport.TerminationError{Reason: reasonTimeout, Detail: "data not acknowledged"}
