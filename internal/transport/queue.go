package transport

import "sync"

// NumPriorities is how many Priority levels a SendQueue serves.
const NumPriorities = int(PriorityHigh) + 1

// SendQueue is a session's outbound queue, shared by NTCP2 and SSU2: one
// FIFO lane per priority, served highest first, with a cap on the items
// it holds. When full, a new item evicts the oldest item of the lowest
// non-empty lane below its own priority; if there is none, the new item
// is refused with ErrQueueFull. Either way one item is lost and counted
// (Dropped).
//
// Producers are any goroutines (a session's Send); the consumer is the
// session's one writing goroutine, woken through Notify, a 1-slot
// channel. Safe for concurrent use; the zero value is not usable, see
// NewSendQueue.
type SendQueue[T any] struct {
	mu      sync.Mutex
	lanes   [NumPriorities][]T
	heads   [NumPriorities]int
	n, cap  int
	dropped uint64
	closed  bool
	notify  chan struct{}
}

// NewSendQueue returns a queue holding at most cap items.
func NewSendQueue[T any](cap int) *SendQueue[T] {
	return &SendQueue[T]{cap: cap, notify: make(chan struct{}, 1)}
}

// Notify is signalled (without blocking, so possibly once for many) after
// each Push.
func (q *SendQueue[T]) Notify() <-chan struct{} { return q.notify }

// Wake signals Notify, for a consumer that stopped early and wants to be
// called back.
func (q *SendQueue[T]) Wake() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// Push queues it at priority p (clamped to the known range).
func (q *SendQueue[T]) Push(it T, p Priority) error {
	lane := min(int(p), NumPriorities-1)
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if q.n >= q.cap {
		victim := -1
		for l := range lane {
			if q.heads[l] < len(q.lanes[l]) {
				victim = l
				break
			}
		}
		q.dropped++
		if victim < 0 {
			q.mu.Unlock()
			return ErrQueueFull
		}
		var zero T
		q.lanes[victim][q.heads[victim]] = zero
		q.heads[victim]++
		q.n--
		q.compactLocked(victim)
	}
	q.lanes[lane] = append(q.lanes[lane], it)
	q.n++
	q.mu.Unlock()
	q.Wake()
	return nil
}

// Pop takes the next item, highest priority first.
func (q *SendQueue[T]) Pop() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var zero T
	for l := NumPriorities - 1; l >= 0; l-- {
		if q.heads[l] < len(q.lanes[l]) {
			it := q.lanes[l][q.heads[l]]
			q.lanes[l][q.heads[l]] = zero
			q.heads[l]++
			q.n--
			q.compactLocked(l)
			return it, true
		}
	}
	return zero, false
}

// PopBatch moves items into dst, highest priority first, until the next
// item would take the batch past limit by size; the first item is always
// taken so a large one is never stuck. It returns dst.
func (q *SendQueue[T]) PopBatch(dst []T, limit int, size func(*T) int) []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	var zero T
	total := 0
	for l := NumPriorities - 1; l >= 0; l-- {
		for q.heads[l] < len(q.lanes[l]) {
			it := &q.lanes[l][q.heads[l]]
			n := size(it)
			if len(dst) > 0 && total+n > limit {
				return dst
			}
			total += n
			dst = append(dst, *it)
			*it = zero
			q.heads[l]++
			q.n--
		}
		q.compactLocked(l)
	}
	return dst
}

// compactLocked reclaims a lane's consumed prefix. Must hold q.mu.
func (q *SendQueue[T]) compactLocked(l int) {
	switch h := q.heads[l]; {
	case h == len(q.lanes[l]):
		q.lanes[l] = q.lanes[l][:0]
		q.heads[l] = 0
	case h > 256 && 2*h > len(q.lanes[l]):
		old := q.lanes[l]
		n := copy(old, old[h:])
		clear(old[n:])
		q.lanes[l] = old[:n]
		q.heads[l] = 0
	}
}

// Len is the number of items queued.
func (q *SendQueue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Dropped counts items lost to a full queue.
func (q *SendQueue[T]) Dropped() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// Close refuses further items and releases the queued ones.
func (q *SendQueue[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for l := range q.lanes {
		q.lanes[l], q.heads[l] = nil, 0
	}
	q.n = 0
}
