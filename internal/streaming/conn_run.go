package streaming

import (
	"context"
	"errors"
	"net"
	"time"
)

// The run goroutine of a connection: one loop that takes the received
// packets, runs the timers, sends, and sleeps until the earliest deadline
// or a poke.

// Lifetime timing.
const (
	// timeWait keeps a connection that closed first, after both CLOSEs,
	// so a repeated CLOSE of the peer still gets its ack.
	timeWait = 10 * time.Second
	// closeWait bounds how long a connection closed on our side waits
	// for the peer's CLOSE once ours is acked.
	closeWait = 60 * time.Second
	// sendTimeout bounds one Network.Send (a LeaseSet lookup at worst).
	sendTimeout = 20 * time.Second
	// resetTimeout bounds the last RESET when the Manager closes.
	resetTimeout = time.Second
	idleWake     = time.Minute
)

// ErrConnectTimeout is returned by Dial when no SYN reply came in time.
var ErrConnectTimeout = errors.New("streaming: connect timed out")

// run is the connection's goroutine.
func (c *Conn) run() {
	defer c.m.wg.Done()
	timer := time.NewTimer(idleWake)
	defer timer.Stop()
	ctx := c.m.ctx
	for {
		now := time.Now()
		c.mu.Lock()
		out, next := c.stepLocked(now)
		fin := c.finished
		c.mu.Unlock()
		c.transmit(ctx, out)
		if fin {
			c.m.remove(c)
			c.logEnd()
			return
		}
		timer.Reset(max(time.Until(next), 0))
		select {
		case <-c.kick:
		case <-timer.C:
		case <-c.m.ctx.Done():
			// The Manager closes: say RESET to the peer, briefly.
			c.mu.Lock()
			c.failLocked(net.ErrClosed, true)
			c.mu.Unlock()
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.Background(), resetTimeout)
			defer cancel()
		}
	}
}

// logEnd logs how the connection went.
func (c *Conn) logEnd() {
	st := c.Stats()
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	c.m.log.Debug("streaming: connection ended", "remote", c.remote.String(), "outbound", c.outbound, "err", err,
		"sent", st.Sent, "resent", st.Resent, "timeouts", st.Timeouts, "fast", st.Fast, "probes", st.Probes,
		"received", st.Received, "dup", st.Dup, "srtt", st.SRTT, "window", st.Window, "mtu", st.MTU)
}

// transmit sends packets to the peer.
func (c *Conn) transmit(ctx context.Context, out [][]byte) {
	for _, b := range out {
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		err := c.m.net.Send(sctx, c.remote.Hash, c.local.Port, c.remote.Port, b)
		cancel()
		if err != nil {
			c.m.log.Debug("streaming: send", "to", c.remote.String(), "err", err)
		}
	}
}

// stepLocked does all that is due at now and returns the packets to send
// and when to run next.
func (c *Conn) stepLocked(now time.Time) ([][]byte, time.Time) {
	for _, in := range c.inbox {
		c.receiveLocked(in, now)
	}
	clear(c.inbox)
	c.inbox, c.inboxBytes = c.inbox[:0], 0
	c.timersLocked(now)
	if c.err != nil {
		var out [][]byte
		if c.resetWanted && !c.resetSent && c.sendID != 0 {
			c.resetSent = true
			p := &Packet{SendStreamID: c.sendID, RecvStreamID: c.recvID, Seq: c.snd.next, Flags: FlagReset}
			c.snd.next++
			c.m.id.withFrom(p) // Java checks FROM when present; older peers need it
			out = c.appendLocked(out, p, now)
		}
		c.finished = true
		c.broadcastLocked()
		return out, now
	}
	out := c.sendLocked(now)
	if c.doneLocked(now) {
		c.finished = true
		c.broadcastLocked()
	}
	return out, c.nextLocked(now)
}

// timersLocked handles the connect, inactivity and close timeouts.
func (c *Conn) timersLocked(now time.Time) {
	o := &c.m.opts
	s := &c.snd
	if c.outbound && c.sendID == 0 && o.ConnectTimeout > 0 && !now.Before(c.created.Add(o.ConnectTimeout)) {
		c.failLocked(ErrConnectTimeout, false)
		return
	}
	if at, ok := c.inactiveAtLocked(); ok && !now.Before(at) {
		if o.InactivityAction == inactivitySend && !c.closeWanted && !c.rcv.closed {
			s.keepalive = true
			c.lastSend = now // one keep-alive per timeout
		} else {
			c.failLocked(ErrTimeout, true)
			return
		}
	}
	if c.localClosed && !s.closeAck.IsZero() && !c.rcv.closed && !now.Before(s.closeAck.Add(closeWait)) {
		c.failLocked(ErrTimeout, true) // the peer never closed its side
	}
}

// inactiveAtLocked is when the connection counts as idle (ok false: the
// inactivity timer does not run now).
func (c *Conn) inactiveAtLocked() (time.Time, bool) {
	o := &c.m.opts
	if o.InactivityTimeout <= 0 || o.InactivityAction == inactivityNothing || c.sendID == 0 ||
		len(c.snd.unacked) > 0 || c.snd.keepalive {
		return time.Time{}, false
	}
	last := c.lastSend
	if c.lastRecv.After(last) {
		last = c.lastRecv
	}
	return last.Add(o.InactivityTimeout + c.jitter), true
}

// doneLocked reports whether a clean close is complete: both CLOSEs sent
// and acknowledged, plus TIME-WAIT for the side that closed first.
func (c *Conn) doneLocked(now time.Time) bool {
	s := &c.snd
	if !s.closeSent || s.closeAck.IsZero() || !c.rcv.closed {
		return false
	}
	if c.closeDoneAt.IsZero() {
		c.closeDoneAt = now
		if !c.closeRecvFirst {
			c.closeDoneAt = now.Add(min(timeWait, 2*s.rtt.timeout()))
		}
	}
	return !now.Before(c.closeDoneAt)
}

// nextLocked is the earliest time anything becomes due.
func (c *Conn) nextLocked(now time.Time) time.Time {
	next := now.Add(idleWake)
	at := func(t time.Time) {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	s := &c.snd
	at(c.rcv.ackDue)
	if !s.synSent && !c.outbound {
		at(c.created.Add(synAckDelay))
	}
	if len(s.buf) > 0 && s.flushAt.After(now) {
		at(s.flushAt)
	}
	if (len(s.buf) > 0 || c.closeWanted) && s.paceAt.After(now) {
		at(s.paceAt)
	}
	for _, sp := range s.unacked {
		at(s.dueAt(sp))
		if t, ok := s.fastDue(sp); ok {
			at(t)
		}
	}
	if t, ok := c.probeAtLocked(); ok {
		at(t)
	}
	if s.choked && len(s.unacked) == 0 && len(s.buf) > 0 {
		at(s.persistAt)
	}
	if c.outbound && c.sendID == 0 && c.m.opts.ConnectTimeout > 0 {
		at(c.created.Add(c.m.opts.ConnectTimeout))
	}
	if t, ok := c.inactiveAtLocked(); ok {
		at(t)
	}
	if !c.closeDoneAt.IsZero() {
		at(c.closeDoneAt)
	}
	if c.localClosed && !s.closeAck.IsZero() && !c.rcv.closed {
		at(s.closeAck.Add(closeWait))
	}
	return next
}
