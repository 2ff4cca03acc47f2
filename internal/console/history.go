package console

import "sync"

// History is a fixed ring of bandwidth samples, the source of the
// console's graph and of I2PControl's averaged rates. The zero value
// holds nothing; use NewHistory. Safe for concurrent use.
type History struct {
	mu   sync.Mutex
	ring []Sample
	next int
	full bool
}

// NewHistory returns a History keeping the last n samples.
func NewHistory(n int) *History {
	return &History{ring: make([]Sample, max(n, 1))}
}

// Add records s, dropping the oldest sample when full.
func (h *History) Add(s Sample) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.ring) == 0 {
		return
	}
	h.ring[h.next] = s
	h.next++
	if h.next == len(h.ring) {
		h.next, h.full = 0, true
	}
}

// Samples returns the samples, oldest first.
func (h *History) Samples() []Sample {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.full {
		return append([]Sample(nil), h.ring[:h.next]...)
	}
	out := make([]Sample, 0, len(h.ring))
	out = append(out, h.ring[h.next:]...)
	return append(out, h.ring[:h.next]...)
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
