package streaming

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Errors a connection reports.
var (
	ErrReset         = errors.New("streaming: connection reset by peer")
	ErrTimeout       = errors.New("streaming: peer stopped acknowledging")
	ErrRefused       = errors.New("streaming: connection refused")
	ErrTooManyConns  = errors.New("streaming: too many streams")
	errWriteShutdown = errors.New("streaming: write after CloseWrite")
	errAborted       = errors.New("streaming: connection aborted locally")
)

// Conn is one streaming connection; it implements net.Conn. Its run
// goroutine owns the protocol (timers, retransmission, acks, sending);
// Read, Write and the packet dispatcher only change state under mu and
// poke it.
type Conn struct {
	m        *Manager
	outbound bool
	recvID   uint32 // ours: what the peer puts in SendStreamID
	local    Addr
	remote   Addr
	kick     chan struct{} // 1 slot: wakes run

	mu sync.Mutex
	// wake is closed (and replaced) whenever state changes that Read,
	// Write or Dial may wait for.
	wake chan struct{}
	// inbox holds packets for run, dropped past inboxCap packets or
	// inboxBytes bytes.
	inbox      []inPacket
	inboxBytes int

	sendID     uint32 // the peer's stream ID; 0 until its SYN (reply)
	remoteDest data.Destination
	verifier   verifier
	haveRemote bool     // remoteDest and verifier are known
	sender     [32]byte // the garlic key the peer's packets come with, if bound
	mtu        int
	created    time.Time
	jitter     time.Duration // added to the inactivity timeout, as Java does

	snd sendState
	rcv recvState

	// Closing. closeWanted: CloseWrite or Close was called; localClosed:
	// Close was called (no more reads).
	closeWanted, localClosed bool
	closeRecvFirst           bool      // the peer's CLOSE came before ours went out
	closeDoneAt              time.Time // both CLOSEs exchanged: run ends at this time
	err                      error     // sticky: reset, timeout, abort
	resetWanted, resetSent   bool
	lastSend, lastRecv       time.Time
	finished                 bool

	readDeadline, writeDeadline time.Time
}

// inPacket is a received packet waiting for run.
type inPacket struct {
	p        *Packet
	verified bool // the Manager checked its signature (SYN)
	sender   [32]byte
}

// inboxCap bounds the packets queued for one connection: more than a
// full window of data and its acks; maxInboxBytes bounds their bytes
// (packets may be up to 64 KiB).
const (
	inboxCap      = 2*maxWindowCap + 16
	maxInboxBytes = 2 << 20
)

func newConn(m *Manager, outbound bool, recvID uint32, local, remote Addr, now time.Time) *Conn {
	c := &Conn{m: m, outbound: outbound, recvID: recvID, local: local, remote: remote,
		kick: make(chan struct{}, 1), wake: make(chan struct{}), mtu: m.opts.MaxMessageSize,
		created: now, lastSend: now, lastRecv: now,
		jitter: rand.N(10 * time.Second)}
	c.snd = newSendState(&m.opts)
	c.rcv = newRecvState(&m.opts)
	return c
}

// poke wakes the run goroutine.
func (c *Conn) poke() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// broadcastLocked wakes everyone waiting on c.wake.
func (c *Conn) broadcastLocked() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// enqueue hands a received packet to run.
func (c *Conn) enqueue(in inPacket) bool {
	n := len(in.p.raw)
	c.mu.Lock()
	ok := len(c.inbox) < inboxCap && c.inboxBytes+n <= maxInboxBytes && !c.finished
	if ok {
		c.inbox = append(c.inbox, in)
		c.inboxBytes += n
	}
	c.mu.Unlock()
	if ok {
		c.poke()
	}
	return ok
}

// LocalAddr is our destination and port.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr is the peer's destination and port.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// RemoteDestination is the peer's full Destination (as SAM reports it).
func (c *Conn) RemoteDestination() data.Destination {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.remoteDest
}

// waitLocked waits, with mu held, for a state change or the deadline; it
// returns os.ErrDeadlineExceeded when the deadline passed.
func (c *Conn) waitLocked(deadline time.Time) error {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	ch := c.wake
	c.mu.Unlock()
	defer c.mu.Lock()
	select {
	case <-ch:
		return nil
	case <-timeout:
		return os.ErrDeadlineExceeded
	}
}

// opDeadline is the deadline of a Read or Write that began at start:
// the one set (which may change while it waits), or the option's default
// timeout.
func opDeadline(set, start time.Time, def time.Duration) time.Time {
	if set.IsZero() && def > 0 {
		return start.Add(def)
	}
	return set
}

// Read reads data in order; io.EOF after the peer's CLOSE.
func (c *Conn) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := time.Now()
	for {
		if c.localClosed {
			return 0, c.opError("read", net.ErrClosed)
		}
		if c.rcv.buffered() > 0 {
			if len(b) == 0 {
				return 0, nil
			}
			n := c.rcv.read(b)
			if c.rcv.unchokeDue() {
				c.poke()
			}
			return n, nil
		}
		if c.rcv.closed {
			return 0, io.EOF
		}
		if c.err != nil {
			return 0, c.opError("read", c.err)
		}
		if err := c.waitLocked(opDeadline(c.readDeadline, start, c.m.opts.ReadTimeout)); err != nil {
			return 0, c.opError("read", err)
		}
	}
}

// Write queues b for sending, blocking while the send buffer is full.
func (c *Conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := time.Now()
	n := 0
	for len(b) > 0 {
		switch {
		case c.localClosed:
			return n, c.opError("write", net.ErrClosed)
		case c.err != nil:
			return n, c.opError("write", c.err)
		case c.closeWanted:
			return n, c.opError("write", errWriteShutdown)
		}
		room := c.m.opts.BufferSize - len(c.snd.buf)
		if room <= 0 {
			if err := c.waitLocked(opDeadline(c.writeDeadline, start, c.m.opts.WriteTimeout)); err != nil {
				return n, c.opError("write", err)
			}
			continue
		}
		k := min(room, len(b))
		c.snd.buf = append(c.snd.buf, b[:k]...)
		b, n = b[k:], n+k
		if c.snd.flushAt.IsZero() {
			c.snd.flushAt = time.Now().Add(flushDelay)
		}
		c.poke()
	}
	return n, nil
}

// CloseWrite sends what is buffered, then CLOSE: the peer reads EOF. We
// may still read until the peer closes too.
func (c *Conn) CloseWrite() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.localClosed {
		return c.opError("close", net.ErrClosed)
	}
	c.closeWanted = true
	c.broadcastLocked()
	c.poke()
	return nil
}

// Close closes both directions: buffered data is still sent, then CLOSE;
// data arriving later is answered with a RESET, as TCP does.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.localClosed {
		return c.opError("close", net.ErrClosed)
	}
	c.localClosed, c.closeWanted = true, true
	c.rcv.discard()
	c.broadcastLocked()
	c.poke()
	return nil
}

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.setDeadlines(&t, &t) }

// SetReadDeadline sets the read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.setDeadlines(&t, nil) }

// SetWriteDeadline sets the write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.setDeadlines(nil, &t) }

// setDeadlines sets the deadlines given and wakes Read and Write to see
// them.
func (c *Conn) setDeadlines(read, write *time.Time) error {
	c.mu.Lock()
	if read != nil {
		c.readDeadline = *read
	}
	if write != nil {
		c.writeDeadline = *write
	}
	c.broadcastLocked()
	c.mu.Unlock()
	return nil
}

// opError wraps err as net.Conn methods report errors.
func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "i2p", Source: c.local, Addr: c.remote, Err: err}
}

// failLocked ends the connection with err (the first error sticks);
// reset says whether to send the peer a RESET.
func (c *Conn) failLocked(err error, reset bool) {
	if c.err == nil {
		c.err = err
		c.resetWanted = reset
		c.broadcastLocked()
	}
}

// Stats describe a connection for status pages and tests.
type Stats struct {
	Window, Unacked             int
	SRTT, RTO                   time.Duration
	Sent, Resent, Received, Dup uint64
	Timeouts, Fast, Probes      uint64 // retransmissions by cause
	MTU                         int
}

// Stats returns the connection's counters.
func (c *Conn) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Window: c.snd.win.size(), Unacked: len(c.snd.unacked), SRTT: c.snd.rtt.srtt, RTO: c.snd.rtt.timeout(),
		Sent: c.snd.sent, Resent: c.snd.resent, Received: c.rcv.packets, Dup: c.rcv.dups,
		Timeouts: c.snd.timeouts, Fast: c.snd.fast, Probes: c.snd.probes, MTU: c.mtu}
}
