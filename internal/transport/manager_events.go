package transport

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventConnected: Session is now the session to Peer. When a new
	// session replaces a peer's old one, Connected comes again with no
	// Disconnected in between.
	EventConnected EventKind = iota + 1
	// EventDisconnected: Peer's session ended (Err says why) and the
	// peer has none now.
	EventDisconnected
	// EventReceived: an I2NP message of type MsgType and MsgLen payload
	// bytes arrived from Peer and was not expired.
	EventReceived
)

func (k EventKind) String() string {
	switch k {
	case EventConnected:
		return "connected"
	case EventDisconnected:
		return "disconnected"
	case EventReceived:
		return "received"
	}
	return "?"
}

// Event is what subscribers receive.
type Event struct {
	Kind    EventKind
	Peer    data.Hash
	Session Session // Connected, Disconnected
	MsgType uint8   // Received
	MsgLen  int     // Received
	Err     error   // Disconnected
	Time    time.Time
}

// Subscription buffer bounds.
const (
	DefaultEventBuffer = 64
	MaxEventBuffer     = 4096
)

// eventHub fans events out to subscribers without blocking: an event for
// a subscriber whose buffer is full is dropped and counted.
type eventHub struct {
	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	n       atomic.Int32 // len(subs), read without the lock on the hot path
	dropped atomic.Uint64
}

type subscriber struct {
	ch      chan Event
	dropped atomic.Uint64
}

// Subscribe returns a channel of events, buffered with room for buffer
// events (0: DefaultEventBuffer; at most MaxEventBuffer), and a function
// that ends the subscription and closes the channel. Events that find the
// buffer full are dropped (see Counters.EventsDropped).
func (m *Manager) Subscribe(buffer int) (<-chan Event, func()) {
	if buffer <= 0 {
		buffer = DefaultEventBuffer
	}
	buffer = min(buffer, MaxEventBuffer)
	sub := &subscriber{ch: make(chan Event, buffer)}
	h := &m.events
	h.mu.Lock()
	if h.subs == nil {
		h.subs = make(map[*subscriber]struct{})
	}
	h.subs[sub] = struct{}{}
	h.n.Store(int32(len(h.subs)))
	h.mu.Unlock()
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, sub)
			h.n.Store(int32(len(h.subs)))
			close(sub.ch)
			h.mu.Unlock()
		})
	}
}

func (h *eventHub) emit(e Event) {
	if h.n.Load() == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		select {
		case sub.ch <- e:
		default:
			sub.dropped.Add(1)
			h.dropped.Add(1)
		}
	}
}

// bandwidth keeps the traffic of closed sessions and the last rate
// sample.
type bandwidth struct {
	closedIn, closedOut atomic.Uint64

	mu              sync.Mutex
	at              time.Time
	lastIn, lastOut uint64
	rateIn, rateOut float64 // bytes per second over the last sample
	sampled         bool
}

func (b *bandwidth) addClosed(st Stats) {
	b.closedIn.Add(st.BytesIn)
	b.closedOut.Add(st.BytesOut)
}

// sample sets the rates from the totals' change since the last sample.
func (b *bandwidth) sample(now time.Time, in, out uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sampled {
		if dt := now.Sub(b.at).Seconds(); dt > 0 {
			b.rateIn = float64(sub0(in, b.lastIn)) / dt
			b.rateOut = float64(sub0(out, b.lastOut)) / dt
		}
	}
	b.at, b.lastIn, b.lastOut, b.sampled = now, in, out, true
}

func sub0(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

// totalBytes is the traffic of closed sessions plus that of live ones.
func (m *Manager) totalBytes() (in, out uint64) {
	in, out = m.bw.closedIn.Load(), m.bw.closedOut.Load()
	for _, s := range m.Sessions() {
		st := s.Stats()
		in += st.BytesIn
		out += st.BytesOut
	}
	return in, out
}

// Counters are the Manager's totals since it was created.
type Counters struct {
	Sessions        int     // connected peers now
	BytesIn         uint64  // all sessions, closed and live
	BytesOut        uint64  //
	RateIn, RateOut float64 // bytes per second over the last second (Run samples)
	Dropped         uint64  // messages refused by a full session queue
	Unhandled       uint64  // I2NP messages of a type nobody handles
	Expired         uint64  // I2NP messages dropped as expired
	Races           uint64  // duplicate sessions resolved
	Rejected        uint64  // sessions refused (bans, limits, reserved, ourselves)
	RouterInfos     uint64  // RouterInfos stored from peers
	RouterInfosBad  uint64  // RouterInfos the store refused
	EventsDropped   uint64  // events lost to full subscriber buffers
}

// Counters returns the Manager's counters.
func (m *Manager) Counters() Counters {
	in, out := m.totalBytes()
	m.bw.mu.Lock()
	ri, ro := m.bw.rateIn, m.bw.rateOut
	m.bw.mu.Unlock()
	return Counters{
		Sessions:       m.NumSessions(),
		BytesIn:        in,
		BytesOut:       out,
		RateIn:         ri,
		RateOut:        ro,
		Dropped:        m.cnt.dropped.Load(),
		Unhandled:      m.cnt.unhandled.Load(),
		Expired:        m.cnt.expired.Load(),
		Races:          m.cnt.races.Load(),
		Rejected:       m.cnt.rejected.Load(),
		RouterInfos:    m.cnt.riStored.Load(),
		RouterInfosBad: m.cnt.riRefused.Load(),
		EventsDropped:  m.events.dropped.Load(),
	}
}
