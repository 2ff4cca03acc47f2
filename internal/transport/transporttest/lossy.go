package transporttest

import (
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// LossyConn is a PacketConn whose writes are dropped with probability
// Loss and held back behind the next write with probability Reorder
// (sent after 20 ms if no write follows), from a seeded generator, so a
// run is repeatable. DropFirst drops that many writes first (handshake
// loss). Reads pass through. Safe for concurrent writes.
type LossyConn struct {
	net.PacketConn
	Loss, Reorder float64

	mu        sync.Mutex
	rng       *rand.Rand
	held      []byte
	heldTo    net.Addr
	timer     *time.Timer
	dropFirst int
	sent      int
	dropped   int
}

// NewLossy wraps pc.
func NewLossy(pc net.PacketConn, loss, reorder float64, seed uint64, dropFirst int) *LossyConn {
	return &LossyConn{PacketConn: pc, Loss: loss, Reorder: reorder, dropFirst: dropFirst,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (c *LossyConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent++
	if c.dropFirst > 0 || c.rng.Float64() < c.Loss {
		c.dropFirst = max(c.dropFirst-1, 0)
		c.dropped++
		return len(b), nil
	}
	if c.held == nil && c.rng.Float64() < c.Reorder {
		c.held, c.heldTo = append([]byte(nil), b...), addr
		c.timer = time.AfterFunc(20*time.Millisecond, c.flushHeld)
		return len(b), nil
	}
	n, err := c.PacketConn.WriteTo(b, addr)
	c.flushLocked()
	return n, err
}

func (c *LossyConn) flushHeld() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
}

func (c *LossyConn) flushLocked() {
	if c.held == nil {
		return
	}
	c.timer.Stop()
	c.PacketConn.WriteTo(c.held, c.heldTo)
	c.held = nil
}

// Close stops a pending held packet too.
func (c *LossyConn) Close() error {
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.held = nil
	c.mu.Unlock()
	return c.PacketConn.Close()
}

// Stats returns the writes seen and dropped.
func (c *LossyConn) Stats() (sent, dropped int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent, c.dropped
}
