package ntcp2

import (
	"context"
	"errors"
	"fmt"
	"github.com/veil-i2p/veil/internal/ratelimit"
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
	"github.com/veil-i2p/veil/internal/transport"
)

// Config configures a Transport. Zero durations and counts take the
// Default* values.
type Config struct {
	// NetID is our network id (2 = the public network); handshakes whose
	// SessionRequest or RouterInfo carries another one are refused.
	NetID int
	// StaticKeys are the NTCP2 static X25519 key and the 16-byte IV "i"
	// (Extra), as in i2pd's ntcp2.keys.
	StaticKeys *keyfile.StaticKeys
	// RouterInfo returns our current signed RouterInfo; it is sent in
	// SessionConfirmed and, to inbound peers, as the first data frame.
	// Our router hash is New's RouterInfo().Hash().
	RouterInfo func() *data.RouterInfo
	// Handler receives session events.
	Handler transport.Handler
	// ListenAddrs are TCP addresses Run accepts on ("198.18.0.200:12345",
	// "[::1]:port"). None: outbound only.
	ListenAddrs []string
	Logger      *slog.Logger
	// Now is the wall clock for timestamps and skew checks (not for
	// timeouts, which use package time); default time.Now.
	Now func() time.Time
	// Rand is the source of keys, padding and delays; default
	// crypto/rand. It is used under a lock.
	Rand io.Reader
	// Banned reports whether an IP is banned: its connections are dropped
	// and it is not dialed. Ban bans an IP (wrong network id).
	Banned func(netip.Addr) bool
	Ban    func(ip netip.Addr, d time.Duration, reason string)

	QueueLen int // outbound messages queued per session
	// IdleTimeout closes a session after this long with no frame sent or
	// received (i2pd counts activity the same way).
	IdleTimeout time.Duration
	// KeepAlive, when positive, sends a DateTime frame after this long
	// (with jitter) without sending anything, so a session the router
	// wants stays up through quiet periods: idle peers otherwise close it
	// after their own idle timeout (i2pd: 2 min). Zero disables it.
	KeepAlive time.Duration
	MaxSkew   time.Duration // allowed clock difference in the handshake

	HandshakeTimeout time.Duration // whole handshake, either side
	MaxHandshakes    int           // concurrent inbound handshakes
	// HandshakeRate and HandshakeBurst limit inbound handshakes per IP
	// (IPv6: per /64). A negative rate disables the limit.
	HandshakeRate  float64
	HandshakeBurst int
	// ProbeDelay and ProbeRead bound the probing resistance after a
	// failed inbound handshake: linger up to ProbeDelay reading up to
	// ProbeRead bytes, then reset. Negative: close at once (tests).
	ProbeDelay  time.Duration
	ProbeRead   int
	BanDuration time.Duration
	// NoIPv4 and NoIPv6 keep Dial from addresses of that family.
	NoIPv4, NoIPv6 bool
	// DialContext and Listen replace net.Dialer and net.ListenConfig
	// (tests use them to run inside network namespaces).
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
	Listen      func(ctx context.Context, network, address string) (net.Listener, error)
}

// Counters are a transport's event counts.
type Counters struct {
	HandshakesIn, HandshakesOut uint64 // completed
	FailedIn, FailedOut         uint64 // failed handshakes
	Replays                     uint64 // SessionRequests with a known X
	WrongNetID                  uint64 // SessionRequests or RouterInfos of another network
	ClockSkew                   uint64 // handshakes refused for skew
	Probed                      uint64 // failed inbound handshakes closed with probing resistance
	RateLimited, BannedIn, Busy uint64 // connections dropped at accept
	ReplayEvicted               uint64
	Sessions                    int // live sessions
}

type counters struct {
	handshakesIn, handshakesOut, failedIn, failedOut atomic.Uint64
	replays, wrongNetID, clockSkew, probed           atomic.Uint64
	rateLimited, bannedIn, busy                      atomic.Uint64
}

// Transport is the NTCP2 transport: it accepts and dials sessions and
// tracks them until Run ends. Create it with New (the zero value is not
// usable); its methods are safe for concurrent use. See the package
// documentation for who owns what.
type Transport struct {
	cfg    Config
	log    *slog.Logger
	rand   *transport.Rand
	us     data.Hash
	ourAES *crypto.AES256       // key = our router hash: X in, Y out
	bob    noise.SymmetricState // initial state with our static key mixed in
	iv     [ivLen]byte          // our published i
	replay *replayCache
	limit  *ratelimit.Limiter[netip.Addr]
	hsSem  chan struct{}
	cnt    counters

	life     context.Context // cancelled when Run ends
	stopLife context.CancelFunc
	mu       sync.Mutex
	sessions map[*session]struct{}
	running  bool
	closed   bool
	wg       sync.WaitGroup

	// Test knobs: Alice completes a handshake despite skew; fixed
	// cleartext padding length for SessionRequest/SessionCreated (-1:
	// random).
	ignoreSkew bool
	fixedPad   int
}

var _ transport.Transport = (*Transport)(nil)

// ErrTransportClosed is returned by Dial after Run has ended.
var ErrTransportClosed = errors.New("ntcp2: transport closed")

// New checks cfg and returns a Transport.
func New(cfg Config) (*Transport, error) {
	if cfg.StaticKeys == nil || len(cfg.StaticKeys.Extra) != ivLen {
		return nil, errors.New("ntcp2: config: static keys with a 16-byte IV required")
	}
	if cfg.RouterInfo == nil || cfg.RouterInfo() == nil || cfg.Handler == nil {
		return nil, errors.New("ntcp2: config: RouterInfo and Handler required")
	}
	if cfg.NetID < 1 || cfg.NetID > 255 {
		return nil, fmt.Errorf("ntcp2: config: network id %d out of range", cfg.NetID)
	}
	if cfg.QueueLen < 0 || cfg.MaxHandshakes < 0 || cfg.HandshakeBurst < 0 || cfg.ProbeRead < 0 ||
		cfg.IdleTimeout < 0 || cfg.KeepAlive < 0 || cfg.MaxSkew < 0 || cfg.HandshakeTimeout < 0 || cfg.BanDuration < 0 {
		return nil, errors.New("ntcp2: config: negative limit")
	}
	setDefaults(&cfg)
	t := &Transport{cfg: cfg, log: cfg.Logger, sessions: make(map[*session]struct{}), fixedPad: -1}
	t.rand = transport.NewRand(cfg.Rand)
	t.us = cfg.RouterInfo().Hash()
	var err error
	if t.ourAES, err = crypto.NewAES256(t.us[:]); err != nil {
		return nil, fmt.Errorf("ntcp2: %w", err)
	}
	if pub, err := crypto.X25519Public(cfg.StaticKeys.Private[:]); err != nil || pub != cfg.StaticKeys.Public {
		return nil, errors.New("ntcp2: config: static public key does not match private key")
	}
	t.bob = initialState(&cfg.StaticKeys.Public)
	copy(t.iv[:], cfg.StaticKeys.Extra)
	t.replay = newReplayCache(2*cfg.MaxSkew, DefaultReplayCap)
	// Past the cap a new source passes untracked: the cap on concurrent
	// handshakes still bounds the damage.
	t.limit = ratelimit.New[netip.Addr](cfg.HandshakeRate, cfg.HandshakeBurst, maxRateEntries, true)
	t.hsSem = make(chan struct{}, cfg.MaxHandshakes)
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
	defInt(&c.HandshakeBurst, DefaultHandshakeBurst)
	defInt(&c.ProbeRead, DefaultProbeRead)
	if c.HandshakeRate == 0 {
		c.HandshakeRate = DefaultHandshakeRate
	}
	def(&c.IdleTimeout, DefaultIdleTimeout)
	def(&c.MaxSkew, DefaultMaxSkew)
	def(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	def(&c.ProbeDelay, DefaultProbeDelay)
	def(&c.BanDuration, DefaultBanDuration)
	if c.DialContext == nil {
		c.DialContext = (&net.Dialer{}).DialContext
	}
	if c.Listen == nil {
		c.Listen = (&net.ListenConfig{}).Listen
	}
}

// Name is "NTCP2".
func (t *Transport) Name() string { return "NTCP2" }

// Counters returns a snapshot of the event counters.
func (t *Transport) Counters() Counters {
	t.mu.Lock()
	n := len(t.sessions)
	t.mu.Unlock()
	t.replay.mu.Lock()
	ev := t.replay.evicted
	t.replay.mu.Unlock()
	c := &t.cnt
	return Counters{
		HandshakesIn: c.handshakesIn.Load(), HandshakesOut: c.handshakesOut.Load(),
		FailedIn: c.failedIn.Load(), FailedOut: c.failedOut.Load(),
		Replays: c.replays.Load(), WrongNetID: c.wrongNetID.Load(), ClockSkew: c.clockSkew.Load(),
		Probed: c.probed.Load(), RateLimited: c.rateLimited.Load(), BannedIn: c.bannedIn.Load(),
		Busy: c.busy.Load(), ReplayEvicted: ev, Sessions: n,
	}
}

// Dial opens a session to the peer over its first reachable NTCP2
// address and reports it to the Handler before returning it.
func (t *Transport) Dial(ctx context.Context, ri *data.RouterInfo) (transport.Session, error) {
	if ri.Hash() == t.us {
		return nil, errors.New("ntcp2: dial: that is us")
	}
	addrs := dialAddrs(ri, !t.cfg.NoIPv4, !t.cfg.NoIPv6)
	if len(addrs) == 0 {
		return nil, fmt.Errorf("ntcp2: dial %s: no reachable NTCP2 address", ri.Hash())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(t.life, cancel)
	defer stop()
	var errs []error
	for _, a := range addrs {
		if t.cfg.Banned != nil && t.cfg.Banned(a.ap.Addr()) {
			errs = append(errs, fmt.Errorf("%s: %w", a.ap, transport.ErrBanned))
			continue
		}
		s, err := t.dialAddr(ctx, ri, a)
		if err == nil {
			return s, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", a.ap, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("ntcp2: dial %s: %w", ri.Hash(), errors.Join(errs...))
}

func (t *Transport) dialAddr(ctx context.Context, ri *data.RouterInfo, a peerAddr) (transport.Session, error) {
	hctx, cancel := context.WithTimeout(ctx, t.cfg.HandshakeTimeout)
	defer cancel()
	c, err := t.cfg.DialContext(hctx, "tcp", a.ap.String())
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(hctx, func() { c.Close() })
	if dl, ok := hctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	h, err := newOutboundHandshake(t, c, ri, a)
	var res *handshakeResult
	if err == nil {
		res, err = h.handshake()
	}
	if !stop() && err == nil {
		err = ctx.Err()
		if err == nil {
			err = context.DeadlineExceeded
		}
	}
	if err != nil {
		t.cnt.failedOut.Add(1)
		resetClose(c)
		return nil, err
	}
	c.SetDeadline(time.Time{})
	t.cnt.handshakesOut.Add(1)
	return t.establish(res)
}

// CanDial reports whether ri has an NTCP2 address we may dial.
func (t *Transport) CanDial(ri *data.RouterInfo) bool {
	return len(dialAddrs(ri, !t.cfg.NoIPv4, !t.cfg.NoIPv6)) > 0
}

// establish turns a completed handshake into a running session: the
// Handler's Established first (it may refuse the session), then the two
// loops.
func (t *Transport) establish(res *handshakeResult) (transport.Session, error) {
	s, err := newSession(t, res)
	if err != nil {
		resetClose(res.conn)
		return nil, err
	}
	if err := t.cfg.Handler.Established(s); err != nil {
		reason := transport.ReasonNormal
		if te := (*transport.TerminationError)(nil); errors.As(err, &te) {
			reason = te.Reason
		}
		s.terminateNow(reason)
		return nil, fmt.Errorf("ntcp2: session refused: %w", err)
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		s.terminateNow(transport.ReasonRouterShutdown)
		t.cfg.Handler.Closed(s, s.Err())
		return nil, ErrTransportClosed
	}
	t.sessions[s] = struct{}{}
	t.wg.Add(2)
	t.mu.Unlock()
	go s.writeLoop()
	go s.readLoop()
	return s, nil
}

func (t *Transport) removeSession(s *session) {
	t.mu.Lock()
	delete(t.sessions, s)
	t.mu.Unlock()
}

func (t *Transport) now() time.Time { return t.cfg.Now() }

// handshakePadding picks the cleartext padding of message 1 or 2.
func (t *Transport) handshakePadding() int {
	if t.fixedPad >= 0 {
		return t.fixedPad
	}
	return t.rand.Intn(maxHandshakePadding + 1)
}

// remoteAddr is the peer's address, or the zero AddrPort for non-IP
// connections (net.Pipe in tests).
func remoteAddr(c net.Conn) netip.AddrPort {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// resetClose closes c with a TCP RST where possible: the spec's "abnormal
// close" for handshake failures.
func resetClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
