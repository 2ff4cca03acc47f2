package ack

// Tracker records the packet numbers a receiver has processed, as
// disjoint, non-adjacent ranges sorted from the highest down, ready for
// Append. It keeps at most MaxRanges ranges and nothing more than
// MaxDepth below the highest number: older history is dropped, which only
// costs the sender spurious retransmissions ("ACK Block Size"). Duplicate
// detection is not its job (see replay.Window): Add of a number it holds
// is harmless.
//
// The zero value is empty, with the default limits. Not safe for
// concurrent use.
type Tracker struct {
	// MaxRanges and MaxDepth bound the history; zero means the defaults.
	MaxRanges int
	MaxDepth  uint32

	ranges []Range
}

// Tracker defaults ("Recommended Constants": max ACK ranges 256?, max
// depth 512?).
const (
	DefaultMaxRanges = 64
	DefaultMaxDepth  = 512
)

// Add records pn. It reports whether pn arrived out of order: below the
// highest number seen, or above it with a gap, the cases in which an ACK
// should go out at once ("Sending ACK Blocks").
func (t *Tracker) Add(pn uint32) (outOfOrder bool) {
	rs := t.ranges
	switch {
	case len(rs) == 0:
		t.ranges = append(rs, Range{pn, pn})
		return false
	case pn > rs[0].Hi:
		if pn == rs[0].Hi+1 {
			rs[0].Hi = pn
		} else {
			t.ranges = append(rs, Range{})
			copy(t.ranges[1:], rs)
			t.ranges[0] = Range{pn, pn}
			outOfOrder = true
		}
		t.trim()
		return outOfOrder
	}
	// Below the highest: find the first range with Lo <= pn.
	i := 0
	for i < len(rs) && rs[i].Lo > pn {
		i++
	}
	if i < len(rs) && pn <= rs[i].Hi {
		return true // already held
	}
	// pn lies between rs[i-1] (above) and rs[i] (below, if any).
	joinAbove := rs[i-1].Lo == pn+1
	joinBelow := i < len(rs) && rs[i].Hi+1 == pn
	switch {
	case joinAbove && joinBelow:
		rs[i-1].Lo = rs[i].Lo
		t.ranges = append(rs[:i], rs[i+1:]...)
	case joinAbove:
		rs[i-1].Lo = pn
	case joinBelow:
		rs[i].Hi = pn
	default:
		t.ranges = append(rs, Range{})
		copy(t.ranges[i+1:], t.ranges[i:])
		t.ranges[i] = Range{pn, pn}
	}
	t.trim()
	return true
}

// trim applies MaxRanges and MaxDepth.
func (t *Tracker) trim() {
	maxRanges, depth := t.MaxRanges, t.MaxDepth
	if maxRanges <= 0 {
		maxRanges = DefaultMaxRanges
	}
	if depth == 0 {
		depth = DefaultMaxDepth
	}
	if len(t.ranges) > maxRanges {
		t.ranges = t.ranges[:maxRanges]
	}
	top := t.ranges[0].Hi
	if top < depth {
		return
	}
	floor := top - depth
	for i := len(t.ranges) - 1; i > 0; i-- {
		switch r := &t.ranges[i]; {
		case r.Hi < floor:
			t.ranges = t.ranges[:i]
		case r.Lo < floor:
			r.Lo = floor
		}
	}
	if t.ranges[0].Lo < floor {
		t.ranges[0].Lo = floor
	}
}

// Ranges returns the history, highest first; it aliases the Tracker's
// state until the next Add.
func (t *Tracker) Ranges() []Range { return t.ranges }

// Largest returns the highest packet number recorded.
func (t *Tracker) Largest() (uint32, bool) {
	if len(t.ranges) == 0 {
		return 0, false
	}
	return t.ranges[0].Hi, true
}

// Forget drops history at or below pn except the range holding the
// highest number, once the peer has acknowledged an ACK block that went
// up to pn ("Limiting Ranges by Tracking ACK Blocks").
func (t *Tracker) Forget(pn uint32) {
	for i := 1; i < len(t.ranges); i++ {
		if t.ranges[i].Hi <= pn {
			t.ranges = t.ranges[:i]
			return
		}
	}
}
