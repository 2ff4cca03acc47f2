package ssu2

import (
	"sync"
	"time"
)

// exchanges is a table of multi-party exchanges in progress (peer tests,
// relays), keyed by their nonce and, optionally, by the connection id
// their out-of-session packets to us carry. It is capped and its entries
// expire; any goroutine may use it.
type exchanges[T any] struct {
	max    int
	expiry time.Duration

	mu      sync.Mutex
	byNonce map[uint32]exchange[T]
	byConn  map[uint64]uint32
}

type exchange[T any] struct {
	v       T
	created time.Time
	conn    uint64
}

func newExchanges[T any](max int, expiry time.Duration) *exchanges[T] {
	return &exchanges[T]{max: max, expiry: expiry, byNonce: make(map[uint32]exchange[T]), byConn: make(map[uint64]uint32)}
}

// add registers v under nonce and, if conn != 0, a connection id. It
// refuses when the table is full or the nonce is in use.
func (x *exchanges[T]) add(nonce uint32, conn uint64, v T) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	now := time.Now()
	for n, e := range x.byNonce {
		if now.Sub(e.created) > x.expiry {
			x.dropLocked(n)
		}
	}
	if _, used := x.byNonce[nonce]; used || len(x.byNonce) >= x.max {
		return false
	}
	x.byNonce[nonce] = exchange[T]{v: v, created: now, conn: conn}
	if conn != 0 {
		x.byConn[conn] = nonce
	}
	return true
}

// get returns the exchange with nonce n.
func (x *exchanges[T]) get(n uint32) (T, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e, ok := x.byNonce[n]
	return e.v, ok
}

// byConnID returns the exchange registered under connection id id.
func (x *exchanges[T]) byConnID(id uint64) (T, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	n, ok := x.byConn[id]
	if !ok {
		var zero T
		return zero, false
	}
	e := x.byNonce[n]
	return e.v, true
}

// drop forgets the exchange with nonce n; it reports whether there was
// one, so that of two goroutines racing to finish it only one does.
func (x *exchanges[T]) drop(n uint32) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, ok := x.byNonce[n]
	x.dropLocked(n)
	return ok
}

func (x *exchanges[T]) dropLocked(n uint32) {
	if e, ok := x.byNonce[n]; ok {
		delete(x.byNonce, n)
		if e.conn != 0 && x.byConn[e.conn] == n {
			delete(x.byConn, e.conn)
		}
	}
}
