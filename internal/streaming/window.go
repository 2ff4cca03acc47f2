package streaming

// The congestion window, counted in packets as Java does ("Congestion
// Control"): slow start up to ssthresh, then congestion avoidance growing
// one packet per window; a loss found by NACKs halves it, and so does a
// retransmission timeout, once per window of data (the recovery point is
// the highest sequence sent when it shrank: losses of packets sent before
// that are the same congestion event). A second timeout in a row drops it
// to one packet, as TCP's loss window. Pure state: no clock, no I/O.
//
// Tunnels lose packets at random, not only when a queue overflows, and
// halving for every such loss keeps the window small on long paths (to
// about 1.2/√p packets: 5 at 5% loss). As TCP Veno does, a loss when our
// packets are not queueing (the backlog, cwnd·(SRTT−minRTT)/SRTT, is
// under vegasBeta packets) counts as random: the window shrinks by an
// eighth and slow start goes on. Once our packets queue, a loss is
// congestion and halves the window as before; noisy RTTs make the
// backlog look larger, which falls back to halving.

type window struct {
	cwnd, ssthresh float64
	max            float64
	ssFactor       float64 // slow start: grow 1/ssFactor per acked packet
	caFactor       float64 // congestion avoidance: grow 1/(caFactor·cwnd)
	recovery       uint32  // highest sequence sent at the last reduction
	reduced        bool    // recovery is meaningful
	// The window before the last reduction, restored if that loss turns
	// out to have been reordering (see undo).
	undoCwnd, undoSsthresh float64
	undoable               bool
}

func newWindow(o *Options) window {
	return window{cwnd: float64(o.InitialWindow), ssthresh: float64(o.MaxWindow), max: float64(o.MaxWindow),
		ssFactor: float64(o.SlowStartFactor), caFactor: float64(o.CongestionAvoidanceFactor)}
}

// size is the window in whole packets, at least one.
func (w *window) size() int { return max(1, int(w.cwnd)) }

// inRecovery reports whether packets up to lowestUnacked-1 do not yet
// cover the packets that were in flight at the last reduction.
func (w *window) inRecovery(lowestUnacked uint32) bool {
	return w.reduced && seqLE(lowestUnacked, w.recovery)
}

// acked grows the window for n newly acknowledged packets.
func (w *window) acked(n int, lowestUnacked uint32) {
	if n <= 0 || w.inRecovery(lowestUnacked) {
		return
	}
	for range n {
		if w.cwnd < w.ssthresh {
			w.cwnd = min(w.cwnd+1/w.ssFactor, w.ssthresh+1)
		} else {
			w.cwnd += 1 / (w.caFactor * w.cwnd)
		}
	}
	w.cwnd = min(w.cwnd, w.max)
}

// vegasBeta is the backlog, in packets, below which a loss is taken for
// random (Veno's beta).
const vegasBeta = 3

// lost shrinks the window for a lost packet seq (NACKed enough), unless
// this congestion event was already answered; highest is the highest
// sequence sent so far, backlog our packets queued on the path. It
// reports whether the window shrank.
func (w *window) lost(seq, highest uint32, backlog float64) bool {
	if w.reduced && seqLE(seq, w.recovery) {
		return false
	}
	w.undoCwnd, w.undoSsthresh, w.undoable = w.cwnd, w.ssthresh, true
	if backlog < vegasBeta {
		w.cwnd = max(w.cwnd*7/8, 2)
		w.ssthresh = max(w.ssthresh, w.cwnd)
	} else {
		w.ssthresh = max(w.cwnd/2, 2)
		w.cwnd = w.ssthresh
	}
	w.recovery, w.reduced = highest, true
	return true
}

// undo restores the window of before the last reduction: the packet
// thought lost was acked too soon after its retransmission for the
// retransmission to have arrived, so the first copy had not been lost.
func (w *window) undo() {
	if !w.undoable {
		return
	}
	w.cwnd, w.ssthresh = max(w.cwnd, w.undoCwnd), max(w.ssthresh, w.undoSsthresh)
	w.undoable, w.reduced = false, false
}

// timedOut shrinks the window for a retransmission timeout of seq;
// repeated is true when the previous timeout got no ack in between.
func (w *window) timedOut(seq, highest uint32, repeated bool) {
	if repeated {
		w.undoable = false
		w.ssthresh = max(w.cwnd/2, 2)
		w.cwnd = 1
		w.recovery, w.reduced = highest, true
		return
	}
	w.lost(seq, highest, vegasBeta)
}

// seqLE compares sequence numbers: a ≤ b. Streams of 2^31 packets are
// out of reach, so plain comparison serves; the function names the intent.
func seqLE(a, b uint32) bool { return a <= b }
