package streaming

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Config configures a Manager.
type Config struct {
	Keys    *keyfile.PrivateKeys // the local destination's
	Net     Network
	Options *Options // nil: DefaultOptions
	Log     *slog.Logger
}

// Manager runs the streaming connections of one local destination.
type Manager struct {
	id     *identity
	net    Network
	opts   Options
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // run goroutines and the control sender
	ctrl   chan ctrlPacket
	stats  counters
	detach func() // set by Attach: stops the destination's deliveries

	mu        sync.Mutex
	conns     map[uint32]*Conn // by our stream ID
	incoming  map[uint32]*Conn // inbound, by the peer's stream ID
	listeners map[uint16]*Listener
	early     map[uint32]*earlyPackets // before their SYN, by the peer's stream ID
	pings     map[uint32]chan []byte
	tcb       map[data.Hash]*tcbEntry // tcb.go
	dead      map[uint32]*deadConn    // dead.go
	limits    *limits
	closed    bool
}

// Bounds on state that strangers can create.
const (
	maxEarlyStreams = 64
	maxEarlyPackets = 8
	earlyLife       = 10 * time.Second // i2pd's PENDING_INCOMING_TIMEOUT
	ctrlQueue       = 64               // RESETs, pongs and refusals waiting to go out
)

// earlyPackets are packets of an inbound stream whose SYN has not come
// yet ("0-RTT Issues": queue, do not drop).
type earlyPackets struct {
	pkts    []inPacket
	expires time.Time
}

// ctrlPacket is a packet sent outside any connection.
type ctrlPacket struct {
	to               data.Hash
	srcPort, dstPort uint16
	build            func() ([]byte, error)
}

// New starts a Manager for the destination with keys.
func New(cfg Config) (*Manager, error) {
	id, err := newIdentity(cfg.Keys)
	if err != nil {
		return nil, err
	}
	if cfg.Net == nil {
		return nil, fmt.Errorf("streaming: no network")
	}
	opts := DefaultOptions()
	if cfg.Options != nil {
		opts = *cfg.Options
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{id: id, net: cfg.Net, opts: opts, log: cfg.Log, ctrl: make(chan ctrlPacket, ctrlQueue),
		conns: make(map[uint32]*Conn), incoming: make(map[uint32]*Conn), listeners: make(map[uint16]*Listener),
		early: make(map[uint32]*earlyPackets), pings: make(map[uint32]chan []byte), tcb: make(map[data.Hash]*tcbEntry), dead: make(map[uint32]*deadConn),
		limits: newLimits(&opts)}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.wg.Add(1)
	go m.sendControl()
	return m, nil
}

// Addr is the local destination (port 0).
func (m *Manager) Addr() Addr { return Addr{Hash: m.id.hash} }

// Options returns the options in force.
func (m *Manager) Options() Options { return m.opts }

// Close resets every connection, stops the listeners and waits for the
// goroutines to end.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return net.ErrClosed
	}
	m.closed = true
	if m.detach != nil {
		m.detach()
	}
	ls := make([]*Listener, 0, len(m.listeners))
	for _, l := range m.listeners {
		ls = append(ls, l)
	}
	m.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
	m.cancel()
	m.wg.Wait()
	return nil
}

// Listen accepts connections to port (0: to any port without a listener
// of its own). The listener is a *Listener; its connections are *Conn.
func (m *Manager) Listen(port uint16) (net.Listener, error) {
	return m.listen(port)
}

func (m *Manager) listen(port uint16) (*Listener, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, net.ErrClosed
	}
	if m.listeners[port] != nil {
		return nil, fmt.Errorf("streaming: port %d: already listening", port)
	}
	l := &Listener{m: m, port: port, backlog: make(chan *Conn, m.opts.Backlog), done: make(chan struct{})}
	m.listeners[port] = l
	return l, nil
}

// Dial connects to port of the destination with hash to, from port 0,
// and returns once the SYN reply came. The connection is a *Conn.
func (m *Manager) Dial(ctx context.Context, to data.Hash, port uint16) (net.Conn, error) {
	c, err := m.DialPorts(ctx, to, 0, port)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DialPorts connects from srcPort to port dstPort of the destination to.
func (m *Manager) DialPorts(ctx context.Context, to data.Hash, srcPort, dstPort uint16) (*Conn, error) {
	remote := Addr{Hash: to, Port: dstPort}
	m.mu.Lock()
	var err error
	switch {
	case m.closed:
		err = net.ErrClosed
	case m.opts.MaxConcurrentStreams > 0 && len(m.conns) >= m.opts.MaxConcurrentStreams:
		err = ErrTooManyConns
	}
	if err != nil {
		m.mu.Unlock()
		return nil, &net.OpError{Op: "dial", Net: "i2p", Addr: remote, Err: err}
	}
	now := time.Now()
	c := newConn(m, true, m.newIDLocked(), Addr{Hash: m.id.hash, Port: srcPort}, remote, now)
	m.loadSharedLocked(c, now)
	m.conns[c.recvID] = c
	m.wg.Add(1)
	go c.run()
	m.mu.Unlock()

	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.haveRemote {
			return c, nil
		}
		if c.err != nil {
			return nil, &net.OpError{Op: "dial", Net: "i2p", Addr: remote, Err: c.err}
		}
		ch := c.wake
		c.mu.Unlock()
		select {
		case <-ch:
			c.mu.Lock()
		case <-ctx.Done():
			c.mu.Lock()
			c.failLocked(ctx.Err(), false)
			c.poke()
		}
	}
}

// abort ends c with err.
func (c *Conn) abort(err error, reset bool) {
	c.mu.Lock()
	c.failLocked(err, reset)
	c.mu.Unlock()
	c.poke()
}

// newIDLocked picks a free nonzero stream ID.
func (m *Manager) newIDLocked() uint32 {
	var b [4]byte
	for {
		rand.Read(b[:])
		id := binary.BigEndian.Uint32(b[:])
		if id != 0 && m.conns[id] == nil && m.pings[id] == nil {
			return id
		}
	}
}

// remove forgets a finished connection.
func (m *Manager) remove(c *Conn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conns[c.recvID] == c {
		delete(m.conns, c.recvID)
	}
	c.mu.Lock()
	peerID := c.sendID
	now := time.Now()
	m.shareLocked(c, now)
	m.buryLocked(c, now)
	c.mu.Unlock()
	if !c.outbound && m.incoming[peerID] == c {
		delete(m.incoming, peerID)
	}
}

// Conns is the number of open connections.
func (m *Manager) Conns() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.conns)
}

// HandlePacket takes one streaming payload the destination received. It
// does not block on the network; the destination's protocol-6 handler
// calls it.
func (m *Manager) HandlePacket(in Inbound) {
	p, err := Parse(in.Packet)
	if err != nil {
		m.count(&m.stats.Malformed)
		return
	}
	now := time.Now()
	if p.Has(FlagEcho) {
		m.echo(p, in, now)
		return
	}
	ip := inPacket{p: p, sender: in.Sender}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	var c *Conn
	switch {
	case p.SendStreamID != 0:
		c = m.conns[p.SendStreamID]
		if c == nil && m.resetDeadLocked(p.SendStreamID, p, now) {
			m.mu.Unlock()
			return
		}
	case m.incoming[p.RecvStreamID] != nil:
		c = m.incoming[p.RecvStreamID]
	case p.Has(FlagSynchronize):
		m.mu.Unlock()
		m.syn(p, in, now)
		return
	default:
		m.keepEarlyLocked(ip, now)
	}
	m.mu.Unlock()
	if c == nil {
		m.count(&m.stats.Unknown)
		return
	}
	if !c.enqueue(ip) {
		m.count(&m.stats.Dropped)
	}
}

// keepEarlyLocked queues a packet that came before its stream's SYN.
func (m *Manager) keepEarlyLocked(in inPacket, now time.Time) {
	p := in.p
	if p.RecvStreamID == 0 || p.Seq == 0 || p.Seq > 2*maxEarlyPackets || len(p.Payload) > maxMTU {
		return // not a packet of a SYN's first window
	}
	e := m.early[p.RecvStreamID]
	if e == nil {
		if len(m.early) >= maxEarlyStreams {
			for id, e := range m.early {
				if now.After(e.expires) {
					delete(m.early, id)
				}
			}
			if len(m.early) >= maxEarlyStreams {
				m.count(&m.stats.Dropped)
				return
			}
		}
		e = &earlyPackets{expires: now.Add(earlyLife)}
		m.early[p.RecvStreamID] = e
	}
	if len(e.pkts) < maxEarlyPackets {
		e.pkts = append(e.pkts, in)
	}
}

// sendControl sends the packets that belong to no connection.
func (m *Manager) sendControl() {
	defer m.wg.Done()
	for {
		select {
		case <-m.ctx.Done():
			return
		case cp := <-m.ctrl:
			b, err := cp.build()
			if err != nil {
				m.log.Warn("streaming: control packet", "err", err)
				continue
			}
			ctx, cancel := context.WithTimeout(m.ctx, sendTimeout)
			if err := m.net.Send(ctx, cp.to, cp.srcPort, cp.dstPort, b); err != nil {
				m.log.Debug("streaming: control send", "to", cp.to.B32(), "err", err)
			}
			cancel()
		}
	}
}

// control queues a packet outside any connection; dropped when the
// queue is full, which bounds what a flood can make us send.
func (m *Manager) control(cp ctrlPacket) {
	select {
	case m.ctrl <- cp:
	default:
		m.count(&m.stats.Dropped)
	}
}

// counters count what the Manager refused or dropped.
type counters struct {
	Malformed, BadSignature, Foreign, Unknown, Dropped, Refused, Throttled, Pongs atomic.Uint64
}

func (m *Manager) count(c *atomic.Uint64) { c.Add(1) }

// Counters is a snapshot of the Manager's counters.
type Counters struct {
	Malformed    uint64 // packets that did not parse
	BadSignature uint64 // signatures that failed
	Foreign      uint64 // packets that did not fit their connection
	Unknown      uint64 // packets for no connection
	Dropped      uint64 // packets or replies dropped for a full queue or buffer
	Refused      uint64 // SYNs refused by the access lists or for lack of a listener
	Throttled    uint64 // SYNs refused by the limits
	Pongs        uint64 // pings answered
}

// Counters returns the Manager's counters.
func (m *Manager) Counters() Counters {
	s := &m.stats
	return Counters{Malformed: s.Malformed.Load(), BadSignature: s.BadSignature.Load(), Foreign: s.Foreign.Load(),
		Unknown: s.Unknown.Load(), Dropped: s.Dropped.Load(), Refused: s.Refused.Load(), Throttled: s.Throttled.Load(),
		Pongs: s.Pongs.Load()}
}
