package transport

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Errors of Send and Connect.
var (
	ErrUnknownPeer = errors.New("transport: no RouterInfo for peer")
	ErrNoTransport = errors.New("transport: no transport can reach peer")
	ErrBackoff     = errors.New("transport: peer unreachable recently, backing off")
	ErrReserved    = errors.New("transport: peer has only reserved addresses")
)

// Dial back-off after failures: 10 s doubling to 5 min.
const (
	backoffMin = 10 * time.Second
	backoffMax = 5 * time.Minute
)

// pendingDial is one dial in progress; callers for the same peer wait for
// it instead of dialing again.
type pendingDial struct {
	done chan struct{}
	s    Session
	err  error
}

// Send queues m to peer h with priority p, reusing the peer's session or
// dialing one (with the peer's RouterInfo from the store) and waiting for
// it up to ctx. A full session queue returns ErrQueueFull and is counted.
func (m *Manager) Send(ctx context.Context, h data.Hash, msg *Message, p Priority) error {
	if m.Banned(h) {
		return fmt.Errorf("transport: send to %s: %w", h, ErrBanned)
	}
	s := m.Session(h)
	if s == nil || ended(s) {
		var ri *data.RouterInfo
		if m.cfg.RouterInfos != nil {
			ri = m.cfg.RouterInfos.Get(h)
		}
		if ri == nil {
			return fmt.Errorf("transport: send to %s: %w", h, ErrUnknownPeer)
		}
		var err error
		if s, err = m.Connect(ctx, ri); err != nil {
			return err
		}
	}
	return m.sendOn(s, msg, p)
}

// sendOn queues m on s, counting a full queue.
func (m *Manager) sendOn(s Session, msg *Message, p Priority) error {
	err := s.Send(msg, p)
	if errors.Is(err, ErrQueueFull) {
		m.cnt.dropped.Add(1)
	}
	if err != nil {
		return fmt.Errorf("transport: send to %s: %w", s.Peer(), err)
	}
	return nil
}

// Connect returns the session to the router ri describes, dialing it if
// there is none. Concurrent calls for one peer share one dial. A failed
// dial backs the peer off (ErrBackoff) for 10 s, doubling up to 5 min.
func (m *Manager) Connect(ctx context.Context, ri *data.RouterInfo) (Session, error) {
	h := ri.Hash()
	if s := m.Session(h); s != nil && !ended(s) {
		return s, nil
	}
	if err := m.dialable(ri); err != nil {
		return nil, fmt.Errorf("transport: connect %s: %w", h, err)
	}
	m.peers.Lock()
	if e := m.peers.sessions[h]; e != nil && !ended(e.s) {
		m.peers.Unlock()
		return e.s, nil
	}
	if d := m.peers.dials[h]; d != nil {
		m.peers.Unlock()
		select {
		case <-d.done:
			return d.s, d.err
		case <-ctx.Done():
			return nil, fmt.Errorf("transport: connect %s: %w", h, ctx.Err())
		}
	}
	if n := len(m.peers.sessions) + len(m.peers.dials); n >= m.cfg.MaxSessions {
		m.peers.Unlock()
		return nil, fmt.Errorf("transport: connect %s: %w (%d)", h, ErrLimit, n)
	}
	d := &pendingDial{done: make(chan struct{})}
	m.peers.dials[h] = d
	m.peers.Unlock()

	s, err := m.dial(ctx, ri)

	m.peers.Lock()
	delete(m.peers.dials, h)
	if e := m.peers.sessions[h]; e != nil && !ended(e.s) {
		s, err = e.s, nil // ours, or a simultaneous inbound one that won
	} else if err == nil {
		err = ErrClosed // admitted, then gone, or refused by Established
	}
	m.peers.Unlock()
	if err != nil {
		err = fmt.Errorf("transport: connect %s: %w", h, err)
		if ctx.Err() == nil {
			m.backoff.fail(h, m.cfg.Now())
		}
		s = nil
	}
	d.s, d.err = s, err
	close(d.done)
	return s, err
}

func ended(s Session) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

// dialable says why ri must not be dialed now, if it must not.
func (m *Manager) dialable(ri *data.RouterInfo) error {
	h := ri.Hash()
	switch {
	case h == m.cfg.Self:
		return errors.New("transport: that is us")
	case m.Banned(h):
		return ErrBanned
	case m.backoff.active(h, m.cfg.Now()):
		return ErrBackoff
	case m.cfg.CheckReserved && !hasUsableHost(ri):
		return ErrReserved
	}
	return nil
}

// Dialable reports whether Connect would try to dial ri now: not us, not
// banned, not backing off, not only at reserved addresses, and some
// registered transport can reach it.
func (m *Manager) Dialable(ri *data.RouterInfo) bool {
	if m.dialable(ri) != nil {
		return false
	}
	m.trMu.RLock()
	defer m.trMu.RUnlock()
	for _, t := range m.transports {
		if t.CanDial(ri) {
			return true
		}
	}
	return false
}

// hasUsableHost reports whether ri publishes a host outside the reserved
// ranges. An unparsable host (a name) counts as usable: the transport
// checks the address it resolves to.
func hasUsableHost(ri *data.RouterInfo) bool {
	for _, a := range ri.Addresses {
		host := a.Host()
		if host == "" {
			continue
		}
		if ip, err := parseAddr(host); err != nil || !Reserved(ip) {
			return true
		}
	}
	return false
}

// dial tries each registered transport that can reach ri, cheapest
// first (dialOrder).
func (m *Manager) dial(ctx context.Context, ri *data.RouterInfo) (Session, error) {
	m.trMu.RLock()
	trs := append([]Transport(nil), m.transports...)
	m.trMu.RUnlock()
	dialOrder(trs, ri)
	var errs []error
	for _, t := range trs {
		if !t.CanDial(ri) {
			continue
		}
		s, err := t.Dial(ctx, ri)
		if err == nil {
			return s, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", t.Name(), err))
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, ErrNoTransport
	}
	return nil, errors.Join(errs...)
}

// backoffTable remembers peers whose dials failed. Its size is capped:
// when full, expired entries go, and failures past the cap are not
// remembered.
type backoffTable struct {
	mu  sync.Mutex
	max int
	m   map[data.Hash]backoffEntry
}

type backoffEntry struct {
	failures int
	until    time.Time
}

func (b *backoffTable) init(max int) {
	b.max = max
	b.m = make(map[data.Hash]backoffEntry)
}

func (b *backoffTable) fail(h data.Hash, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.m[h]
	if !ok && len(b.m) >= b.max {
		b.expireLocked(now)
		if len(b.m) >= b.max {
			return
		}
	}
	e.failures++
	d := backoffMin << min(e.failures-1, 10)
	e.until = now.Add(min(d, backoffMax))
	b.m[h] = e
}

func (b *backoffTable) active(h data.Hash, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.m[h]
	return ok && now.Before(e.until)
}

func (b *backoffTable) reset(h data.Hash) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, h)
}

// expire forgets entries whose back-off ended long ago (keeping the
// failure count for a while lets repeated failures grow the delay).
func (b *backoffTable) expire(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expireLocked(now)
}

func (b *backoffTable) expireLocked(now time.Time) {
	for h, e := range b.m {
		if now.After(e.until.Add(backoffMax)) {
			delete(b.m, h)
		}
	}
}

// dialOrder sorts transports by the cost the peer gives its addresses
// for each (the lowest cost of an address with a host whose style names
// the transport: "NTCP2" or "NTCP" for NTCP2, "SSU2" or "SSU" for SSU2),
// keeping the registration order between equals and for transports the
// peer publishes nothing for. i2pd publishes NTCP2 at cost 3 and SSU2 at
// 8, so its routers are dialled over NTCP2 when both are possible.
func dialOrder(trs []Transport, ri *data.RouterInfo) {
	cost := func(t Transport) int {
		best := 256
		for _, a := range ri.Addresses {
			if a.Host() != "" && strings.HasPrefix(t.Name(), a.Transport) {
				best = min(best, int(a.Cost))
			}
		}
		return best
	}
	slices.SortStableFunc(trs, func(a, b Transport) int { return cmp.Compare(cost(a), cost(b)) })
}
