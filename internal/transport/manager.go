package transport

// The Manager is the router's side of every transport: the Handler they
// report to, and the table of live sessions.
//
// Ownership and concurrency: the Manager owns the session table (router
// hash → the one session used for that peer), the pending-dial table,
// bans, dial back-off and counters. Each table has its own mutex, held
// only for short lookups and updates; no lock is held while calling a
// Session, a Transport or a callback. Handler methods run on the
// transports' session goroutines; the message handlers registered with
// Handle run there too, so they must not block for long. All methods are
// safe for concurrent use; Register and Handle are meant to be called
// before the transports start.
//
// At most one session per peer. When both routers dial each other at the
// same moment, each ends up with two sessions to the other, one in each
// direction. Both sides then keep the session initiated by the router
// with the smaller hash (bytewise) and close the other with a
// Termination (reason 0), so both choose the same TCP connection without
// talking about it. The rule applies while the older session is younger
// than RaceWindow; after that, a new session from a peer we already have
// one with means the peer lost the old one (it restarted, or its side
// timed out), so the new one replaces the old.

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// Manager defaults.
const (
	// DefaultMaxSessions bounds live sessions plus pending dials. i2pd
	// has no such limit; each session is a file descriptor, and the
	// usual soft limit is 1024.
	DefaultMaxSessions = 768
	// DefaultMaxPerIP bounds inbound sessions from one IP address.
	DefaultMaxPerIP = 8
	// DefaultMaxBans bounds each ban table (by hash, by IP).
	DefaultMaxBans = 4096
	// RaceWindow is how long after a session is established a session
	// in the other direction counts as a simultaneous connect; it
	// exceeds a handshake's timeout.
	RaceWindow = 30 * time.Second
	// MaxClockSkew is how far past its expiration an I2NP message is
	// still delivered (i2pd's I2NP_MESSAGE_CLOCK_SKEW).
	MaxClockSkew = 60 * time.Second
)

// RouterInfoStore is what the Manager needs of the netDb: RouterInfos to
// dial by hash, and a place for those peers send.
type RouterInfoStore interface {
	Get(h data.Hash) *data.RouterInfo
	// Put validates and stores ri; it reports whether it was new.
	Put(ri *data.RouterInfo) (bool, error)
}

// ManagerConfig configures a Manager. Zero values are defaults.
type ManagerConfig struct {
	Self        data.Hash       // our router hash: for the race rule, and never a peer
	RouterInfos RouterInfoStore // nil: RouterInfos received are dropped, Send cannot dial
	MaxSessions int             // total sessions and pending dials; 0: DefaultMaxSessions
	MaxPerIP    int             // inbound sessions per IP; 0: DefaultMaxPerIP, <0: no limit
	MaxBans     int             // per table; 0: DefaultMaxBans
	// CheckReserved refuses peers at reserved addresses (Reserved), both
	// ways: i2pd's reservedrange option.
	CheckReserved bool
	// Connected, if set, runs once a session becomes a peer's session,
	// on the session's goroutine, before it delivers any message.
	Connected func(s Session)
	Logger    *slog.Logger
	Now       func() time.Time
}

// HandlerFunc handles one I2NP message from peer from. It runs on the
// session's goroutine and owns m.
type HandlerFunc func(from data.Hash, m *Message)

// Manager implements Handler. Create it with NewManager.
type Manager struct {
	cfg ManagerConfig
	log *slog.Logger

	trMu       sync.RWMutex
	transports []Transport

	handlers [256]atomic.Pointer[HandlerFunc]

	peers struct {
		sync.Mutex
		sessions map[data.Hash]*entry
		dials    map[data.Hash]*pendingDial
		perIP    map[netip.Addr]int // inbound sessions by remote IP
	}
	bans    banTables
	backoff backoffTable
	events  eventHub
	bw      bandwidth
	cnt     managerCounters

	wg sync.WaitGroup // goroutines closing replaced sessions
}

// entry is a peer's current session.
type entry struct {
	s     Session
	ip    netip.Addr
	since time.Time // when the Manager took it
}

type managerCounters struct {
	dropped, unhandled, expired, races, rejected, riStored, riRefused atomic.Uint64
}

var _ Handler = (*Manager)(nil)

// NewManager returns a Manager with no transports.
func NewManager(cfg ManagerConfig) *Manager {
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.MaxPerIP == 0 {
		cfg.MaxPerIP = DefaultMaxPerIP
	}
	if cfg.MaxBans <= 0 {
		cfg.MaxBans = DefaultMaxBans
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Manager{cfg: cfg, log: cfg.Logger}
	m.peers.sessions = make(map[data.Hash]*entry)
	m.peers.dials = make(map[data.Hash]*pendingDial)
	m.peers.perIP = make(map[netip.Addr]int)
	m.bans.init(cfg.MaxBans)
	m.backoff.init(cfg.MaxSessions * 4)
	return m
}

// Register adds a transport that Connect and Send may dial with, tried
// in the order registered.
func (m *Manager) Register(t Transport) {
	m.trMu.Lock()
	defer m.trMu.Unlock()
	m.transports = append(m.transports, t)
}

// Handle makes fn the handler of I2NP messages of type t, replacing any
// earlier one; nil restores the default, which logs at debug and drops.
func (m *Manager) Handle(t uint8, fn HandlerFunc) {
	if fn == nil {
		m.handlers[t].Store(nil)
		return
	}
	m.handlers[t].Store(&fn)
}

// Run samples bandwidth and expires bans and back-offs every second
// until ctx ends. Sessions are the transports': see CloseAll.
func (m *Manager) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	in, out := m.totalBytes()
	m.bw.sample(m.cfg.Now(), in, out)
	for {
		select {
		case <-ctx.Done():
			m.wg.Wait()
			return nil
		case <-tick.C:
			now := m.cfg.Now()
			in, out := m.totalBytes()
			m.bw.sample(now, in, out)
			m.bans.expire(now)
			m.backoff.expire(now)
		}
	}
}

// CloseAll closes every session with reason (ReasonRouterShutdown at
// exit) and waits until they have ended or ctx ends.
func (m *Manager) CloseAll(ctx context.Context, reason uint8) error {
	sessions := m.Sessions()
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Go(func() { s.Close(reason) })
	}
	wg.Wait()
	for _, s := range sessions {
		select {
		case <-s.Done():
		case <-ctx.Done():
			return fmt.Errorf("transport: close sessions: %w", ctx.Err())
		}
	}
	m.wg.Wait()
	return nil
}

// Session returns the session to peer h, or nil.
func (m *Manager) Session(h data.Hash) Session {
	m.peers.Lock()
	defer m.peers.Unlock()
	if e := m.peers.sessions[h]; e != nil {
		return e.s
	}
	return nil
}

// Sessions returns the current session of every connected peer.
func (m *Manager) Sessions() []Session {
	m.peers.Lock()
	defer m.peers.Unlock()
	out := make([]Session, 0, len(m.peers.sessions))
	for _, e := range m.peers.sessions {
		out = append(out, e.s)
	}
	return out
}

// NumSessions is the number of connected peers.
func (m *Manager) NumSessions() int {
	m.peers.Lock()
	defer m.peers.Unlock()
	return len(m.peers.sessions)
}

// Established implements Handler: it admits s as the session to its
// peer, or refuses it with a TerminationError the transport sends.
func (m *Manager) Established(s Session) error {
	peer := s.Peer()
	ip := s.RemoteAddr().Addr().Unmap()
	log := m.log.With("peer", peer.String(), "transport", s.Transport(), "direction", s.Direction().String(), "addr", s.RemoteAddr().String())
	if err := m.admit(peer, ip); err != nil {
		m.cnt.rejected.Add(1)
		log.Debug("session refused", "err", err)
		return err
	}
	now := m.cfg.Now()
	m.peers.Lock()
	old := m.peers.sessions[peer]
	if old == nil {
		if err := m.checkLimitsLocked(s, ip); err != nil {
			m.peers.Unlock()
			m.cnt.rejected.Add(1)
			log.Info("session refused", "err", err)
			return err
		}
	} else if !m.preferNew(old, s, now) {
		m.peers.Unlock()
		m.cnt.races.Add(1)
		log.Info("duplicate session closed", "kept", old.s.Direction().String())
		return &TerminationError{Reason: ReasonNormal, Detail: "duplicate session"}
	}
	if old != nil {
		m.dropLocked(peer, old)
	}
	m.peers.sessions[peer] = &entry{s: s, ip: ip, since: now}
	if s.Direction() == Inbound {
		m.peers.perIP[ip]++
	}
	m.peers.Unlock()

	if old != nil {
		m.cnt.races.Add(1)
		log.Info("session replaces the one to the same peer", "old", old.s.Direction().String())
		m.wg.Go(func() { old.s.Close(ReasonNormal) })
	} else {
		log.Info("peer connected")
	}
	m.backoff.reset(peer)
	if ri := s.PeerRouterInfo(); ri != nil {
		m.putRouterInfo(s, ri)
	}
	if m.cfg.Connected != nil {
		m.cfg.Connected(s)
	}
	m.events.emit(Event{Kind: EventConnected, Peer: peer, Session: s, Time: now})
	return nil
}

// admit checks a peer and its address against ourselves, bans and
// reserved ranges.
func (m *Manager) admit(peer data.Hash, ip netip.Addr) error {
	switch {
	case peer == m.cfg.Self:
		return &TerminationError{Reason: ReasonUnspecified, Detail: "session to ourselves"}
	case m.Banned(peer):
		return &TerminationError{Reason: ReasonBanned, Detail: "router banned"}
	case m.IPBlocked(ip):
		return &TerminationError{Reason: ReasonBanned, Detail: "address banned or reserved"}
	}
	return nil
}

// checkLimitsLocked applies the connection limits to a new peer. Must
// hold m.peers.
func (m *Manager) checkLimitsLocked(s Session, ip netip.Addr) error {
	if n := len(m.peers.sessions); n >= m.cfg.MaxSessions {
		return &TerminationError{Reason: ReasonUnspecified, Detail: fmt.Sprintf("connection limit: %d sessions", n)}
	}
	if s.Direction() == Inbound && m.cfg.MaxPerIP > 0 && m.peers.perIP[ip] >= m.cfg.MaxPerIP {
		return &TerminationError{Reason: ReasonUnspecified, Detail: fmt.Sprintf("connection limit: %d sessions from %v", m.peers.perIP[ip], ip)}
	}
	return nil
}

// preferNew decides between a peer's current session and a new one (see
// the top of this file). An old session that has ended (its Closed not
// yet handled) always gives way.
func (m *Manager) preferNew(old *entry, s Session, now time.Time) bool {
	if ended(old.s) || old.s.Direction() == s.Direction() || now.Sub(old.since) > RaceWindow {
		return true
	}
	// A race: keep what the smaller hash initiated. The new session
	// was initiated by us if outbound, by the peer if inbound.
	weSmaller := lessHash(m.cfg.Self, s.Peer())
	return (s.Direction() == Outbound) == weSmaller
}

func lessHash(a, b data.Hash) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// dropLocked removes peer's entry e. Must hold m.peers.
func (m *Manager) dropLocked(peer data.Hash, e *entry) {
	delete(m.peers.sessions, peer)
	if e.s.Direction() == Inbound {
		if m.peers.perIP[e.ip]--; m.peers.perIP[e.ip] <= 0 {
			delete(m.peers.perIP, e.ip)
		}
	}
}

// Received implements Handler: it drops expired messages and dispatches
// the rest by type.
func (m *Manager) Received(s Session, msg *Message) {
	peer := s.Peer()
	if i2np.Expired(msg.Expiration, m.cfg.Now(), MaxClockSkew) {
		m.cnt.expired.Add(1)
		m.log.Debug("expired I2NP message dropped", "peer", peer.String(), "transport", s.Transport(),
			"type", i2np.TypeName(msg.Type), "expiration", msg.Expiration)
		return
	}
	m.events.emit(Event{Kind: EventReceived, Peer: peer, MsgType: msg.Type, MsgLen: len(msg.Payload), Time: m.cfg.Now()})
	fn := m.handlers[msg.Type].Load()
	if fn == nil {
		m.cnt.unhandled.Add(1)
		m.log.Debug("unhandled I2NP message dropped", "peer", peer.String(), "transport", s.Transport(),
			"type", i2np.TypeName(msg.Type), "len", len(msg.Payload))
		return
	}
	(*fn)(peer, msg)
}

// Dispatch hands a message that did not come over a session (one the
// router addressed to itself, e.g. delivered by its own outbound
// endpoint) to the handler of its type, as if from peer from.
func (m *Manager) Dispatch(from data.Hash, msg *Message) {
	if i2np.Expired(msg.Expiration, m.cfg.Now(), MaxClockSkew) {
		m.cnt.expired.Add(1)
		return
	}
	fn := m.handlers[msg.Type].Load()
	if fn == nil {
		m.cnt.unhandled.Add(1)
		m.log.Debug("unhandled local I2NP message dropped", "type", i2np.TypeName(msg.Type), "len", len(msg.Payload))
		return
	}
	(*fn)(from, msg)
}

// ReceivedRouterInfo implements Handler: the RouterInfo goes to the
// store. We are not a floodfill, so a flood request is not honoured.
func (m *Manager) ReceivedRouterInfo(s Session, ri *data.RouterInfo, flood bool) {
	m.putRouterInfo(s, ri)
}

func (m *Manager) putRouterInfo(s Session, ri *data.RouterInfo) {
	if m.cfg.RouterInfos == nil {
		return
	}
	updated, err := m.cfg.RouterInfos.Put(ri)
	if err != nil {
		m.cnt.riRefused.Add(1)
		m.log.Debug("RouterInfo refused", "peer", s.Peer().String(), "transport", s.Transport(), "router", ri.Hash().String(), "err", err)
		return
	}
	if updated {
		m.cnt.riStored.Add(1)
		m.log.Debug("RouterInfo stored", "peer", s.Peer().String(), "transport", s.Transport(), "router", ri.Hash().String())
	}
}

// Closed implements Handler: the peer's entry goes if s was its session,
// and s's traffic joins the totals.
func (m *Manager) Closed(s Session, err error) {
	peer := s.Peer()
	m.bw.addClosed(s.Stats())
	m.peers.Lock()
	e := m.peers.sessions[peer]
	current := e != nil && e.s == s
	if current {
		m.dropLocked(peer, e)
	}
	m.peers.Unlock()
	if !current {
		return
	}
	m.log.Info("peer disconnected", "peer", peer.String(), "transport", s.Transport(), "err", err)
	m.events.emit(Event{Kind: EventDisconnected, Peer: peer, Session: s, Err: err, Time: m.cfg.Now()})
}
