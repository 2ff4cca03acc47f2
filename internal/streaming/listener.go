package streaming

import (
	"net"
	"sync"
)

// Listener accepts connections to one port of a Manager's destination
// (port 0: those no other listener takes). It implements net.Listener.
type Listener struct {
	m       *Manager
	port    uint16
	backlog chan *Conn
	done    chan struct{}
	once    sync.Once
}

// Accept waits for the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.backlog:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: "i2p", Addr: l.Addr(), Err: net.ErrClosed}
	}
}

// Close stops listening; connections not yet accepted are reset.
func (l *Listener) Close() error {
	closed := false
	l.once.Do(func() {
		closed = true
		l.m.mu.Lock()
		if l.m.listeners[l.port] == l {
			delete(l.m.listeners, l.port)
		}
		close(l.done)
		l.m.mu.Unlock()
		for {
			select {
			case c := <-l.backlog:
				c.abort(errAborted, true)
			default:
				return
			}
		}
	})
	if !closed {
		return &net.OpError{Op: "close", Net: "i2p", Addr: l.Addr(), Err: net.ErrClosed}
	}
	return nil
}

// Addr is the listening destination and port.
func (l *Listener) Addr() net.Addr { return Addr{Hash: l.m.id.hash, Port: l.port} }

// offer queues c for Accept; false when the backlog is full or closed.
// The caller holds the Manager's lock, which orders it against Close.
func (l *Listener) offer(c *Conn) bool {
	select {
	case <-l.done:
		return false
	default:
	}
	select {
	case l.backlog <- c:
		return true
	default:
		return false
	}
}
