package ssu2

import (
	"errors"
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/replay"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/ssu2/ack"
)

// receiver is the receiving half of the data phase, owned by run.
type receiver struct {
	keys     dirKeys
	aead     *crypto.ChaChaPoly
	window   replay.Window // duplicate packet numbers
	track    ack.Tracker   // what our ACK blocks say
	received uint64        // valid packets, for Termination
	ackAt    time.Time     // when an ACK is due; zero if none
	unacked  int           // ack-eliciting packets since our last ACK
	reasm    reassembler
	recent   recentIDs
}

// ackNow makes an ACK due at once; ackLater within d.
func (r *receiver) ackNow(now time.Time) { r.ackAt = now }

func (r *receiver) ackLater(now time.Time, d time.Duration) {
	if at := now.Add(d); r.ackAt.IsZero() || at.Before(r.ackAt) {
		r.ackAt = at
	}
}

func (r *receiver) ackDue(now time.Time) bool { return !r.ackAt.IsZero() && !now.Before(r.ackAt) }

// acked notes that an ACK block went out.
func (r *receiver) acked() { r.ackAt, r.unacked = time.Time{}, 0 }

// ackDelay is max(10, min(rtt/6, 150)) ms ("ACK Frequency").
func (s *session) ackDelay() time.Duration {
	return max(ackDelayMin, min(s.snd.rtt.SRTT()/6, ackDelayMax))
}

// handleData reads one data packet: header, AEAD, duplicates, then its
// blocks.
func (s *session) handleData(p *packet, now time.Time) {
	pkt := p.bytes()
	if len(pkt) < shortHeaderLen+minPayloadLen+macLen {
		return
	}
	rc := &s.rcv
	maskConnID(pkt, &s.t.intro)
	maskTypeBytes(pkt, &rc.keys.header)
	h := parseShortHeader(pkt)
	if h.typ != typeData || h.destID != s.recvID {
		// Most likely a Session Confirmed sent again because our ACK
		// of it was lost ("Error Handling"): acknowledge again.
		if s.state == stEstablished && s.dir == transport.Inbound {
			rc.ackNow(now)
		}
		return
	}
	payload, err := rc.aead.Open(uint64(h.pn), pkt[shortHeaderLen:shortHeaderLen], pkt[shortHeaderLen:], pkt[:shortHeaderLen])
	if err != nil {
		s.t.cnt.dropped.Add(1)
		s.log.Debug("ssu2: data packet does not authenticate", "pn", h.pn, "len", len(pkt))
		return
	}
	if s.state == stConfirmedSent {
		// Bob's first data packet: he has our Session Confirmed.
		s.t.removePending(s.out.bob.ap, s)
		s.out.zero()
		if !s.accept(now) {
			return
		}
	}
	if !rc.window.Accept(uint64(h.pn)) {
		rc.ackNow(now) // a duplicate: our ACK may have been lost
		return
	}
	rc.received++
	s.lastRecv = now
	outOfOrder := rc.track.Add(h.pn)
	if p.from != s.RemoteAddr() {
		s.validatePath(p, now)
	}
	eliciting, err := s.handleBlocksEliciting(payload, now)
	if err != nil {
		s.terminate(err, reasonOf(err))
		return
	}
	if eliciting {
		rc.unacked++
		if outOfOrder || h.flags[0]&flagImmediateACK != 0 || rc.unacked >= 2 {
			rc.ackNow(now)
		} else {
			rc.ackLater(now, s.ackDelay())
		}
	}
}

// reasonOf is the termination reason an error carries, else 10 (payload
// format error).
func reasonOf(err error) uint8 {
	if te := (*transport.TerminationError)(nil); errors.As(err, &te) && !te.Remote {
		return te.Reason
	}
	return transport.ReasonPayloadFormat
}

// handleBlocks processes a data payload's blocks.
func (s *session) handleBlocks(payload []byte, now time.Time) error {
	_, err := s.handleBlocksEliciting(payload, now)
	return err
}

// handleBlocksEliciting processes a data payload's blocks and reports
// whether any was ack-eliciting (all but ACK, Address, DateTime,
// Padding and Termination, "Generating ACKs").
func (s *session) handleBlocksEliciting(payload []byte, now time.Time) (eliciting bool, err error) {
	var remote *transport.TerminationError
	err = parseBlocks(payload, func(typ uint8, d []byte) error {
		switch typ {
		case blockDateTime, blockPadding:
			return nil
		case blockACK:
			rs, err := ack.Parse(d, s.snd.ranges[:0])
			if err != nil {
				return transport.FormatError("%v", err)
			}
			s.snd.ranges = rs
			s.onACK(rs, now)
			return nil
		case blockAddress:
			s.sawAddress(d)
			return nil
		case blockTermination:
			_, reason, err := transport.ParseTermination(d)
			if err != nil {
				return err
			}
			remote = &transport.TerminationError{Remote: true, Reason: reason}
			return nil
		}
		eliciting = true
		switch typ {
		case blockI2NP:
			m, err := transport.ParseShortI2NP(d)
			if err != nil {
				return err
			}
			m.Payload = append([]byte(nil), m.Payload...)
			s.deliverMessage(&m)
		case blockFirstFragment:
			m, err := transport.ParseShortI2NP(d)
			if err != nil {
				return err
			}
			if len(m.Payload) == 0 {
				return transport.FormatError("empty First Fragment")
			}
			if !s.rcv.recent.has(m.ID) {
				s.deliverMessage(s.rcv.reasm.first(m, now))
			}
		case blockFollowOnFragment:
			f, err := parseFollowOn(d)
			if err != nil {
				return err
			}
			if !s.rcv.recent.has(f.msgID) {
				s.deliverMessage(s.rcv.reasm.followOn(f, now))
			}
		case blockRouterInfo:
			b, err := parseRouterInfoBlock(d)
			if err != nil {
				return err
			}
			s.receivedRouterInfo(b)
		case blockNewToken:
			s.keepToken(d)
		case blockPathChallenge:
			if len(d) <= maxPathChallenge {
				s.snd.pathReply = append(s.snd.pathReply[:0:0], d...)
				s.rcv.ackNow(now)
			}
		case blockPathResponse:
			s.pathResponse(d, now)
		case blockPeerTest:
			s.handlePeerTest(d, now)
		case blockRelayRequest:
			s.relayBob(d)
		case blockRelayIntro:
			s.relayCharlie(d)
		case blockRelayResponse:
			s.relayResponse(d)
		case blockRelayTagRequest:
			s.relayTagRequested()
		case blockRelayTag:
			s.gotRelayTag(d)
		case blockCongestion:
			if len(d) > 0 && d[0]&0x01 != 0 {
				s.rcv.ackNow(now)
			}
		}
		// Options and unknown types: not acted on; they still get
		// acknowledged.
		return nil
	})
	if err == nil && remote != nil {
		s.peerTerminated(remote)
	}
	return eliciting, err
}

// deliverMessage hands a complete I2NP message to the Handler unless a
// message with its id was delivered recently (a fragment sent again
// after its ACK was lost).
func (s *session) deliverMessage(m *transport.Message) {
	if m == nil || s.state != stEstablished {
		return
	}
	if s.rcv.recent.seen(m.ID) {
		return
	}
	s.msgsIn.Add(1)
	s.t.cfg.Handler.Received(s, m)
}

// receivedRouterInfo checks a RouterInfo block and hands it on; one that
// fails is dropped (a netDb store would drop it too), not fatal.
func (s *session) receivedRouterInfo(b routerInfoBlock) {
	ri, err := data.ParseRouterInfo(append([]byte(nil), b.ri...))
	if err == nil {
		err = ri.Verify()
	}
	if err != nil {
		s.log.Debug("ssu2: bad RouterInfo block", "err", err)
		return
	}
	s.lastRI = ri
	if ri.Hash() == s.peer {
		if old := s.peerRI.Load(); old == nil || ri.Published > old.Published {
			s.peerRI.Store(ri)
		}
	}
	s.t.cfg.Handler.ReceivedRouterInfo(s, ri, b.flood)
}

// peerTerminated ends the session on the peer's Termination, confirming
// it with reason 1 unless it was itself a confirmation ("Session
// Termination").
func (s *session) peerTerminated(te *transport.TerminationError) {
	s.setErr(te)
	if te.Reason != transport.ReasonTermination && s.state == stEstablished {
		s.sendTermination(transport.ReasonTermination)
	}
	s.state = stClosing
	s.finish()
	s.exiting = true
}

// validatePath starts checking a new source address of an authenticated
// packet ("Connection Migration"): a Path Challenge goes there, and the
// session moves only when the matching Path Response comes back.
func (s *session) validatePath(p *packet, now time.Time) {
	if s.path.to == p.from && now.Sub(s.path.sentAt) < pathTimeout {
		return // already challenged
	}
	s.path.to, s.path.sentAt = p.from, now
	s.t.randBytes(s.path.data[:])
	b := appendPath(s.payload[:0], blockPathChallenge, s.path.data[:])
	b = transport.AppendPadding(b, s.t.rand.Intn(16))
	pkt := s.sealData(b, s.snd.pn, 0)
	s.snd.pn++
	if err := s.sock.write(pkt, p.from); err == nil {
		s.bytesOut.Add(uint64(len(pkt)))
	}
}

// pathResponse completes a path validation or a ping.
func (s *session) pathResponse(d []byte, now time.Time) {
	if s.path.sentAt.IsZero() || len(d) != pathChallengeLen || string(d) != string(s.path.data[:]) {
		return
	}
	if to := s.path.to; to != s.RemoteAddr() && now.Sub(s.path.sentAt) < pathTimeout {
		s.log.Info("ssu2: peer moved", "from", s.RemoteAddr().String(), "to", to.String())
		s.setRemote(to)
	}
	s.path.sentAt = time.Time{}
}

// handleClosing answers a packet for a closing session with our
// Termination again, a few times at most.
func (s *session) handleClosing(p *packet, now time.Time) {
	if s.closing.replies >= maxClosingReplies || s.closing.packet == nil {
		return
	}
	s.closing.replies++
	s.send(s.closing.packet, now)
}

// dataDeadlines reports the data phase's timers to earliest.
func (s *session) dataDeadlines(earliest func(time.Time)) {
	if s.state != stEstablished {
		return
	}
	sn := &s.snd
	earliest(s.rcv.ackAt)
	earliest(s.rtoAt())
	earliest(s.lastRecv.Add(s.t.cfg.IdleTimeout))
	if s.hasInflight() {
		earliest(sn.lastProgress.Add(maxUnacked))
		if sn.largestAcked >= 0 {
			for _, p := range sn.inflight {
				if !p.done && int64(p.pn) < sn.largestAcked {
					earliest(p.at.Add(s.lossDelay()))
					break
				}
			}
		}
	}
	if s.t.cfg.KeepAlive > 0 {
		earliest(s.keepAt)
	}
	earliest(s.rcv.reasm.nextExpiry())
}

// dataTimer runs the data phase's due timers, then sends what is due.
func (s *session) dataTimer(now time.Time) {
	sn := &s.snd
	switch {
	case now.Sub(s.lastRecv) >= s.t.cfg.IdleTimeout:
		s.terminate(&transport.TerminationError{Reason: transport.ReasonIdleTimeout}, transport.ReasonIdleTimeout)
		return
	case s.hasInflight() && now.Sub(sn.lastProgress) >= maxUnacked:
		s.terminate(fmt.Errorf("ssu2: nothing acknowledged for %v: %w", maxUnacked, errTooManyResends), reasonTimeout)
		return
	}
	if at := s.rtoAt(); !at.IsZero() && !now.Before(at) {
		s.onRTO(now)
	} else {
		s.detectLoss(now)
		s.compactInflight()
	}
	if s.state != stEstablished {
		return
	}
	s.keepAlive(now)
	s.rcv.reasm.expire(now)
	s.flush(now)
}
