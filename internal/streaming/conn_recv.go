package streaming

import (
	"slices"
	"time"
)

// The receive side: packets are delivered in sequence order; those ahead
// of a gap wait (bounded) for it to fill. Acks are delayed to bundle
// several packets in one, except where the sender or a gap asks for one
// now. When the application stops reading and the buffer fills, the peer
// is choked (a requested delay above 60000 ms) and unchoked once half of
// it is read ("Transmit/Receive Windows and Choking").

// Ack timing.
const (
	quickAckDelay = 5 * time.Millisecond // "immediate": lets a burst share one ack
	ackEvery      = 8                    // packets received before an ack goes out regardless
	unchokeAcks   = 3                    // acks that repeat an unchoke, in case one is lost
)

type recvState struct {
	next    uint32 // the next sequence number to deliver
	highest uint32 // highest sequence number received, if any
	any     bool
	ooo     map[uint32]segment // received ahead of next
	chunks  [][]byte           // delivered, not yet read
	bytes   int                // in chunks and ooo
	limit   int                // bytes buffered before we choke
	ahead   uint32             // how far past next a packet may be kept
	closed  bool               // the peer's CLOSE was delivered

	ackDue    time.Time // zero: no ack owed
	unacked   int       // packets since the last ack we sent
	lastNACKs []uint32  // the NACKs we sent last, to notice new gaps
	choking   bool
	unchoke   int // acks left that carry the unchoke

	packets, dups uint64
}

type segment struct {
	payload []byte
	close   bool
}

func newRecvState(o *Options) recvState {
	// INBOUND_BUFFER_SIZE = maxMessageSize · (maxWindowSize + 2)
	return recvState{ooo: make(map[uint32]segment), limit: o.MaxMessageSize * (o.MaxWindow + 2),
		ahead: uint32(2 * o.MaxWindow)}
}

// buffered is how many bytes are ready to read.
func (r *recvState) buffered() int {
	n := 0
	for _, c := range r.chunks {
		n += len(c)
	}
	return n
}

// read copies delivered data into b.
func (r *recvState) read(b []byte) int {
	n := 0
	for n < len(b) && len(r.chunks) > 0 {
		k := copy(b[n:], r.chunks[0])
		n += k
		if k == len(r.chunks[0]) {
			r.chunks[0] = nil
			r.chunks = r.chunks[1:]
		} else {
			r.chunks[0] = r.chunks[0][k:]
		}
	}
	r.bytes -= n
	return n
}

// unchokeDue lifts our choke once the application has read half the
// buffer, and reports whether an ack should go out to say so.
func (r *recvState) unchokeDue() bool {
	if !r.choking || r.bytes > r.limit/2 {
		return false
	}
	r.choking, r.unchoke = false, unchokeAcks
	r.ackDue = time.Now()
	return true
}

// discard drops everything buffered (after a local Close).
func (r *recvState) discard() {
	r.chunks = nil
	r.bytes = 0
	clear(r.ooo)
}

// ackSoon makes an ack due at now+d at the latest.
func (r *recvState) ackSoon(now time.Time, d time.Duration) {
	if t := now.Add(d); r.ackDue.IsZero() || t.Before(r.ackDue) {
		r.ackDue = t
	}
}

// nacks returns ackThrough and the missing sequence numbers below it, at
// most 255 (the count is one byte): with more, ackThrough stops short.
func (r *recvState) nacks() (through uint32, missing []uint32) {
	through = r.highest
	for s := r.next; s < r.highest; s++ {
		if _, ok := r.ooo[s]; ok {
			continue
		}
		if len(missing) == 255 {
			return s - 1, missing
		}
		missing = append(missing, s)
	}
	return through, missing
}

// receiveLocked handles one packet for this connection.
func (c *Conn) receiveLocked(in inPacket, now time.Time) {
	p := in.p
	if in.sender != ([32]byte{}) {
		if c.sender == ([32]byte{}) {
			c.sender = in.sender
		} else if in.sender != c.sender {
			c.m.count(&c.m.stats.Foreign)
			return // another garlic session than the peer's
		}
	}
	if p.Has(FlagReset) {
		c.resetReceivedLocked(p)
		return
	}
	if p.Has(FlagSynchronize) && !c.synLocked(in) {
		return
	}
	if c.sendID != 0 && p.RecvStreamID != c.sendID {
		c.m.count(&c.m.stats.Foreign)
		return
	}
	if p.Has(FlagFromIncluded) && p.From.Hash() != c.remote.Hash {
		c.m.count(&c.m.stats.Foreign)
		return
	}
	if p.Has(FlagClose) && !p.Has(FlagSynchronize) {
		// CLOSE must be signed (streaming.rst); a SYN's signature was
		// checked with the SYN.
		if !c.haveRemote || c.verifier.verify(p) != nil {
			c.m.count(&c.m.stats.BadSignature)
			return
		}
	}
	c.lastRecv = now
	if p.Has(FlagDelayRequested) {
		c.setChokedLocked(p.Delay >= chokeDelay, now)
	}
	// A SYN's ackThrough means nothing until it names our stream (the
	// initiator's SYN has not seen ours).
	if !p.Has(FlagNoAck) && c.sendID != 0 && !(p.Has(FlagSynchronize) && p.SendStreamID == 0) {
		c.ackedLocked(p.AckThrough, p.NACKs, now)
	}
	if p.IsPlainAck() {
		return
	}
	c.dataLocked(p, now)
}

// synLocked takes the SYN reply (outbound) or a repeated SYN (inbound);
// it reports whether to go on with the packet.
func (c *Conn) synLocked(in inPacket) bool {
	p := in.p
	if !c.outbound || c.sendID != 0 {
		// The SYN that opened an inbound connection was checked by the
		// Manager; a repeat, or a repeated reply, is a duplicate of
		// sequence 0 and gets acked as such.
		return in.verified || (p.Has(FlagFromIncluded) && p.From.Hash() == c.remote.Hash)
	}
	if !p.Has(FlagFromIncluded) || p.From.Hash() != c.remote.Hash || p.RecvStreamID == 0 {
		c.m.count(&c.m.stats.Foreign)
		return false
	}
	v, err := fromVerifier(p, time.Now())
	if err == nil {
		err = v.verify(p)
	}
	if err != nil {
		c.m.count(&c.m.stats.BadSignature)
		return false
	}
	c.sendID, c.remoteDest, c.verifier, c.haveRemote = p.RecvStreamID, p.From, v, true
	c.mtu = negotiateMTU(c.mtu, p)
	c.broadcastLocked() // Dial waits for this
	return true
}

// negotiateMTU is the smaller of ours and the peer's (1730, Java's
// default, when its SYN does not say).
func negotiateMTU(ours int, p *Packet) int {
	theirs := 1730
	if p.Has(FlagMaxPacketSize) {
		theirs = int(p.MaxSize)
	}
	return min(ours, max(theirs, minMTU))
}

// resetReceivedLocked ends the connection on a RESET signed by the peer.
func (c *Conn) resetReceivedLocked(p *Packet) {
	v := c.verifier
	if !c.haveRemote {
		// A refusal of our SYN: signed by the destination we dialled.
		if !p.Has(FlagFromIncluded) || p.From.Hash() != c.remote.Hash {
			c.m.count(&c.m.stats.Foreign)
			return
		}
		var err error
		if v, err = fromVerifier(p, time.Now()); err != nil {
			c.m.count(&c.m.stats.BadSignature)
			return
		}
	}
	if v.verify(p) != nil {
		c.m.count(&c.m.stats.BadSignature)
		return
	}
	err := ErrReset
	if c.outbound && c.sendID == 0 {
		err = ErrRefused
	}
	c.failLocked(err, false)
}

// setChokedLocked follows the peer's choke state.
func (c *Conn) setChokedLocked(choked bool, now time.Time) {
	s := &c.snd
	if choked == s.choked {
		return
	}
	s.choked = choked
	if choked {
		s.persistAt = now.Add(s.rtt.timeout())
	}
}

// dataLocked takes a packet with a sequence number: data, SYN, CLOSE or
// a keep-alive.
func (c *Conn) dataLocked(p *Packet, now time.Time) {
	r := &c.rcv
	r.packets++
	s := p.Seq
	if s < r.next {
		r.dups++
		r.ackSoon(now, quickAckDelay) // our ack was lost, or is late
		return
	}
	if s-r.next > r.ahead {
		c.m.count(&c.m.stats.Dropped)
		return
	}
	if _, dup := r.ooo[s]; dup {
		r.dups++
		r.ackSoon(now, quickAckDelay)
		return
	}
	size := len(p.Payload)
	if c.localClosed && size > 0 {
		c.failLocked(errAborted, true) // data after Close: RESET, as TCP
		return
	}
	if size > 0 && r.bytes+size > r.limit && s != r.next {
		// Full: drop it and say so now. The next packet in sequence is
		// always taken, as it may fill the gap that holds the rest back.
		r.choking = true
		r.ackDue = now
		c.m.count(&c.m.stats.Dropped)
		return
	}
	if !r.any || s > r.highest {
		r.highest, r.any = s, true
	}
	r.unacked++
	r.bytes += size
	if s == r.next {
		r.deliver(segment{p.Payload, p.Has(FlagClose)})
		for {
			seg, ok := r.ooo[r.next]
			if !ok {
				break
			}
			delete(r.ooo, r.next)
			r.deliver(seg)
		}
		c.broadcastLocked()
	} else {
		r.ooo[s] = segment{p.Payload, p.Has(FlagClose)}
		if _, missing := r.nacks(); !slices.Equal(missing, r.lastNACKs) {
			r.ackDue = now // a new gap: NACK it at once for a fast retransmit
		}
	}
	c.scheduleAckLocked(p, now)
}

// deliver appends an in-order segment.
func (r *recvState) deliver(seg segment) {
	if len(seg.payload) > 0 {
		r.chunks = append(r.chunks, seg.payload)
	}
	if seg.close {
		r.closed = true
	}
	r.next++
}

// scheduleAckLocked sets when the ack of a new packet goes out: as the
// sender asked (0: now), else within a quarter RTT bounded by AckDelay,
// at once every ackEvery packets, and quickly for SYN and CLOSE.
func (c *Conn) scheduleAckLocked(p *Packet, now time.Time) {
	r := &c.rcv
	d := c.m.opts.AckDelay
	switch {
	case p.Has(FlagSynchronize) || p.Has(FlagClose) || r.unacked >= ackEvery:
		d = quickAckDelay
	case p.Has(FlagDelayRequested) && p.Delay < chokeDelay:
		d = min(d, max(time.Duration(p.Delay)*time.Millisecond, quickAckDelay))
	case c.snd.rtt.sampled:
		d = min(d, max(c.snd.rtt.srtt/4, quickAckDelay))
	}
	r.ackSoon(now, d)
}
