package veil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/client"
)

// Datagrams as net.PacketConns. A destination's received datagrams of one
// kind go to the connection listening on their destination port, else to
// the one listening on port 0, else nowhere. Delivery runs on the
// router's local-delivery goroutine, so it never blocks: each connection
// queues up to packetQueue datagrams and drops the rest, as a UDP socket
// whose buffer is full does.

// packetQueue is how many received datagrams a PacketConn holds unread.
const packetQueue = 256

// writeTimeout bounds a WriteTo without a write deadline: the first
// datagram to a destination waits for its LeaseSet lookup.
const writeTimeout = time.Minute

// The kinds of datagram ListenPacket takes.
const (
	networkDatagram = "datagram"
	networkRaw      = "raw"
)

// ListenPacket sends and receives datagrams on port of the destination
// (0: receive those for any port without a connection of its own; send
// from port 0). network is
//
//   - "datagram": repliable datagrams (I2P protocol 17, as SAM's DATAGRAM
//     style and i2pd's UDP tunnels use). Each is signed by its sender, and
//     ReadFrom returns the sender's Addr, in full, to answer with WriteTo.
//     Up to about 31 KB; under 10 KB is reliable.
//   - "raw": raw datagrams (protocol 18, SAM's RAW style): smaller by the
//     sender's signature and destination (about 430 bytes and more), but
//     anonymous: ReadFrom's Addr has the source port only.
//
// Datagrams, like UDP's, may be lost, duplicated or reordered.
func (d *Destination) ListenPacket(network string, port uint16) (net.PacketConn, error) {
	var proto uint8
	switch network {
	case networkDatagram:
		proto = client.ProtoDatagram
	case networkRaw:
		proto = client.ProtoRaw
	default:
		return nil, fmt.Errorf("veil: listen packet: network %q: want %q or %q", network, networkDatagram, networkRaw)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, fmt.Errorf("veil: listen packet: %w", net.ErrClosed)
	}
	if d.packets == nil {
		d.packets = newPacketMux(d)
	}
	return d.packets.listen(proto, port)
}

// packetKey is what a PacketConn listens on.
type packetKey struct {
	proto uint8
	port  uint16
}

// packetMux routes a destination's datagrams to its PacketConns.
type packetMux struct {
	d     *Destination
	mu    sync.Mutex
	conns map[packetKey]*packetConn
}

func newPacketMux(d *Destination) *packetMux {
	m := &packetMux{d: d, conns: make(map[packetKey]*packetConn)}
	for _, p := range []uint8{client.ProtoDatagram, client.ProtoRaw} {
		d.s.Destination().HandleProtocol(p, m.deliver)
	}
	return m
}

func (m *packetMux) listen(proto uint8, port uint16) (*packetConn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := packetKey{proto, port}
	if m.conns[k] != nil {
		return nil, fmt.Errorf("veil: listen packet: port %d: already listening", port)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &packetConn{m: m, key: k, in: make(chan packet, packetQueue), ctx: ctx, cancel: cancel}
	c.rd.changed = make(chan struct{})
	c.wd.changed = make(chan struct{})
	m.conns[k] = c
	return c, nil
}

// deliver takes one received datagram (on the local-delivery goroutine).
func (m *packetMux) deliver(r client.Received) {
	if r.Protocol == client.ProtoDatagram && !r.Verified {
		return // a repliable datagram's sender must be proven
	}
	m.mu.Lock()
	c := m.conns[packetKey{r.Protocol, r.DstPort}]
	if c == nil {
		c = m.conns[packetKey{r.Protocol, 0}]
	}
	m.mu.Unlock()
	if c == nil {
		return
	}
	p := packet{data: r.Data, from: Addr{port: r.SrcPort}}
	if r.Protocol == client.ProtoDatagram {
		p.from.hash = r.Sender
		p.from.dest = r.SenderDest
	}
	select {
	case c.in <- p:
	default:
		c.dropped.Add(1)
	}
}

func (m *packetMux) remove(c *packetConn) {
	m.mu.Lock()
	if m.conns[c.key] == c {
		delete(m.conns, c.key)
	}
	m.mu.Unlock()
}

func (m *packetMux) closeAll() {
	m.mu.Lock()
	var cs []*packetConn
	for _, c := range m.conns {
		cs = append(cs, c)
	}
	m.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

// packet is one received datagram.
type packet struct {
	data []byte
	from Addr
}

// packetConn is a net.PacketConn on one port of a destination.
type packetConn struct {
	m       *packetMux
	key     packetKey
	in      chan packet
	ctx     context.Context // ends at Close: pending writes give up
	cancel  context.CancelFunc
	once    sync.Once
	dropped atomic.Uint64 // received while the queue was full
	rd, wd  deadline
}

// deadline is a settable deadline whose change wakes the waiters.
type deadline struct {
	mu      sync.Mutex
	t       time.Time
	changed chan struct{} // closed and replaced at each change
}

func (dl *deadline) set(t time.Time) {
	dl.mu.Lock()
	dl.t = t
	close(dl.changed)
	dl.changed = make(chan struct{})
	dl.mu.Unlock()
}

func (dl *deadline) get() (time.Time, <-chan struct{}) {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	return dl.t, dl.changed
}

func (c *packetConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		if c.ctx.Err() != nil {
			return 0, nil, c.opError("read", nil, net.ErrClosed)
		}
		t, changed := c.rd.get()
		var timeout <-chan time.Time
		var timer *time.Timer
		if !t.IsZero() {
			wait := time.Until(t)
			if wait <= 0 {
				return 0, nil, c.opError("read", nil, os.ErrDeadlineExceeded)
			}
			timer = time.NewTimer(wait)
			timeout = timer.C
		}
		n, from, err, again := c.wait(b, timeout, changed)
		if timer != nil {
			timer.Stop()
		}
		if !again {
			return n, from, err
		}
	}
}

// wait is one wait of ReadFrom; again: the deadline changed.
func (c *packetConn) wait(b []byte, timeout <-chan time.Time, changed <-chan struct{}) (n int, from net.Addr, err error, again bool) {
	select {
	case p := <-c.in:
		return copy(b, p.data), p.from, nil, false
	case <-c.ctx.Done():
		return 0, nil, c.opError("read", nil, net.ErrClosed), false
	case <-timeout:
		return 0, nil, c.opError("read", nil, os.ErrDeadlineExceeded), false
	case <-changed:
		return 0, nil, nil, true
	}
}

// WriteTo sends b to addr: an Addr (as ReadFrom returns), or any net.Addr
// whose String is a .b32.i2p address, b33 address or Base64 destination
// with an optional ":port". The first datagram to a destination waits
// for its LeaseSet (bounded by the write deadline, else a minute).
func (c *packetConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	t, _ := c.wd.get()
	if t.IsZero() {
		t = time.Now().Add(writeTimeout)
	}
	ctx, cancel := context.WithDeadline(c.ctx, t)
	defer cancel()
	var to Addr
	if a, ok := addr.(Addr); ok && a.hash != (Addr{}).hash {
		to = a
	} else if addr != nil {
		host, port, err := splitHostPort(addr.String())
		if err != nil {
			return 0, c.opError("write", addr, err)
		}
		h, err := c.m.d.s.Resolve(ctx, host)
		if err != nil {
			return 0, c.opError("write", addr, err)
		}
		to = Addr{hash: h, port: port}
	} else {
		return 0, c.opError("write", addr, errors.New("no address"))
	}
	cd := c.m.d.s.Destination()
	var err error
	if c.key.proto == client.ProtoDatagram {
		err = cd.SendDatagram(ctx, to.hash, c.key.port, to.port, b)
	} else {
		err = cd.Send(ctx, to.hash, client.Payload{Protocol: client.ProtoRaw, SrcPort: c.key.port, DstPort: to.port, Data: b})
	}
	if err != nil {
		if c.ctx.Err() != nil {
			err = net.ErrClosed
		} else if ctx.Err() != nil {
			err = os.ErrDeadlineExceeded
		}
		return 0, c.opError("write", addr, err)
	}
	return len(b), nil
}

func (c *packetConn) opError(op string, addr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "i2p", Source: c.LocalAddr(), Addr: addr, Err: err}
}

// Close closes the connection; blocked reads and writes return
// net.ErrClosed.
func (c *packetConn) Close() error {
	c.once.Do(func() {
		c.m.remove(c)
		c.cancel()
	})
	return nil
}

// LocalAddr is the destination's address with the connection's port.
func (c *packetConn) LocalAddr() net.Addr { return c.m.d.Addr().WithPort(c.key.port) }

func (c *packetConn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

func (c *packetConn) SetReadDeadline(t time.Time) error  { c.rd.set(t); return nil }
func (c *packetConn) SetWriteDeadline(t time.Time) error { c.wd.set(t); return nil }
