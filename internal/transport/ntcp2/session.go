package ntcp2

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/transport"
)

// ErrMessageTooLarge is returned by Send for a message that cannot fit in
// one frame (payload above MaxMessagePayload).
var ErrMessageTooLarge = errors.New("ntcp2: message too large for one frame")

// session is one established NTCP2 connection.
//
// Ownership: readLoop owns in (and the bufio.Reader under it) and makes
// every Handler call after Established; writeLoop owns the frames sent,
// the idle timer and the DateTime schedule. Other goroutines touch only
// the queue (Send), the atomics, and close (Close). The first error is
// sticky: it is what Err and Handler.Closed report, and it stops both
// loops: writeLoop sends the Termination block if one is due and closes
// the connection; readLoop then fails its read, waits for writeLoop, and
// reports Closed.
type session struct {
	t      *Transport
	conn   net.Conn
	dir    transport.Direction
	remote netip.AddrPort
	peer   data.Hash
	peerRI atomic.Pointer[data.RouterInfo]
	in     *frameReader
	out    *frameWriter
	q      *transport.SendQueue[sendItem]

	established time.Time // wall clock, for Stats
	base        time.Time // monotonic origin of lastActivity
	lastActive  atomic.Int64
	framesIn    atomic.Uint64 // valid frames received, for Termination
	bytesIn     atomic.Uint64
	bytesOut    atomic.Uint64
	msgsIn      atomic.Uint64
	msgsOut     atomic.Uint64

	errMu    sync.Mutex
	err      error
	writeErr error // the writer failed; readLoop may still read a Termination
	sendTerm bool  // writeLoop must send a Termination block
	reason   uint8 // its reason
	closing  chan struct{}

	writerDone chan struct{}
	done       chan struct{}
}

var _ transport.Session = (*session)(nil)

func newSession(t *Transport, res *handshakeResult) (*session, error) {
	k := &res.keys
	defer k.zero()
	inKey, inSip, outKey, outSip := &k.ab, k.sipAB[:], &k.ba, k.sipBA[:]
	dir := transport.Inbound
	if res.initiator {
		inKey, inSip, outKey, outSip = &k.ba, k.sipBA[:], &k.ab, k.sipAB[:]
		dir = transport.Outbound
	}
	in, err := newHalfConn(inKey, inSip)
	if err != nil {
		return nil, err
	}
	out, err := newHalfConn(outKey, outSip)
	if err != nil {
		return nil, err
	}
	s := &session{
		t: t, conn: res.conn, dir: dir, remote: remoteAddr(res.conn), peer: res.peerRI.Hash(),
		in: newFrameReader(in, res.br, res.conn), out: newFrameWriter(out, res.conn),
		q:           transport.NewSendQueue[sendItem](t.cfg.QueueLen),
		established: t.now(), base: time.Now(),
		closing: make(chan struct{}), writerDone: make(chan struct{}), done: make(chan struct{}),
	}
	s.peerRI.Store(res.peerRI)
	return s, nil
}

func (s *session) Peer() data.Hash                  { return s.peer }
func (s *session) PeerRouterInfo() *data.RouterInfo { return s.peerRI.Load() }
func (s *session) Transport() string                { return "NTCP2" }
func (s *session) Direction() transport.Direction   { return s.dir }
func (s *session) RemoteAddr() netip.AddrPort       { return s.remote }
func (s *session) Done() <-chan struct{}            { return s.done }

func (s *session) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

func (s *session) Stats() transport.Stats {
	return transport.Stats{
		Established: s.established,
		BytesIn:     s.bytesIn.Load(), BytesOut: s.bytesOut.Load(),
		MsgsIn: s.msgsIn.Load(), MsgsOut: s.msgsOut.Load(),
		Dropped: s.q.Dropped(),
	}
}

// Send queues m; m must not be modified afterwards. A zero Expiration is
// sent as one minute from now.
func (s *session) Send(m *transport.Message, p transport.Priority) error {
	if len(m.Payload) > MaxMessagePayload {
		return fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, len(m.Payload))
	}
	m = transport.WithExpiration(m, s.t.now().Add(time.Minute))
	if s.Err() != nil {
		return transport.ErrClosed
	}
	return s.q.Push(sendItem{msg: m}, p)
}

// SendRouterInfo queues a RouterInfo block at high priority.
func (s *session) SendRouterInfo(ri *data.RouterInfo, flood bool) error {
	b := ri.Bytes()
	if len(b) == 0 || len(b) > maxBlockDataLen-1 {
		return fmt.Errorf("ntcp2: RouterInfo of %d bytes cannot be sent", len(b))
	}
	if s.Err() != nil {
		return transport.ErrClosed
	}
	return s.q.Push(sendItem{ri: b, flood: flood}, transport.PriorityHigh)
}

// Close ends the session, sending a Termination block with reason. It
// does not wait; Done is closed when the session has ended.
func (s *session) Close(reason uint8) error {
	s.closeWith(&transport.TerminationError{Reason: reason}, true)
	return nil
}

// closeWith records err as the session's error if it is the first, and
// starts the shutdown: with sendTerm the writeLoop gets closeGrace to
// send a Termination (reason from err) before closing the connection;
// without, the connection is closed at once.
func (s *session) closeWith(err error, sendTerm bool) {
	s.errMu.Lock()
	if s.err != nil {
		s.errMu.Unlock()
		return
	}
	s.err = err
	var te *transport.TerminationError
	if sendTerm && errors.As(err, &te) && !te.Remote {
		s.sendTerm, s.reason = true, te.Reason
	}
	send := s.sendTerm
	s.errMu.Unlock()
	s.q.Close()
	close(s.closing)
	if send {
		s.conn.SetWriteDeadline(time.Now().Add(closeGrace))
	} else {
		s.conn.Close()
	}
}

// terminateNow sends a Termination and closes, for sessions refused before
// their loops start.
func (s *session) terminateNow(reason uint8) {
	s.closeWith(&transport.TerminationError{Reason: reason}, true)
	s.finish()
	close(s.done)
}

func (s *session) touch() { s.lastActive.Store(int64(time.Since(s.base))) }

func (s *session) idleFor() time.Duration {
	return time.Since(s.base) - time.Duration(s.lastActive.Load())
}

// readLoop reads frames and dispatches their blocks until the session
// fails, then reports Closed.
func (s *session) readLoop() {
	defer s.t.wg.Done()
	defer func() {
		<-s.writerDone
		s.t.removeSession(s)
		s.t.cfg.Handler.Closed(s, s.Err())
		close(s.done)
	}()
	for {
		p, err := s.in.readFrame()
		if err != nil {
			s.readFailed(err)
			return
		}
		s.framesIn.Store(s.in.frames())
		s.bytesIn.Add(uint64(2 + len(p) + macLen))
		s.touch()
		if err := s.handlePayload(p); err != nil {
			if te := (*transport.TerminationError)(nil); !errors.As(err, &te) {
				err = withReason(err, transport.ReasonPayloadFormat)
			}
			s.closeWith(err, true)
			return
		}
		select {
		case <-s.closing:
			return
		default:
		}
	}
}

// readFailed maps a frame error to the spec's action ("AEAD Error
// Handling"): on a bad MAC or length, linger and read like a prober would
// be treated, then send Termination reason 4 or 9; on a slow frame,
// reason 14; on a dead connection, just close.
func (s *session) readFailed(err error) {
	s.errMu.Lock()
	closing, werr := s.err != nil, s.writeErr
	s.errMu.Unlock()
	if closing {
		return // we are closing; the read failed because of it
	}
	if werr != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		s.closeWith(werr, false) // writeFailed's grace ran out
		return
	}
	var reason uint8
	switch {
	case errors.Is(err, ErrFrameAuth):
		reason = transport.ReasonDataPhaseAEAD
	case errors.Is(err, ErrFrameLength):
		reason = transport.ReasonAEADFramingError
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.closeWith(fmt.Errorf("ntcp2: read: %w", &transport.TerminationError{Reason: transport.ReasonIntraFrameTimeout}), true)
		return
	case errors.Is(err, ErrNonceExhausted):
		s.closeWith(fmt.Errorf("%w: %w", err, &transport.TerminationError{Reason: transport.ReasonNormal}), true)
		return
	default:
		s.closeWith(fmt.Errorf("ntcp2: read: %w", err), false)
		return
	}
	s.linger()
	s.closeWith(fmt.Errorf("%w: %w", err, &transport.TerminationError{Reason: reason}), true)
}

// linger reads and drops a random number of bytes for a random time, so a
// failed frame does not tell an attacker where our frame boundary was.
func (s *session) linger() {
	t := s.t
	if t.cfg.ProbeDelay < 0 {
		return
	}
	delay := time.Duration(t.rand.Intn(int(t.cfg.ProbeDelay) + 1))
	s.conn.SetReadDeadline(time.Now().Add(delay))
	io.CopyN(io.Discard, s.in.r, int64(t.rand.Intn(t.cfg.ProbeRead+1)))
}

// handlePayload dispatches the blocks of one frame.
func (s *session) handlePayload(p []byte) error {
	h := s.t.cfg.Handler
	return parseBlocks(p, func(typ uint8, d []byte) error {
		switch typ {
		case blockI2NP:
			m, err := parseI2NP(d)
			if err != nil {
				return withReason(err, transport.ReasonPayloadFormat)
			}
			m.Payload = append([]byte(nil), m.Payload...)
			s.msgsIn.Add(1)
			h.Received(s, &m)
		case blockRouterInfo:
			b, flood, err := parseRouterInfoBlock(d)
			if err != nil {
				return withReason(err, transport.ReasonPayloadFormat)
			}
			s.receivedRouterInfo(b, flood)
		case blockTermination:
			frames, reason, err := parseTermination(d)
			if err != nil {
				return withReason(err, transport.ReasonPayloadFormat)
			}
			return &transport.TerminationError{Remote: true, Reason: reason,
				Detail: fmt.Sprintf("after %d of our frames", frames)}
		case blockDateTime:
			if _, err := parseDateTime(d); err != nil {
				return withReason(err, transport.ReasonPayloadFormat)
			}
		}
		// Options (padding parameters, advisory), Padding and unknown
		// types are skipped.
		return nil
	})
}

// receivedRouterInfo parses and verifies a RouterInfo block and hands it
// to the Handler; one that fails is dropped (a netDb store would drop it
// too), not fatal to the session.
func (s *session) receivedRouterInfo(b []byte, flood bool) {
	ri, err := data.ParseRouterInfo(append([]byte(nil), b...))
	if err == nil {
		err = ri.Verify()
	}
	if err != nil {
		s.t.log.Debug("ntcp2: bad RouterInfo block", "peer", s.peer, "err", err)
		return
	}
	if ri.Hash() == s.peer {
		if old := s.peerRI.Load(); old == nil || ri.Published > old.Published {
			s.peerRI.Store(ri)
		}
	}
	s.t.cfg.Handler.ReceivedRouterInfo(s, ri, flood)
}

func withReason(err error, reason uint8) error {
	return fmt.Errorf("%w: %w", err, &transport.TerminationError{Reason: reason})
}

// writeLoop sends queued blocks until the session closes.
func (s *session) writeLoop() {
	defer s.t.wg.Done()
	defer close(s.writerDone)
	defer s.finish()
	idle := time.NewTimer(s.t.cfg.IdleTimeout)
	defer idle.Stop()
	// keep fires the keepalive check; it stays nil (never ready) without
	// KeepAlive.
	var keep <-chan time.Time
	var keepTimer *time.Timer
	if s.t.cfg.KeepAlive > 0 {
		keepTimer = time.NewTimer(s.t.rand.Jitter(s.t.cfg.KeepAlive))
		defer keepTimer.Stop()
		keep = keepTimer.C
	}
	w := writer{s: s}
	if err := w.first(); err != nil {
		s.writeFailed(err)
		return
	}
	for {
		select {
		case <-s.closing:
			return
		case <-keep:
			next, err := w.keepAlive()
			if err != nil {
				s.writeFailed(err)
				return
			}
			keepTimer.Reset(next)
		case <-s.q.Notify():
			if err := w.flush(); err != nil {
				s.writeFailed(err)
				return
			}
		case <-idle.C:
			if d := s.idleFor(); d < s.t.cfg.IdleTimeout {
				idle.Reset(s.t.cfg.IdleTimeout - d)
				continue
			}
			s.closeWith(&transport.TerminationError{Reason: transport.ReasonIdleTimeout}, true)
			return
		}
	}
}

// writeFailed handles a failed write. The peer may have closed after
// sending a Termination block we have not read yet, so the reader gets
// closeGrace to find it before the write error becomes the session's.
func (s *session) writeFailed(err error) {
	s.errMu.Lock()
	s.writeErr = err
	s.errMu.Unlock()
	s.conn.SetReadDeadline(time.Now().Add(closeGrace))
	timer := time.NewTimer(closeGrace)
	defer timer.Stop()
	select {
	case <-s.closing:
	case <-timer.C:
	}
	s.closeWith(err, false)
}

// finish runs once at the end of writeLoop: the Termination block if one
// is due, then the connection is closed.
func (s *session) finish() {
	s.errMu.Lock()
	send, reason := s.sendTerm, s.reason
	s.sendTerm = false
	s.errMu.Unlock()
	if send {
		n, _ := s.out.writeFrame(func(p []byte) []byte {
			p = appendTermination(p, s.framesIn.Load(), reason)
			return appendPadding(p, s.t.rand.Intn(maxSmallPadding+1))
		})
		s.bytesOut.Add(uint64(n))
	}
	s.conn.Close()
}

// writer builds frames for writeLoop.
type writer struct {
	s        *session
	batch    []sendItem
	lastTime time.Time // last DateTime sent (monotonic)
	lastSent time.Time // last frame sent (monotonic)
}

// keepAlive sends a DateTime frame if nothing was sent for the keepalive
// period, and returns when to check again.
func (w *writer) keepAlive() (time.Duration, error) {
	period := w.s.t.rand.Jitter(w.s.t.cfg.KeepAlive)
	if since := time.Since(w.lastSent); since < period {
		return period - since, nil
	}
	w.lastTime = time.Time{} // force the DateTime block
	return period, w.write(nil)
}

// first sends the opening frame: a DateTime, and to an inbound peer our
// RouterInfo (ntcp2.rst, "4) Data Phase": Bob may send his RouterInfo as
// his first message; i2pd does).
func (w *writer) first() error {
	s := w.s
	var ri []byte
	if s.dir == transport.Inbound {
		ri = s.t.cfg.RouterInfo().Bytes()
		if len(ri) > maxBlockDataLen-1-blockHeaderLen-dateTimeLen-blockHeaderLen-maxSmallPadding {
			ri = nil
		}
	}
	return w.write(ri)
}

// flush sends everything queued, a few KB per frame.
func (w *writer) flush() error {
	for {
		select {
		case <-w.s.closing:
			return nil
		default:
		}
		w.batch = w.s.q.PopBatch(w.batch[:0], coalesceLimit, itemLen)
		if len(w.batch) == 0 {
			return nil
		}
		if err := w.write(nil); err != nil {
			return err
		}
	}
}

// write sends one frame: a DateTime if due, ri (if any), the batch, and a
// little padding on small frames, each only if it still fits.
func (w *writer) write(ri []byte) error {
	s := w.s
	size := 0
	for i := range w.batch {
		size += w.batch[i].blockLen()
	}
	if ri != nil {
		size += blockHeaderLen + 1 + len(ri)
	}
	withTime := (w.lastTime.IsZero() || time.Since(w.lastTime) >= dateTimeInterval) &&
		size+blockHeaderLen+dateTimeLen <= maxPayloadLen
	if withTime {
		size += blockHeaderLen + dateTimeLen
		w.lastTime = time.Now()
	}
	pad := -1
	if size < smallFrame {
		pad = s.t.rand.Intn(maxSmallPadding + 1)
	}
	n, err := s.out.writeFrame(func(p []byte) []byte {
		if withTime {
			p = appendDateTime(p, unixSeconds(s.t.now()))
		}
		if ri != nil {
			p = appendRouterInfo(p, ri, false)
		}
		for i := range w.batch {
			p = w.batch[i].appendTo(p)
		}
		if pad >= 0 {
			p = appendPadding(p, pad)
		}
		return p
	})
	if err != nil {
		return fmt.Errorf("ntcp2: write: %w", err)
	}
	s.bytesOut.Add(uint64(n))
	s.touch()
	w.lastSent = time.Now()
	for i := range w.batch {
		if w.batch[i].msg != nil {
			s.msgsOut.Add(1)
		}
		w.batch[i] = sendItem{}
	}
	return nil
}
