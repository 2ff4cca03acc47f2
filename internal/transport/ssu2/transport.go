package ssu2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/noise"
	"github.com/veil-i2p/veil/internal/ratelimit"
	"github.com/veil-i2p/veil/internal/replay"
	"github.com/veil-i2p/veil/internal/transport"
)

// Config configures a Transport. Zero durations and counts take the
// Default* values.
type Config struct {
	// NetID is our network id (2 = the public network); packets and
	// RouterInfos of another network are refused.
	NetID int
	// StaticKeys are the SSU2 static X25519 key pair and, as Extra, the
	// 32-byte intro key, as in i2pd's ssu2.keys.
	StaticKeys *keyfile.StaticKeys
	// RouterInfo returns our current signed RouterInfo; it is sent in
	// Session Confirmed and, to inbound peers, in the first data packet.
	// Our router hash is New's RouterInfo().Hash().
	RouterInfo func() *data.RouterInfo
	// Handler receives session events.
	Handler transport.Handler
	// ListenAddrs are the UDP addresses to bind, one socket each
	// ("198.18.0.200:12345", "[::]:port"). None: one socket per allowed
	// family on a random port, for outbound sessions only.
	ListenAddrs []string
	// MTU4 and MTU6 are our MTUs (1280..1500; 0 means 1500).
	MTU4, MTU6 int
	Logger     *slog.Logger
	// Now is the wall clock for timestamps and skew checks (timers use
	// package time); default time.Now.
	Now func() time.Time
	// Rand is the source of keys, ids, tokens and padding; default
	// crypto/rand. It is used under a lock.
	Rand io.Reader
	// Banned reports whether an IP is banned: its packets are dropped
	// and it is not dialed. Ban bans an IP (a RouterInfo of another
	// network).
	Banned func(netip.Addr) bool
	Ban    func(ip netip.Addr, d time.Duration, reason string)

	QueueLen int // outbound messages queued per session
	// IdleTimeout closes a session after this long with nothing received.
	IdleTimeout time.Duration
	// KeepAlive, when positive, sends a DateTime after this long (with
	// jitter) without sending anything, so sessions the router wants
	// stay up. Zero disables it.
	KeepAlive time.Duration
	MaxSkew   time.Duration // allowed clock difference in handshakes
	// MaxHandshakes bounds inbound handshakes in progress; MaxSessions
	// all sessions (each holds a connection id).
	MaxHandshakes int
	MaxSessions   int
	// HandshakeRate and HandshakeBurst limit Session and Token Requests
	// per IP. A negative rate disables the limit.
	HandshakeRate  float64
	HandshakeBurst int
	BanDuration    time.Duration
	// NoIPv4 and NoIPv6 keep Dial from addresses of that family.
	NoIPv4, NoIPv6 bool
	// Signer is our router's signing key, for Peer Test signatures (nil:
	// we take no part in peer tests). LookupRouterInfo finds a router
	// by hash (the netDb), for peer tests: Alice's RouterInfo as Charlie,
	// Charlie's as Alice.
	Signer           crypto.Signer
	LookupRouterInfo func(data.Hash) *data.RouterInfo
	// Introduce makes us a relay Bob: peers that ask get a relay tag, and
	// we pass their introductions on. Firewalled makes every handshake to
	// a peer that introduces (caps C) ask for a relay tag; so does a peer
	// test that found us firewalled. See Introducers.
	Introduce, Firewalled bool
	// PeerTestInterval is how often Run tests the reachability of our
	// published addresses as Alice (see Reachability); 0: never.
	PeerTestInterval time.Duration
	// ListenPacket replaces net.ListenConfig.ListenPacket (tests use it
	// to run inside network namespaces or over a lossy link).
	ListenPacket func(ctx context.Context, network, address string) (net.PacketConn, error)
}

// Counters are a transport's event counts.
type Counters struct {
	HandshakesIn, HandshakesOut uint64 // completed
	FailedIn, FailedOut         uint64 // failed handshakes
	RetriesSent, TokenRequests  uint64 // sent as Bob, received as Bob
	TokensUsed                  uint64 // dials that skipped the Token Request
	Replays                     uint64 // Session Requests with a known X
	WrongNetID                  uint64 // packets or RouterInfos of another network
	ClockSkew                   uint64 // handshakes refused for skew
	Dropped                     uint64 // datagrams nobody could read
	QueueFull                   uint64 // datagrams dropped on a full session queue
	RateLimited, Busy           uint64 // requests refused by the limits
	Sessions                    int    // live sessions
}

type counters struct {
	handshakesIn, handshakesOut, failedIn, failedOut atomic.Uint64
	retries, tokenRequests, tokensUsed, replays      atomic.Uint64
	wrongNetID                                       atomic.Uint64
	clockSkew, dropped, queueFull, rateLimited, busy atomic.Uint64
}

// Transport is the SSU2 transport: its UDP sockets, the connection-id
// table that routes packets to sessions, and the tokens. Create it with
// New (the zero value is not usable); its methods are safe for concurrent
// use. See the package documentation for who owns what.
type Transport struct {
	cfg    Config
	log    *slog.Logger
	rand   *transport.Rand
	us     data.Hash
	intro  [keyLen]byte         // our intro key: k_header_1 of nearly every packet to us
	static [keyLen]byte         // our static private key
	bob    noise.SymmetricState // initial state with our static key mixed in
	netID  uint8

	ready    chan struct{} // closed once Run has opened the sockets
	socks    []*socket     // set before ready is closed, then read-only
	life     context.Context
	stopLife context.CancelFunc

	ids struct { // sessions by the connection id of packets to us
		sync.RWMutex
		m map[uint64]*session
	}
	pending struct { // outbound handshakes by Bob's address, for Session Created and Retry
		sync.Mutex
		m map[netip.AddrPort]*session
	}
	pt            *exchanges[*peerTest] // peer tests in progress (peertest.go)
	rl            *exchanges[*relay]    // relays in progress (relay.go)
	tags          relayTags             // relay tags we gave (relay.go)
	reachMu       sync.Mutex
	reach         [2]Reachability   // last conclusive result, IPv4 and IPv6
	lastPublished [2]netip.AddrPort // our last published SSU2 addresses, IPv4 and IPv6
	tokensIn      *tokenTable       // tokens we issued
	tokensOut     *tokenTable       // tokens peers gave us
	seenX         *replay.Filter
	limit         *ratelimit.Limiter[netip.Addr]
	hsSlots       chan struct{}
	bufs          sync.Pool // *packet
	cnt           counters

	mu       sync.Mutex
	sessions map[*session]struct{}
	running  bool
	closed   bool
	wg       sync.WaitGroup // sessions
	readers  sync.WaitGroup
}

var _ transport.Transport = (*Transport)(nil)

// Errors of Dial and Run.
var (
	ErrTransportClosed = errors.New("ssu2: transport closed")
	ErrWrongNetID      = errors.New("ssu2: wrong network id")
	ErrClockSkew       = errors.New("ssu2: clock skew")
)

// New checks cfg and returns a Transport. Sockets open in Run.
func New(cfg Config) (*Transport, error) {
	if cfg.StaticKeys == nil || len(cfg.StaticKeys.Extra) != keyLen {
		return nil, errors.New("ssu2: config: static keys with a 32-byte intro key required")
	}
	if cfg.RouterInfo == nil || cfg.RouterInfo() == nil || cfg.Handler == nil {
		return nil, errors.New("ssu2: config: RouterInfo and Handler required")
	}
	if cfg.NetID < 1 || cfg.NetID > 255 {
		return nil, fmt.Errorf("ssu2: config: network id %d out of range", cfg.NetID)
	}
	if cfg.QueueLen < 0 || cfg.MaxHandshakes < 0 || cfg.MaxSessions < 0 || cfg.HandshakeBurst < 0 ||
		cfg.IdleTimeout < 0 || cfg.KeepAlive < 0 || cfg.MaxSkew < 0 || cfg.BanDuration < 0 || cfg.PeerTestInterval < 0 {
		return nil, errors.New("ssu2: config: negative limit")
	}
	for _, m := range []int{cfg.MTU4, cfg.MTU6} {
		if m != 0 && (m < MinMTU || m > MaxMTU) {
			return nil, fmt.Errorf("ssu2: config: MTU %d outside %d..%d", m, MinMTU, MaxMTU)
		}
	}
	if pub, err := crypto.X25519Public(cfg.StaticKeys.Private[:]); err != nil || pub != cfg.StaticKeys.Public {
		return nil, errors.New("ssu2: config: static public key does not match private key")
	}
	setDefaults(&cfg)
	t := &Transport{cfg: cfg, log: cfg.Logger, netID: uint8(cfg.NetID), ready: make(chan struct{}),
		sessions: make(map[*session]struct{})}
	t.rand = transport.NewRand(cfg.Rand)
	t.us = cfg.RouterInfo().Hash()
	copy(t.intro[:], cfg.StaticKeys.Extra)
	t.static = cfg.StaticKeys.Private
	t.bob = initialState(&cfg.StaticKeys.Public)
	t.ids.m = make(map[uint64]*session)
	t.pending.m = make(map[netip.AddrPort]*session)
	t.pt = newExchanges[*peerTest](maxPeerTests, peerTestExpiry)
	t.rl = newExchanges[*relay](maxRelays, relayExpiry)
	t.tags.m = make(map[uint32]*session)
	t.tokensIn, t.tokensOut = newTokenTable(maxTokens), newTokenTable(maxTokens)
	t.seenX = replay.NewFilter(2*cfg.MaxSkew, 0)
	t.limit = ratelimit.New[netip.Addr](cfg.HandshakeRate, cfg.HandshakeBurst, maxRateEntries, true)
	t.hsSlots = make(chan struct{}, cfg.MaxHandshakes)
	t.bufs.New = func() any { return new(packet) }
	t.life, t.stopLife = context.WithCancel(context.Background())
	return t, nil
}

func setDefaults(c *Config) {
	def, defInt := transport.Default[time.Duration], transport.Default[int]
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	defInt(&c.QueueLen, DefaultQueueLen)
	defInt(&c.MaxHandshakes, DefaultMaxHandshakes)
	defInt(&c.MaxSessions, DefaultMaxSessions)
	defInt(&c.HandshakeBurst, DefaultHandshakeBurst)
	defInt(&c.MTU4, DefaultMTU)
	defInt(&c.MTU6, DefaultMTU)
	if c.HandshakeRate == 0 {
		c.HandshakeRate = DefaultHandshakeRate
	}
	def(&c.IdleTimeout, DefaultIdleTimeout)
	def(&c.MaxSkew, DefaultMaxSkew)
	def(&c.BanDuration, DefaultBanDuration)
	if c.ListenPacket == nil {
		c.ListenPacket = (&net.ListenConfig{}).ListenPacket
	}
}

// Name is "SSU2".
func (t *Transport) Name() string { return "SSU2" }

// Counters returns a snapshot of the event counters.
func (t *Transport) Counters() Counters {
	t.mu.Lock()
	n := len(t.sessions)
	t.mu.Unlock()
	c := &t.cnt
	return Counters{
		HandshakesIn: c.handshakesIn.Load(), HandshakesOut: c.handshakesOut.Load(),
		FailedIn: c.failedIn.Load(), FailedOut: c.failedOut.Load(),
		RetriesSent: c.retries.Load(), TokenRequests: c.tokenRequests.Load(), TokensUsed: c.tokensUsed.Load(),
		Replays:    c.replays.Load(),
		WrongNetID: c.wrongNetID.Load(), ClockSkew: c.clockSkew.Load(), Dropped: c.dropped.Load(),
		QueueFull: c.queueFull.Load(), RateLimited: c.rateLimited.Load(), Busy: c.busy.Load(), Sessions: n,
	}
}

// LocalAddrs are the addresses of the open sockets (nil before Run).
func (t *Transport) LocalAddrs() []netip.AddrPort {
	select {
	case <-t.ready:
	default:
		return nil
	}
	out := make([]netip.AddrPort, len(t.socks))
	for i, s := range t.socks {
		out[i] = s.local
	}
	return out
}

// Run opens the sockets, reads packets and serves sessions until ctx
// ends; then it terminates every session (reason 3, router shutdown),
// waits for their goroutines and its readers, closes the sockets and
// returns. It may be called once.
func (t *Transport) Run(ctx context.Context) error {
	t.mu.Lock()
	if t.running || t.closed {
		t.mu.Unlock()
		return errors.New("ssu2: Run called twice")
	}
	t.running = true
	t.mu.Unlock()
	defer t.stopLife()
	socks, err := t.openSockets(ctx)
	if err != nil {
		t.shutdown()
		return err
	}
	t.socks = socks
	close(t.ready)
	for _, s := range socks {
		t.log.Info("ssu2: listening", "addr", s.local.String())
		t.readers.Go(func() { t.readLoop(s) })
	}
	if t.cfg.PeerTestInterval > 0 && t.cfg.Signer != nil {
		t.readers.Go(func() { t.runPeerTests(ctx, t.cfg.PeerTestInterval) })
	}
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			now := t.cfg.Now()
			t.tokensIn.expire(now)
			t.tokensOut.expire(now)
		}
	}
	t.shutdown()
	for _, s := range socks {
		s.pc.Close()
	}
	t.readers.Wait()
	return nil
}

// shutdown refuses new sessions, tells the live ones to terminate and
// waits for their goroutines.
func (t *Transport) shutdown() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.stopLife()
	t.wg.Wait()
}

// openSockets binds ListenAddrs, or one random port per allowed family.
func (t *Transport) openSockets(ctx context.Context) ([]*socket, error) {
	addrs := t.cfg.ListenAddrs
	if len(addrs) == 0 {
		if !t.cfg.NoIPv4 {
			addrs = append(addrs, "0.0.0.0:0")
		}
		if !t.cfg.NoIPv6 {
			addrs = append(addrs, "[::]:0")
		}
	}
	var socks []*socket
	for _, a := range addrs {
		pc, err := t.cfg.ListenPacket(ctx, udpNetwork(a), a)
		if err != nil && len(t.cfg.ListenAddrs) == 0 {
			continue // an ephemeral socket of a family the host lacks
		}
		if err != nil {
			for _, s := range socks {
				s.pc.Close()
			}
			return nil, fmt.Errorf("ssu2: listen %s: %w", a, err)
		}
		socks = append(socks, newSocket(pc))
	}
	if len(socks) == 0 {
		return nil, errors.New("ssu2: no socket could be opened")
	}
	return socks, nil
}

// udpNetwork picks "udp4" or "udp6" by the address's literal, so that
// 0.0.0.0:p and [::]:p can both be bound.
func udpNetwork(address string) string {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return "udp"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "udp"
	}
	if ip.Is4() {
		return "udp4"
	}
	return "udp6"
}

// socketFor returns the socket to reach ap from, or nil.
func (t *Transport) socketFor(ap netip.AddrPort) *socket {
	v4 := ap.Addr().Unmap().Is4()
	for _, s := range t.socks {
		if s.v4 == v4 {
			return s
		}
	}
	return nil
}

// waitReady waits until Run has opened the sockets.
func (t *Transport) waitReady(ctx context.Context) error {
	select {
	case <-t.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.life.Done():
		return ErrTransportClosed
	}
}

// CanDial reports whether ri has an SSU2 address we may dial.
func (t *Transport) CanDial(ri *data.RouterInfo) bool {
	return len(dialAddrs(ri, !t.cfg.NoIPv4, !t.cfg.NoIPv6)) > 0 || len(introducedAddrs(ri, !t.cfg.NoIPv4, !t.cfg.NoIPv6)) > 0
}

// Dial opens a session to the peer over its first reachable SSU2 address
// and reports it to the Handler before returning it. It waits for Run to
// open the sockets.
func (t *Transport) Dial(ctx context.Context, ri *data.RouterInfo) (transport.Session, error) {
	if ri.Hash() == t.us {
		return nil, errors.New("ssu2: dial: that is us")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(t.life, cancel)
	defer stop()
	if err := t.waitReady(ctx); err != nil {
		return nil, fmt.Errorf("ssu2: dial %s: %w", ri.Hash(), err)
	}
	addrs := dialAddrs(ri, !t.cfg.NoIPv4, !t.cfg.NoIPv6)
	if len(addrs) == 0 {
		return t.dialThroughIntroducers(ctx, ri)
	}
	var errs []error
	for _, a := range addrs {
		sock := t.socketFor(a.ap)
		switch {
		case sock == nil:
			errs = append(errs, fmt.Errorf("%s: no socket of that family", a.ap))
			continue
		case t.cfg.Banned != nil && t.cfg.Banned(a.ap.Addr()):
			errs = append(errs, fmt.Errorf("%s: %w", a.ap, transport.ErrBanned))
			continue
		}
		s, err := t.dialAddr(ctx, sock, ri, a)
		if err == nil {
			return s, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", a.ap, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("ssu2: dial %s: %w", ri.Hash(), errors.Join(errs...))
}

func (t *Transport) dialAddr(ctx context.Context, sock *socket, ri *data.RouterInfo, a peerAddr) (transport.Session, error) {
	s, err := newOutbound(t, sock, ri, a)
	if err != nil {
		return nil, err
	}
	t.pending.Lock()
	if t.pending.m[a.ap] != nil {
		t.pending.Unlock()
		return nil, errors.New("another handshake to that address is in progress")
	}
	t.pending.m[a.ap] = s
	t.pending.Unlock()
	if err := t.start(s); err != nil {
		t.removePending(a.ap, s)
		return nil, err
	}
	select {
	case <-s.established:
		t.cnt.handshakesOut.Add(1)
		return s, nil
	case <-s.done:
	case <-ctx.Done():
		s.abort(ctx.Err())
		<-s.done
	}
	t.cnt.failedOut.Add(1)
	return nil, s.Err()
}

// start registers s under its receive connection id and runs it.
func (t *Transport) start(s *session) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrTransportClosed
	}
	if len(t.sessions) >= t.cfg.MaxSessions {
		return transport.ErrLimit
	}
	if !t.register(s.recvID, s) {
		return errors.New("ssu2: connection id in use")
	}
	t.sessions[s] = struct{}{}
	t.wg.Add(1)
	go s.run()
	return nil
}

// register maps id to s unless the id is taken.
func (t *Transport) register(id uint64, s *session) bool {
	t.ids.Lock()
	defer t.ids.Unlock()
	if t.ids.m[id] != nil {
		return false
	}
	t.ids.m[id] = s
	return true
}

func (t *Transport) lookup(id uint64) *session {
	t.ids.RLock()
	defer t.ids.RUnlock()
	return t.ids.m[id]
}

// remove forgets s: its connection id and its place among the sessions.
func (t *Transport) remove(s *session) {
	t.ids.Lock()
	if t.ids.m[s.recvID] == s {
		delete(t.ids.m, s.recvID)
	}
	t.ids.Unlock()
	t.mu.Lock()
	delete(t.sessions, s)
	t.mu.Unlock()
}

func (t *Transport) removePending(ap netip.AddrPort, s *session) {
	t.pending.Lock()
	if t.pending.m[ap] == s {
		delete(t.pending.m, ap)
	}
	t.pending.Unlock()
}

func (t *Transport) pendingFor(ap netip.AddrPort) *session {
	t.pending.Lock()
	defer t.pending.Unlock()
	return t.pending.m[ap]
}

func (t *Transport) now() time.Time { return t.cfg.Now() }

// randBytes fills b from cfg.Rand; a failing source is fatal to the
// caller.
func (t *Transport) randBytes(b []byte) error {
	if _, err := t.rand.Read(b); err != nil {
		return fmt.Errorf("ssu2: random: %w", err)
	}
	return nil
}

func (t *Transport) randUint64() uint64 {
	v, _ := t.rand.Uint64() // on failure zero, which callers treat as "none"
	return v
}

// randConnID returns a random nonzero connection id.
func (t *Transport) randConnID() uint64 {
	for range 8 {
		if id := t.randUint64(); id != 0 {
			return id
		}
	}
	return 1 // only a broken random source gets here
}
