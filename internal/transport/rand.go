package transport

import (
	cryptorand "crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"time"
)

// Rand is a transport's source of keys, ids, padding lengths and
// jitter: crypto/rand, or a reader a test supplies (used under a lock,
// so any reader is safe). Safe for concurrent use; create it with
// NewRand.
type Rand struct {
	mu sync.Mutex
	r  io.Reader
}

// NewRand reads from r, or from crypto/rand when r is nil.
func NewRand(r io.Reader) *Rand {
	if r == nil {
		r = cryptorand.Reader
	}
	return &Rand{r: r}
}

// Read fills p; it implements io.Reader for key generation.
func (r *Rand) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return io.ReadFull(r.r, p)
}

// Uint64 draws 8 bytes; a failing source is fatal to the caller.
func (r *Rand) Uint64() (uint64, error) {
	var b [8]byte
	if _, err := r.Read(b[:]); err != nil {
		return 0, fmt.Errorf("random: %w", err)
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// Intn returns a value in [0, n), or 0 if n <= 0 or the source fails.
func (r *Rand) Intn(n int) int {
	if n <= 0 {
		return 0
	}
	v, _ := r.Uint64()
	return int(v % uint64(n))
}

// Jitter returns d shortened by up to a fifth at random, so periodic
// packets of many sessions do not line up.
func (r *Rand) Jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d - time.Duration(r.Intn(int(d/5)+1))
}

// Default sets *p to v if it is the zero value: for filling configs.
func Default[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// WithExpiration returns m, or a copy of it expiring at exp when m has
// no expiration: what a session's Send does with a zero Expiration.
func WithExpiration(m *Message, exp time.Time) *Message {
	if !m.Expiration.IsZero() {
		return m
	}
	c := *m
	c.Expiration = exp
	return &c
}
