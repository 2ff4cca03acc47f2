package replay

// Window sizes: the bitmap is windowWords 64-bit words; the newest word
// is the one being filled, so WindowSize counters behind the highest are
// always tracked.
const (
	windowWords = 32
	WindowSize  = (windowWords - 1) * 64 // 1984
)

// Window is a sliding-window replay detector for counters that mostly
// increase (SSU2 packet numbers, per-session nonces), after RFC 6479: a
// ring of bits for the WindowSize counters below the highest one accepted.
// Accept takes each counter once; counters more than WindowSize below the
// highest are refused, since nothing is known about them any more.
//
// The zero value is an empty window ready to use. A Window is not safe for
// concurrent use: it belongs to the goroutine that owns its session.
type Window struct {
	top  uint64 // highest accepted counter + 1; 0 while empty
	bits [windowWords]uint64
}

// Accept reports whether n is new (neither accepted before nor too old)
// and, if so, records it.
func (w *Window) Accept(n uint64) bool {
	if n == ^uint64(0) {
		return false // top would wrap; no protocol gets there
	}
	if n >= w.top {
		w.advance(n)
	} else if w.top-1-n > WindowSize-1 {
		return false
	}
	word, bit := (n/64)%windowWords, uint64(1)<<(n%64)
	if w.bits[word]&bit != 0 {
		return false
	}
	w.bits[word] |= bit
	return true
}

// advance moves the window so that n is its highest counter, clearing the
// words it moves past.
func (w *Window) advance(n uint64) {
	newWord := n / 64
	if w.top == 0 {
		w.top = n + 1
		return // all words are clear
	}
	oldWord := (w.top - 1) / 64
	if newWord-oldWord >= windowWords {
		w.bits = [windowWords]uint64{}
	} else {
		for i := oldWord + 1; i <= newWord; i++ {
			w.bits[i%windowWords] = 0
		}
	}
	w.top = n + 1
}

// Reset empties the window, as for a new session.
func (w *Window) Reset() { *w = Window{} }
