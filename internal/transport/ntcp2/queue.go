package ntcp2

import (
	"sync"

	"github.com/veil-i2p/veil/internal/transport"
)

// sendItem is one queued block: an I2NP message or a RouterInfo.
type sendItem struct {
	msg   *transport.Message
	ri    []byte // RouterInfo bytes, when msg is nil
	flood bool
}

// blockLen is the item's encoded size.
func (it *sendItem) blockLen() int {
	if it.msg != nil {
		return i2npBlockLen(it.msg)
	}
	return blockHeaderLen + 1 + len(it.ri)
}

func (it *sendItem) appendTo(b []byte) []byte {
	if it.msg != nil {
		return appendI2NP(b, it.msg)
	}
	return appendRouterInfo(b, it.ri, it.flood)
}

const numPriorities = int(transport.PriorityHigh) + 1

// sendQueue is a session's outbound queue: one FIFO lane per priority,
// served highest first, with a cap on the total number of items. When
// full, a new item evicts the oldest item of the lowest non-empty lane
// below its own priority; if there is none, the new item is refused.
// Either way one item is lost and counted in dropped.
//
// Producers are any goroutines (Send); the consumer is the writeLoop,
// woken through the 1-slot notify channel. The zero value is not usable.
type sendQueue struct {
	mu      sync.Mutex
	lanes   [numPriorities][]sendItem
	heads   [numPriorities]int
	n, cap  int
	dropped uint64
	closed  bool
	notify  chan struct{}
}

func newSendQueue(cap int) *sendQueue {
	return &sendQueue{cap: cap, notify: make(chan struct{}, 1)}
}

// push queues it at priority p (clamped to the known range).
func (q *sendQueue) push(it sendItem, p transport.Priority) error {
	lane := min(int(p), numPriorities-1)
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return transport.ErrClosed
	}
	if q.n >= q.cap {
		victim := -1
		for l := 0; l < lane; l++ {
			if q.heads[l] < len(q.lanes[l]) {
				victim = l
				break
			}
		}
		q.dropped++
		if victim < 0 {
			q.mu.Unlock()
			return transport.ErrQueueFull
		}
		q.lanes[victim][q.heads[victim]] = sendItem{}
		q.heads[victim]++
		q.n--
		q.compactLocked(victim)
	}
	q.lanes[lane] = append(q.lanes[lane], it)
	q.n++
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return nil
}

// pop moves items into dst, highest priority first, until the next item
// would take the batch past limit bytes; the first item is always taken
// so a large message is never stuck. It returns dst.
func (q *sendQueue) pop(dst []sendItem, limit int) []sendItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	size := 0
	for l := numPriorities - 1; l >= 0; l-- {
		for q.heads[l] < len(q.lanes[l]) {
			it := &q.lanes[l][q.heads[l]]
			n := it.blockLen()
			if len(dst) > 0 && size+n > limit {
				return dst
			}
			size += n
			dst = append(dst, *it)
			*it = sendItem{}
			q.heads[l]++
			q.n--
		}
		q.compactLocked(l)
	}
	return dst
}

// compactLocked reclaims a lane's consumed prefix. Must hold q.mu.
func (q *sendQueue) compactLocked(l int) {
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

func (q *sendQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

func (q *sendQueue) droppedCount() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// close refuses further items and releases the queued ones.
func (q *sendQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for l := range q.lanes {
		q.lanes[l], q.heads[l] = nil, 0
	}
	q.n = 0
}
