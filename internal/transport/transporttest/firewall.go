package transporttest

import (
	"net"
	"sync"
)

// FirewallConn is a PacketConn behind a stateful firewall (or a NAT):
// reads pass only datagrams from addresses it has written to; the rest
// are dropped unseen.
type FirewallConn struct {
	net.PacketConn

	mu   sync.Mutex
	open map[string]bool // addresses written to
}

// NewFirewall wraps pc.
func NewFirewall(pc net.PacketConn) *FirewallConn {
	return &FirewallConn{PacketConn: pc, open: map[string]bool{}}
}

// Behind returns a wrapper for a transport's socket that puts it behind
// a firewall and keeps that firewall in *fw.
func Behind(fw **FirewallConn) func(net.PacketConn) net.PacketConn {
	return func(pc net.PacketConn) net.PacketConn {
		*fw = NewFirewall(pc)
		return *fw
	}
}

func (c *FirewallConn) WriteTo(b []byte, a net.Addr) (int, error) {
	c.mu.Lock()
	c.open[a.String()] = true
	c.mu.Unlock()
	return c.PacketConn.WriteTo(b, a)
}

// Forget closes every pinhole but keep's, as a NAT whose mappings
// expired.
func (c *FirewallConn) Forget(keep string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for a := range c.open {
		if a != keep {
			delete(c.open, a)
		}
	}
}

func (c *FirewallConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.PacketConn.ReadFrom(b)
		if err != nil {
			return n, a, err
		}
		c.mu.Lock()
		ok := c.open[a.String()]
		c.mu.Unlock()
		if ok {
			return n, a, nil
		}
	}
}
