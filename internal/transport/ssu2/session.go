package ssu2

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/transport"
)

// session states.
const (
	stTokenRequest    = iota // Alice: Token Request sent, waiting for Retry
	stSessionRequest         // Alice: Session Request sent
	stConfirmedSent          // Alice: Session Confirmed sent, waiting for Bob's first data packet
	stRequestReceived        // Bob: a Session Request with a valid token, not yet read
	stCreatedSent            // Bob: Session Created sent, waiting for Session Confirmed
	stEstablished
	stClosing // Termination sent; answering stray packets with it for a moment
)

// session is one SSU2 session, from the first handshake message to the
// end of its closing period.
//
// Ownership: the run goroutine owns everything below "owned by run":
// the handshake, keys, packet numbers, ACK state, congestion window,
// reassembly and timers. Other goroutines reach the session through the
// inbound packet channel (demux), the send queue (Send), close requests
// (Close) and the atomics and mutex-guarded fields. The first error is
// sticky: it is what Err and Handler.Closed report.
type session struct {
	t    *Transport
	sock *socket
	dir  transport.Direction

	// Fixed before run starts.
	recvID uint64 // destination connection id of packets to us
	sendID uint64 // destination connection id of packets we send
	// bobIntro is Bob's intro key for an outbound session: the header
	// key of its handshake packets both ways (read by demux too).
	bobIntro [keyLen]byte

	// Set before the Handler's Established, read-only after.
	peer   data.Hash
	peerRI atomic.Pointer[data.RouterInfo]

	addrMu sync.Mutex
	remote netip.AddrPort
	seen   netip.AddrPort // our address as the peer last told us (Address block)

	// introTag is the relay tag the peer gave us: it introduces us.
	introTag atomic.Uint32
	tagAsked atomic.Bool // we asked for a relay tag in the data phase

	in      chan *packet
	q       *transport.SendQueue[*outItem]
	closeMu sync.Mutex
	closeRq *transport.TerminationError // a Close request run has not seen yet
	closeCh chan struct{}               // 1-slot notify for closeRq

	established chan struct{} // closed once the Handler accepted the session
	done        chan struct{} // closed when the session has ended
	errMu       sync.Mutex
	err         error

	startedAt atomic.Int64 // wall clock of Established, unix nanoseconds
	bytesIn   atomic.Uint64
	bytesOut  atomic.Uint64
	msgsIn    atomic.Uint64
	msgsOut   atomic.Uint64

	// Owned by run.
	log      *slog.Logger
	state    int
	accepted bool // the Handler's Established returned nil
	exiting  bool
	hsSlot   bool             // holds one of t.hsSlots
	relayTag uint32           // the relay tag we gave the peer (we introduce it)
	lastRI   *data.RouterInfo // the last RouterInfo block received (relay, peer test)
	out      *outboundHS
	inb      *inboundHS
	snd      sender
	rcv      receiver
	mtu      int // path MTU towards the peer
	lastRecv time.Time
	lastSent time.Time
	keepAt   time.Time // next keepalive check
	closing  struct {
		until   time.Time
		packet  []byte // our Termination, sent again on stray packets
		replies int
	}
	path struct { // a path validation in progress (migration or ping)
		to     netip.AddrPort
		data   [pathChallengeLen]byte
		sentAt time.Time
	}
	scratch [maxPacketLen + macLen]byte // outgoing packets
	payload [maxPacketLen]byte          // outgoing plaintext
}

var _ transport.Session = (*session)(nil)

func newSession(t *Transport, sock *socket, dir transport.Direction, remote netip.AddrPort) *session {
	s := &session{
		t: t, sock: sock, dir: dir, remote: remote,
		in: make(chan *packet, inQueueLen), q: transport.NewSendQueue[*outItem](t.cfg.QueueLen), closeCh: make(chan struct{}, 1),
		established: make(chan struct{}), done: make(chan struct{}),
		log: t.log.With("addr", remote.String(), "direction", dir.String()),
	}
	s.mtu = t.mtuFor(remote.Addr(), 0)
	return s
}

// mtuFor is the MTU towards a peer of addr's family that publishes mtu
// (0: the default): the smaller of ours and theirs.
func (t *Transport) mtuFor(addr netip.Addr, peer int) int {
	m := t.cfg.MTU4
	if addr.Unmap().Is6() {
		m = t.cfg.MTU6
	}
	if peer >= MinMTU && peer < m {
		m = peer
	}
	return m
}

// maxPacket is the largest datagram towards the peer.
func (s *session) maxPacket() int {
	if s.RemoteAddr().Addr().Is6() {
		return s.mtu - ipv6Overhead
	}
	return s.mtu - ipv4Overhead
}

func (s *session) Peer() data.Hash                  { return s.peer }
func (s *session) PeerRouterInfo() *data.RouterInfo { return s.peerRI.Load() }
func (s *session) Transport() string                { return "SSU2" }
func (s *session) Direction() transport.Direction   { return s.dir }
func (s *session) Done() <-chan struct{}            { return s.done }

func (s *session) RemoteAddr() netip.AddrPort {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.remote
}

func (s *session) setRemote(ap netip.AddrPort) {
	s.addrMu.Lock()
	s.remote = ap
	s.addrMu.Unlock()
}

// seenAs is our address as the peer last reported it, or invalid.
func (s *session) seenAs() netip.AddrPort {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.seen
}

func (s *session) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// setErr records err if it is the first; it reports whether it was.
func (s *session) setErr(err error) bool {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if s.err != nil {
		return false
	}
	s.err = err
	return true
}

func (s *session) Stats() transport.Stats {
	var est time.Time
	if ns := s.startedAt.Load(); ns != 0 {
		est = time.Unix(0, ns)
	}
	return transport.Stats{
		Established: est,
		BytesIn:     s.bytesIn.Load(), BytesOut: s.bytesOut.Load(),
		MsgsIn: s.msgsIn.Load(), MsgsOut: s.msgsOut.Load(),
		Dropped: s.q.Dropped(),
	}
}

// ErrMessageTooLarge is returned by Send for a message above the most
// SSU2 fragments carry.
var ErrMessageTooLarge = errors.New("ssu2: message too large")

// Send queues m; m must not be modified afterwards. A zero Expiration is
// sent as one minute from now.
func (s *session) Send(m *transport.Message, p transport.Priority) error {
	if len(m.Payload) > maxMessageSize {
		return fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, len(m.Payload))
	}
	m = transport.WithExpiration(m, s.t.now().Add(time.Minute))
	if s.Err() != nil {
		return transport.ErrClosed
	}
	return s.q.Push(&outItem{msg: m}, p)
}

// SendRouterInfo queues a RouterInfo block at high priority, gzipped if
// that is what makes it fit one packet.
func (s *session) SendRouterInfo(ri *data.RouterInfo, flood bool) error {
	b := ri.Bytes()
	if len(b) == 0 || len(b) > maxRouterInfoLen {
		return fmt.Errorf("ssu2: RouterInfo of %d bytes cannot be sent", len(b))
	}
	if s.Err() != nil {
		return transport.ErrClosed
	}
	return s.q.Push(&outItem{ri: b, flood: flood}, transport.PriorityHigh)
}

// Close ends the session, sending a Termination block with reason when
// the handshake is done. It does not wait; Done is closed when the
// session has ended.
func (s *session) Close(reason uint8) error {
	s.closeMu.Lock()
	if s.closeRq == nil {
		s.closeRq = &transport.TerminationError{Reason: reason}
	}
	s.closeMu.Unlock()
	select {
	case s.closeCh <- struct{}{}:
	default:
	}
	return nil
}

// abort ends a handshake in progress (Dial's context ended).
func (s *session) abort(err error) {
	s.setErr(fmt.Errorf("ssu2: handshake: %w", err))
	s.Close(transport.ReasonNormal)
}

// deliver hands p to the session's goroutine, dropping it if the queue
// is full.
func (s *session) deliver(p *packet) {
	select {
	case s.in <- p:
	default:
		s.t.cnt.queueFull.Add(1)
		s.t.putPacket(p)
	}
}

// isReplyToUs reports whether a packet from the address we are dialling
// is for this outbound handshake: its connection id, protected with
// Bob's intro key (Session Created, Retry), is ours. demux calls it.
func (s *session) isReplyToUs(pkt []byte) bool {
	return s.dir == transport.Outbound && peekConnID(pkt, &s.bobIntro) == s.recvID
}

// run is the session's goroutine; see the type's documentation.
func (s *session) run() {
	defer s.t.wg.Done()
	defer s.cleanup()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	s.begin(time.Now())
	for !s.exiting {
		if d := s.nextDeadline(); d.IsZero() {
			timer.Reset(time.Hour)
		} else {
			timer.Reset(max(time.Until(d), 0))
		}
		select {
		case p := <-s.in:
			s.handle(p)
			for more := true; more && !s.exiting; {
				select {
				case p := <-s.in:
					s.handle(p)
				default:
					more = false
				}
			}
			if !s.exiting {
				s.flush(time.Now())
			}
		case <-s.q.Notify():
			s.flush(time.Now())
		case <-timer.C:
			s.onTimer(time.Now())
		case <-s.closeCh:
			s.closeMu.Lock()
			rq := s.closeRq
			s.closeMu.Unlock()
			s.terminate(rq, rq.Reason)
		case <-s.t.life.Done():
			s.terminate(&transport.TerminationError{Reason: transport.ReasonRouterShutdown}, transport.ReasonRouterShutdown)
			s.exiting = true // no closing period at shutdown
		}
	}
}

// begin starts the handshake.
func (s *session) begin(now time.Time) {
	if s.dir == transport.Outbound {
		s.startOutbound(now)
	}
}

// handle processes one received packet and returns its buffer.
func (s *session) handle(p *packet) {
	defer s.t.putPacket(p)
	now := time.Now()
	s.bytesIn.Add(uint64(p.n))
	switch s.state {
	case stTokenRequest, stSessionRequest:
		s.handleOutboundHandshake(p, now)
	case stConfirmedSent:
		if s.isReplyToUs(p.bytes()) {
			s.handleOutboundHandshake(p, now)
		} else {
			s.handleData(p, now)
		}
	case stRequestReceived, stCreatedSent:
		s.handleInboundHandshake(p, now)
	case stEstablished:
		s.handleData(p, now)
	case stClosing:
		s.handleClosing(p, now)
	}
}

// nextDeadline is the earliest time run must wake up for, or zero.
func (s *session) nextDeadline() time.Time {
	var d time.Time
	earliest := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	switch s.state {
	case stTokenRequest, stSessionRequest, stConfirmedSent:
		earliest(s.out.next)
		earliest(s.out.deadline)
	case stRequestReceived, stCreatedSent:
		earliest(s.inb.next)
		earliest(s.inb.deadline)
	case stClosing:
		earliest(s.closing.until)
		return d
	}
	if s.state == stEstablished || s.state == stConfirmedSent {
		s.dataDeadlines(earliest)
	}
	return d
}

// onTimer runs whatever is due.
func (s *session) onTimer(now time.Time) {
	switch s.state {
	case stTokenRequest, stSessionRequest, stConfirmedSent:
		if s.outboundTimer(now) {
			return
		}
	case stRequestReceived, stCreatedSent:
		s.inboundTimer(now)
		return
	case stClosing:
		if !now.Before(s.closing.until) {
			s.exiting = true
		}
		return
	}
	if s.state == stEstablished {
		s.dataTimer(now)
	}
}

// fail ends a session whose handshake did not complete: no Termination
// (nothing authenticated to send it with), just silence, as ssu2.rst asks
// for handshake errors.
func (s *session) fail(err error) {
	s.setErr(err)
	s.log.Debug("ssu2: handshake failed", "err", err)
	if s.dir == transport.Inbound { // Dial counts outbound failures
		s.t.cnt.failedIn.Add(1)
	}
	s.exiting = true
}

// terminate ends the session with err. In the data phase it sends a
// Termination block with reason (and keeps answering stray packets with
// it for closingLinger); during the handshake it just stops.
func (s *session) terminate(err error, reason uint8) {
	if s.state == stClosing || s.exiting {
		return
	}
	s.setErr(err)
	if s.state != stEstablished {
		s.exiting = true
		return
	}
	s.closing.packet = s.sendTermination(reason)
	s.closing.until = time.Now().Add(closingLinger)
	s.state = stClosing
	s.finish()
}

// finish reports the end to the Handler (if it accepted the session)
// and closes done. The goroutine may linger in stClosing afterwards.
func (s *session) finish() {
	s.q.Close()
	if s.accepted {
		s.log.Debug("ssu2: session ended", "err", s.Err())
		s.t.cfg.Handler.Closed(s, s.Err())
		s.accepted = false
	}
	select {
	case <-s.done:
	default:
		close(s.done)
	}
}

// cleanup runs when run returns: the session leaves the tables, its keys
// are wiped and done is closed if it was not already.
func (s *session) cleanup() {
	if s.Err() == nil {
		s.setErr(transport.ErrClosed)
	}
	if s.out != nil {
		s.t.removePending(s.out.bob.ap, s)
		s.out.zero()
	}
	if s.inb != nil {
		s.inb.zero()
	}
	if s.hsSlot {
		<-s.t.hsSlots
		s.hsSlot = false
	}
	s.snd.keys.zero()
	s.rcv.keys.zero()
	s.dropRelayTag()
	s.t.remove(s)
	s.finish()
}

// send writes one packet to the peer's current address.
func (s *session) send(pkt []byte, now time.Time) {
	if err := s.sock.write(pkt, s.RemoteAddr()); err != nil {
		s.log.Debug("ssu2: send", "err", err)
	}
	s.bytesOut.Add(uint64(len(pkt)))
	s.lastSent = now
}

// accept runs the Handler's Established; on refusal the session is
// terminated with the refusal's reason.
func (s *session) accept(now time.Time) bool {
	s.startedAt.Store(s.t.now().UnixNano())
	s.log = s.log.With("peer", s.peer.String())
	s.state = stEstablished
	if err := s.t.cfg.Handler.Established(s); err != nil {
		reason := transport.ReasonNormal
		if te := (*transport.TerminationError)(nil); errors.As(err, &te) {
			reason = te.Reason
		}
		s.terminate(fmt.Errorf("ssu2: session refused: %w", err), reason)
		return false
	}
	s.accepted = true
	close(s.established)
	s.log.Debug("ssu2: session established", "mtu", s.mtu)
	return true
}

// earlier returns the earlier of two times.
func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
