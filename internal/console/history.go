package console

import "sync"

// History is a fixed ring of bandwidth samples, the source of the
// console's graph and of I2PControl's averaged rates. The zero value
// holds nothing; use NewHistory. Safe for concurrent use.
type History struct {
	mu   sync.Mutex
	ring ring[Sample]
}

// NewHistory returns a History keeping the last n samples.
func NewHistory(n int) *History {
	return &History{ring: newRing[Sample](n)}
}

// Add records s, dropping the oldest sample when full.
func (h *History) Add(s Sample) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ring.add(s)
}

// Samples returns the samples, oldest first.
func (h *History) Samples() []Sample {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ring.items()
}

// ring is a fixed ring buffer: the last len(buf) items added. Its owner
// locks it; the zero value keeps nothing.
type ring[T any] struct {
	buf  []T
	next int
	full bool
}

func newRing[T any](n int) ring[T] { return ring[T]{buf: make([]T, max(n, 1))} }

func (r *ring[T]) add(x T) {
	if len(r.buf) == 0 {
		return
	}
	r.buf[r.next] = x
	if r.next++; r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// items returns the items, oldest first.
func (r *ring[T]) items() []T {
	out := make([]T, 0, len(r.buf))
	if r.full {
		out = append(out, r.buf[r.next:]...)
	}
	return append(out, r.buf[:r.next]...)
}

// Average is the mean rate in and out over the last n samples (all when
// fewer), 0 when there are none.
func Average(s []Sample, n int) (in, out float64) {
	if n > len(s) {
		n = len(s)
	}
	if n == 0 {
		return 0, 0
	}
	for _, x := range s[len(s)-n:] {
		in += x.RateIn
		out += x.RateOut
	}
	return in / float64(n), out / float64(n)
}
