package streaming

import (
	"time"
)

// The send side: written bytes wait in buf until they fill a packet (the
// MTU) or flushDelay passes, which bundles small writes; packets go out
// while the congestion window has room and the peer has not choked us.
// Every packet carries the current ack. A packet is sent again when its
// RTO expires, when the peer NACKed it twice and an RTT has passed since
// it went out (fast retransmit), or once as a tail-loss probe when the
// last packets of a burst get no ack.

// Send timing.
const (
	flushDelay  = 10 * time.Millisecond // bundles writes that come in quick succession
	synAckDelay = 50 * time.Millisecond // an accepted connection's first data can ride in the SYN reply
	// fastRetransmitNACKs: the spec asks for two NACKs; one NACK (a
	// later packet arrived) and an age past reorderWait is the same
	// evidence sooner, as RACK (RFC 8985) reasons.
	fastRetransmitNACKs = 1
	probeSlack          = 50 * time.Millisecond // allowance for the receiver's ack delay in the probe timeout
)

type sendState struct {
	buf     []byte    // written, not yet in a packet
	flushAt time.Time // when a partial packet goes out; zero with buf empty
	next    uint32    // next sequence number
	unacked []*sentPacket
	rtt     rttEstimator
	win     window

	choked    bool
	persistAt time.Time // while choked: when to probe with one packet
	synSent   bool
	closeSent bool
	closeSeq  uint32
	closeAck  time.Time // when our CLOSE and all before it were acked; zero before
	keepalive bool      // send an empty packet that needs an ack
	repeated  bool      // the last RTO got no ack since
	probed    bool      // the tail-loss probe of this flight went out
	lastNew   time.Time // when the last new packet went out
	paceAt    time.Time // no new packet before this (pacing)
	reorder   int       // quarters of SRTT a NACKed packet may be late: 1 to 4

	sent, resent           uint64
	timeouts, fast, probes uint64
}

type sentPacket struct {
	seq         uint32
	payload     []byte
	flags       Flags // SYN, CLOSE, or none
	first, last time.Time
	sends       int // transmissions, for Karn's rule
	timeouts    int // RTO retransmissions while not choked, against MaxResends
	fasts       int // fast retransmissions
	nacks       int // NACKs since the last transmission
}

// maxFastRetransmits bounds the fast retransmissions of one packet; the
// RTO, which backs off, takes over after them.
const maxFastRetransmits = 3

// dueAt is when sp times out: the RTO, doubled for each timeout of this
// packet (as Java backs off per packet), so a packet that the path keeps
// losing is not sent ever faster while others get through.
func (s *sendState) dueAt(sp *sentPacket) time.Time {
	rto := s.rtt.timeout()
	for i := 0; i < sp.timeouts && rto < maxRTO; i++ {
		rto *= 2
	}
	return sp.last.Add(min(rto, maxRTO))
}

// fastDue reports whether sp may be fast-retransmitted at now (and when
// it will be, if it is NACKed).
func (s *sendState) fastDue(sp *sentPacket) (time.Time, bool) {
	if s.choked || sp.nacks < fastRetransmitNACKs || sp.fasts >= maxFastRetransmits {
		return time.Time{}, false
	}
	return sp.last.Add(s.reorderWait()), true
}

func newSendState(o *Options) sendState {
	return sendState{rtt: newRTTEstimator(o.InitialRTO, o.MinRTO), win: newWindow(o), reorder: 1}
}

// lowestUnacked is the lowest sequence number not yet acked.
func (s *sendState) lowestUnacked() uint32 {
	if len(s.unacked) > 0 {
		return s.unacked[0].seq
	}
	return s.next
}

// ackedLocked takes an ack: everything through ackThrough except nacks.
func (c *Conn) ackedLocked(through uint32, nacks []uint32, now time.Time) {
	s := &c.snd
	if through >= s.next {
		c.m.count(&c.m.stats.Foreign) // acks what we never sent
		return
	}
	nacked := make(map[uint32]bool, len(nacks))
	for _, n := range nacks {
		nacked[n] = true
	}
	var sample, shortest time.Duration
	acked := 0
	keep := s.unacked[:0]
	for _, sp := range s.unacked {
		if sp.seq > through {
			keep = append(keep, sp)
			continue
		}
		if nacked[sp.seq] {
			sp.nacks++
			keep = append(keep, sp)
			continue
		}
		acked++
		if sp.sends > 1 && s.rtt.sampled && now.Sub(sp.last) < s.rtt.srtt/2 {
			// Acked too soon for the copy sent last: the first one
			// arrived, late. Undo the reduction; tolerate more reordering.
			s.win.undo()
			s.reorder = min(s.reorder*2, 4)
		}
		if sp.sends == 1 {
			// Karn: only packets sent once time the path. Java takes the
			// longest of those one ack covers, as they left together.
			d := now.Sub(sp.first)
			sample = max(sample, d)
			if shortest == 0 || d < shortest {
				shortest = d
			}
		}
	}
	clear(s.unacked[len(keep):])
	s.unacked = keep
	if s.closeSent && s.closeAck.IsZero() && len(s.unacked) == 0 {
		// Our CLOSE and everything before it arrived. (A CLOSE acked
		// beyond a NACKed gap does not count yet.)
		s.closeAck = now
	}
	if acked == 0 {
		return
	}
	if sample > 0 {
		s.rtt.sampleAck(sample, shortest)
	}
	s.rtt.backoff, s.repeated, s.probed = 0, false, false
	s.win.acked(acked, s.lowestUnacked())
	c.broadcastLocked()
}

// sendLocked returns the packets to send at now.
func (c *Conn) sendLocked(now time.Time) [][]byte {
	var out [][]byte
	s := &c.snd
	if !s.synSent && (c.outbound || c.synAckDueLocked(now)) {
		out = c.newPacketLocked(out, FlagSynchronize, now)
		s.synSent = true
	}
	out = c.retransmitLocked(out, now)
	if c.err != nil {
		return out
	}
	for c.canSendLocked(now) {
		n := min(len(s.buf), c.mtu)
		closing := c.closeWanted && n == len(s.buf)
		switch {
		case n == c.mtu, closing, n > 0 && !now.Before(s.flushAt), s.keepalive:
		default:
			n = -1
		}
		if n < 0 {
			break
		}
		var f Flags
		if closing {
			f = FlagClose
			s.closeSent, s.closeSeq = true, s.next
			c.closeRecvFirst = c.rcv.closed
		}
		out = c.newPacketLocked(out, f, now)
		s.keepalive = false
		if s.choked {
			s.persistAt = now.Add(s.rtt.timeout())
			break // one probe while choked
		}
	}
	if len(s.buf) == 0 {
		s.flushAt = time.Time{}
	}
	out = c.probeLocked(out, now)
	if !c.rcv.ackDue.IsZero() && !now.Before(c.rcv.ackDue) && c.sendID != 0 {
		out = c.appendLocked(out, &Packet{SendStreamID: c.sendID, RecvStreamID: c.recvID}, now)
	}
	return out
}

// synAckDueLocked says when an inbound connection sends its SYN reply:
// after synAckDelay, or as soon as there is data for it.
func (c *Conn) synAckDueLocked(now time.Time) bool {
	return len(c.snd.buf) > 0 || c.closeWanted || !now.Before(c.created.Add(synAckDelay))
}

// canSendLocked reports whether a new packet may go out.
func (c *Conn) canSendLocked(now time.Time) bool {
	s := &c.snd
	if !s.synSent || c.sendID == 0 || s.closeSent || c.err != nil {
		return false
	}
	if s.choked {
		return len(s.unacked) == 0 && !now.Before(s.persistAt)
	}
	// Packets acked beyond a gap wait in the receiver's buffer: keep the
	// span from the lowest unacked packet within the window the receiver
	// holds, as Java bounds it.
	return len(s.unacked) < s.win.size() && s.next-s.lowestUnacked() < uint32(c.m.opts.MaxWindow) &&
		!now.Before(s.paceAt)
}

// Pacing: new packets go out at about the window's rate over an RTT
// (twice that in slow start, 1.25 times after, as Linux paces TCP), in
// bursts of at most paceBurst, rather than a whole window at once into
// the tunnel gateway's queue.
const paceBurst = 4

// paced moves the pacing clock on for one new packet sent at now.
func (s *sendState) paced(now time.Time) {
	if !s.rtt.sampled || s.win.cwnd <= 0 {
		return
	}
	factor := 1.25
	if s.win.cwnd < s.win.ssthresh {
		factor = 2
	}
	gap := time.Duration(float64(s.rtt.srtt) / (s.win.cwnd * factor))
	base := now.Add(-paceBurst * gap)
	if s.paceAt.After(base) {
		base = s.paceAt
	}
	s.paceAt = base.Add(gap)
}

// newPacketLocked takes the next sequence number for a packet with up to
// an MTU of buffered data and flags f, and sends it.
func (c *Conn) newPacketLocked(out [][]byte, f Flags, now time.Time) [][]byte {
	s := &c.snd
	n := min(len(s.buf), c.mtu)
	sp := &sentPacket{seq: s.next, flags: f, first: now, last: now, sends: 1}
	if f&FlagSynchronize != 0 && c.closeWanted && n == len(s.buf) {
		sp.flags |= FlagClose // the whole exchange fits in the SYN reply
		s.closeSent, s.closeSeq = true, s.next
		c.closeRecvFirst = c.rcv.closed
	}
	if n > 0 {
		sp.payload = append([]byte(nil), s.buf[:n]...)
		s.buf = s.buf[n:]
		c.broadcastLocked() // room for writers
	}
	s.next++
	s.unacked = append(s.unacked, sp)
	s.sent++
	s.lastNew = now
	s.paced(now)
	s.probed = false
	return c.appendLocked(out, c.packetOf(sp), now)
}

// packetOf is the packet that carries sp.
func (c *Conn) packetOf(sp *sentPacket) *Packet {
	return &Packet{SendStreamID: c.sendID, RecvStreamID: c.recvID, Seq: sp.seq, Flags: sp.flags, Payload: sp.payload}
}

// retransmitLocked sends again what timed out or was NACKed enough.
// While the peer chokes us only the lowest packet goes, as a probe, and
// it does not count against MaxResends: the peer is there, just full.
// A packet that timed out MaxResends times ends the connection.
func (c *Conn) retransmitLocked(out [][]byte, now time.Time) [][]byte {
	s := &c.snd
	timedOut := false
	budget := s.win.size()
	if s.choked {
		budget = 1
	}
	for _, sp := range s.unacked {
		fastAt, fastOK := s.fastDue(sp)
		fast := fastOK && !now.Before(fastAt)
		if !fast && (now.Before(s.dueAt(sp)) || budget <= 0) {
			continue
		}
		if fast {
			sp.fasts++
			s.fast++
			s.win.lost(sp.seq, s.next-1, s.backlog())
		} else {
			if !s.choked {
				if sp.timeouts >= c.m.opts.MaxResends {
					c.failLocked(ErrTimeout, true)
					return out
				}
				sp.timeouts++
			}
			s.timeouts++
			budget--
			if !timedOut {
				timedOut = true
				if !s.choked {
					s.win.timedOut(sp.seq, s.next-1, s.repeated)
					s.repeated = true
				}
				s.rtt.backoff++
			}
		}
		out = c.resendLocked(out, sp, now)
	}
	return out
}

// backlog estimates how many of our packets wait in queues on the path
// (Vegas and Veno): the window times the share of the recent RTT above
// the lowest RTT seen.
func (s *sendState) backlog() float64 {
	r := &s.rtt
	if !r.sampled || r.recent <= r.min {
		return 0
	}
	return s.win.cwnd * float64(r.recent-r.min) / float64(r.recent)
}

// reorderWait is how old a NACKed packet must be before it counts as
// lost rather than overtaken: an RTT and a quarter at first, so packets
// reordered by a quarter RTT on the way do not trigger fast retransmits;
// up to two RTTs after spurious retransmissions.
func (s *sendState) reorderWait() time.Duration {
	srtt := s.rtt.smoothed()
	return srtt + srtt*time.Duration(s.reorder)/4
}

// resendLocked sends sp again.
func (c *Conn) resendLocked(out [][]byte, sp *sentPacket, now time.Time) [][]byte {
	sp.sends++
	sp.last = now
	sp.nacks = 0
	c.snd.resent++
	return c.appendLocked(out, c.packetOf(sp), now)
}

// probeLocked sends the last unacked packet again when a flight's tail
// got no ack for two RTTs, so the receiver's answer shows what is
// missing long before the RTO (a tail-loss probe).
func (c *Conn) probeLocked(out [][]byte, now time.Time) [][]byte {
	s := &c.snd
	at, ok := c.probeAtLocked()
	if !ok || now.Before(at) {
		return out
	}
	s.probed = true
	s.probes++
	return c.resendLocked(out, s.unacked[len(s.unacked)-1], now)
}

// probeAtLocked is when the tail-loss probe is due (ok false: none).
func (c *Conn) probeAtLocked() (time.Time, bool) {
	s := &c.snd
	if s.probed || len(s.unacked) == 0 || !s.rtt.sampled || s.choked || c.sendID == 0 {
		return time.Time{}, false
	}
	pto := 2*s.rtt.srtt + probeSlack
	if pto >= s.rtt.timeout() {
		return time.Time{}, false
	}
	return s.lastNew.Add(pto), true
}

// appendLocked completes p with our ack and options, encodes it (signed
// where the protocol says) and appends it to out.
func (c *Conn) appendLocked(out [][]byte, p *Packet, now time.Time) [][]byte {
	s := &c.snd
	p.ResendDelay = uint8(min(s.rtt.timeout()/time.Second, 255))
	syn := p.Has(FlagSynchronize)
	c.fillAckLocked(p, syn)
	if !p.IsPlainAck() && !p.Has(FlagReset) && !p.Has(FlagDelayRequested) {
		c.requestDelayLocked(p)
	}
	if syn {
		c.m.id.withFrom(p)
		p.Flags |= FlagMaxPacketSize
		p.MaxSize = uint16(c.m.opts.MaxMessageSize)
		if c.outbound {
			p.SetReplayHash(c.remote.Hash)
		}
	}
	var b []byte
	var err error
	if p.Flags&(FlagSynchronize|FlagClose|FlagReset) != 0 {
		b, err = c.m.id.sign(p)
	} else {
		b, err = p.Append(nil)
	}
	if err != nil {
		c.m.log.Warn("streaming: packet not encoded", "err", err)
		return out
	}
	c.lastSend = now
	return append(out, b)
}

// fillAckLocked puts our ack (and choke state) in p. A SYN carries no
// NACKs: the initiator's holds the replay hash there, and the reply must
// not have any (streaming.rst, "Replay prevention").
func (c *Conn) fillAckLocked(p *Packet, syn bool) {
	r := &c.rcv
	switch {
	case !r.any || (syn && r.next == 0):
		p.Flags |= FlagNoAck
	case syn:
		p.AckThrough = r.next - 1
	default:
		p.AckThrough, p.NACKs = r.nacks()
		r.lastNACKs = p.NACKs
	}
	r.ackDue, r.unacked = time.Time{}, 0
	switch {
	case r.choking:
		p.Flags |= FlagDelayRequested
		p.Delay = 61000 // Java's choke value
	case r.unchoke > 0:
		p.Flags |= FlagDelayRequested
		p.Delay = 0
		r.unchoke--
	}
}

// requestDelayLocked asks the receiver, as Java does, to ack at once when
// our window is nearly full, at every eighth packet, for CLOSE and for the
// last packet of a burst; otherwise within half an RTT.
func (c *Conn) requestDelayLocked(p *Packet) {
	s := &c.snd
	room := s.win.size() - len(s.unacked)
	p.Flags |= FlagDelayRequested
	if p.Has(FlagClose) || room < (s.win.size()+2)/3 || room < 3 || p.Seq%8 == 0 || len(s.buf) == 0 {
		p.Delay = 0
		return
	}
	p.Delay = uint16(min(s.rtt.smoothed()/8/time.Millisecond, 60000))
}
