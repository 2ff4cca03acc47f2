// Package cc is SSU2's congestion control: a byte-counting window in the
// manner of NewReno as RFC 9002 (§7) describes it for QUIC, which is
// what ssu2.rst points to ("Congestion Control": base it on byte counts,
// after RFC 9002; the window itself is left to implementations). Only
// ack-eliciting packets count; ACK-only packets are never held back.
//
// It is pure state with time passed in: no I/O, no goroutines. Not safe
// for concurrent use; it belongs to its session's goroutine.
package cc

import "time"

// Window sizes in datagrams (RFC 9002 §7.2: an initial window of ten;
// a minimum of two). The maximum is a quarter of i2pd's
// SSU2_MAX_WINDOW_SIZE: the window goes out in bursts, and i2pd 2.45.1
// asks for a 128 KiB socket receive buffer, which a burst of 256 full
// datagrams overflows (TestSSU2LossyI2pd saw 97 of 1958 dropped there on
// a link that lost nothing, with 256).
const (
	InitialPackets = 10
	MinPackets     = 2
	MaxPackets     = 64
)

// Window is the congestion window and the bytes in flight.
type Window struct {
	datagram      int // largest datagram, bytes
	cwnd          int
	ssthresh      int
	inFlight      int
	recoveryStart time.Time // packets sent before it do not cut the window again
}

// New returns a window for datagrams of up to maxDatagram bytes.
func New(maxDatagram int) *Window {
	return &Window{datagram: maxDatagram, cwnd: InitialPackets * maxDatagram, ssthresh: MaxPackets * maxDatagram}
}

// CanSend reports whether a packet of size bytes fits the window. An
// empty pipe always takes one packet, so a window below one datagram
// cannot stall the session.
func (w *Window) CanSend(size int) bool {
	return w.inFlight == 0 || w.inFlight+size <= w.cwnd
}

// Sent counts an ack-eliciting packet as in flight.
func (w *Window) Sent(size int) { w.inFlight += size }

// Acked takes an acknowledged packet out of flight and grows the window:
// by its size in slow start, by about a datagram per window afterwards.
// Packets sent before the current recovery period began do not grow it.
func (w *Window) Acked(size int, sentAt time.Time) {
	w.inFlight = max(w.inFlight-size, 0)
	if !sentAt.After(w.recoveryStart) {
		return
	}
	if w.cwnd < w.ssthresh {
		w.cwnd += size
	} else {
		w.cwnd += max(w.datagram*size/w.cwnd, 1)
	}
	w.cwnd = min(w.cwnd, MaxPackets*w.datagram)
}

// Lost takes a lost packet out of flight. The first loss of a packet
// sent after the last recovery period began halves the window and starts
// a new period at now (RFC 9002 §7.3.2).
func (w *Window) Lost(size int, sentAt, now time.Time) {
	w.inFlight = max(w.inFlight-size, 0)
	if !sentAt.After(w.recoveryStart) {
		return
	}
	w.recoveryStart = now
	w.ssthresh = max(w.cwnd/2, MinPackets*w.datagram)
	w.cwnd = w.ssthresh
}

// Timeout collapses the window after a retransmission timeout
// (persistent congestion, RFC 9002 §7.6.2).
func (w *Window) Timeout(now time.Time) {
	w.recoveryStart = now
	w.ssthresh = max(w.cwnd/2, MinPackets*w.datagram)
	w.cwnd = MinPackets * w.datagram
}

// Discard takes a packet out of flight without telling anything about
// the path (its session state was dropped).
func (w *Window) Discard(size int) { w.inFlight = max(w.inFlight-size, 0) }

// Size is the congestion window in bytes; InFlight the bytes in flight.
func (w *Window) Size() int     { return w.cwnd }
func (w *Window) InFlight() int { return w.inFlight }
