package i2ptunnel

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/data"
)

// UDPServerConfig is a `type = udpserver` tunnel of tunnels.conf: the
// datagrams to a local destination become packets to a local UDP
// service, and its answers datagrams back.
type UDPServerConfig struct {
	Name string
	Host string // the service's address
	Port int    // the service's port
	// Address is where the per-remote sockets are bound: "" is 127.0.0.1
	// (::1 for an IPv6 Host), as in i2pd.
	Address string
	// UniqueLocal binds each remote destination's socket to 127.a.b.c,
	// the first three bytes of its hash, when Address is 127.0.0.1, so the
	// service can tell remotes apart (i2pd's enableuniquelocal, default
	// true).
	UniqueLocal bool
	// Gzip deflates the answers (i2pd's gzip, false by default for a
	// udpserver).
	Gzip bool
	// MaxSessions bounds the remote sessions open at once; 0 is
	// DefaultUDPSessions.
	MaxSessions int
}

// UDPServer is a udpserver tunnel.
type UDPServer struct {
	cfg     UDPServerConfig
	mux     *UDPMux
	service *net.UDPAddr
	log     *slog.Logger
	cnt     udpCounters
	now     func() time.Time

	mu       sync.Mutex
	ctx      context.Context // Serve's; nil before and after
	send     *udpSender
	wg       sync.WaitGroup // session readers
	sessions map[sessionKey]*udpSession
	last     *udpSession // the session of the last repliable datagram: raw ones go there
	anon     *udpSession // raw datagrams before any repliable one
}

// sessionKey names a remote: its destination and the I2P port it sends
// from.
type sessionKey struct {
	from data.Hash
	port uint16
}

// udpSession is one remote's socket towards the service.
type udpSession struct {
	key       sessionKey
	localPort uint16 // the I2P port the remote sent to: our source port back
	conn      *net.UDPConn
	last      time.Time
}

// NewUDPServer returns a udpserver tunnel on mux's destination.
func NewUDPServer(cfg UDPServerConfig, mux *UDPMux, log *slog.Logger) (*UDPServer, error) {
	host, err := netip.ParseAddr(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("i2ptunnel: udpserver %s: host %q: %w", cfg.Name, cfg.Host, err)
	}
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1"
		if host.Is6() && !host.Is4In6() && !host.IsUnspecified() {
			cfg.Address = "::1"
		}
	}
	if _, err := netip.ParseAddr(cfg.Address); err != nil {
		return nil, fmt.Errorf("i2ptunnel: udpserver %s: address %q: %w", cfg.Name, cfg.Address, err)
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultUDPSessions
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &UDPServer{cfg: cfg, mux: mux, log: log.With("tunnel", cfg.Name), now: time.Now,
		service:  net.UDPAddrFromAddrPort(netip.AddrPortFrom(host, uint16(cfg.Port))),
		sessions: make(map[sessionKey]*udpSession)}, nil
}

// Serve takes the destination's datagrams until ctx ends, then closes
// every session.
func (s *UDPServer) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	send := newUDPSender(s.mux.dest, s.cfg.Gzip, &s.cnt, s.log)
	s.mu.Lock()
	s.ctx, s.send = ctx, send
	s.mu.Unlock()
	s.mux.addServer(s)
	var wg sync.WaitGroup
	wg.Go(func() { send.run(ctx) })
	wg.Go(func() { expireEvery(ctx, s.expire) })
	<-ctx.Done()
	s.mux.removeServer(s)
	s.mu.Lock()
	s.ctx = nil
	for k, ss := range s.sessions {
		ss.conn.Close()
		delete(s.sessions, k)
	}
	if s.anon != nil {
		s.anon.conn.Close()
	}
	s.last, s.anon = nil, nil
	s.mu.Unlock()
	wg.Wait()
	s.wg.Wait()
	return nil
}

// fromI2P passes a datagram to the service: a repliable one from its
// remote's session (opened if new), a raw one from the session of the
// last repliable datagram (as i2pd), or, before any, from a session with
// no way back.
func (s *UDPServer) fromI2P(r client.Received) {
	now := s.now()
	s.mu.Lock()
	var ss *udpSession
	var err error
	switch {
	case s.ctx == nil:
		err = fmt.Errorf("tunnel stopped")
	case isRepliable(r):
		k := sessionKey{from: r.Sender, port: r.SrcPort}
		if ss = s.sessions[k]; ss == nil {
			if ss, err = s.openLocked(k, r.DstPort); err == nil {
				s.sessions[k] = ss
			}
		}
		s.last = ss
	case s.last != nil:
		ss = s.last
	default:
		if s.anon == nil {
			s.anon, err = s.openLocked(sessionKey{}, r.DstPort)
		}
		ss = s.anon
	}
	if ss != nil {
		ss.last = now
	}
	s.mu.Unlock()
	if err != nil {
		s.cnt.drop(err.Error())
		return
	}
	if _, err := ss.conn.WriteToUDP(r.Data, s.service); err != nil {
		s.cnt.drop("local write failed")
		return
	}
	s.cnt.received.Add(1)
	if isRepliable(r) {
		s.cnt.receivedRepliable.Add(1)
	}
}

// openLocked opens a session's socket and starts its reader.
func (s *UDPServer) openLocked(k sessionKey, localPort uint16) (*udpSession, error) {
	if len(s.sessions) >= s.cfg.MaxSessions {
		s.evictLocked()
	}
	bind := netip.MustParseAddr(s.cfg.Address)
	if s.cfg.UniqueLocal && bind == netip.AddrFrom4([4]byte{127, 0, 0, 1}) && k.from != (data.Hash{}) {
		bind = netip.AddrFrom4([4]byte{127, k.from[0], k.from[1], k.from[2]})
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(bind, 0)))
	if err != nil {
		return nil, fmt.Errorf("session socket on %v: %w", bind, err)
	}
	ss := &udpSession{key: k, localPort: localPort, conn: conn}
	ctx, send := s.ctx, s.send
	s.wg.Go(func() { s.readService(ctx, ss, send) })
	s.log.Debug("i2ptunnel: udpserver session", "from", k.from.B32(), "port", k.port, "local", conn.LocalAddr())
	return ss, nil
}

// readService sends the service's answers on a session's socket back to
// its remote until the socket closes.
func (s *UDPServer) readService(ctx context.Context, ss *udpSession, send *udpSender) {
	buf := make([]byte, maxUDPPacket)
	for {
		n, _, err := ss.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if ss.key.from == (data.Hash{}) {
			s.cnt.drop("answer to a raw datagram: no sender to send it to")
			continue
		}
		now := s.now()
		s.mu.Lock()
		repliable := repliableNow(ss.last, now)
		ss.last = now
		s.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		send.enqueue(udpJob{to: ss.key.from, repliable: repliable, srcPort: ss.localPort, dstPort: ss.key.port,
			payload: append([]byte(nil), buf[:n]...)})
	}
}

// expire closes the sessions idle for UDPSessionTimeout.
func (s *UDPServer) expire(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, ss := range s.sessions {
		if now.Sub(ss.last) >= UDPSessionTimeout {
			s.closeLocked(k, ss)
		}
	}
	if s.anon != nil && now.Sub(s.anon.last) >= UDPSessionTimeout {
		s.anon.conn.Close()
		s.anon = nil
	}
}

// evictLocked closes the least recently active session.
func (s *UDPServer) evictLocked() {
	var oldest *udpSession
	for _, ss := range s.sessions {
		if oldest == nil || ss.last.Before(oldest.last) {
			oldest = ss
		}
	}
	if oldest != nil {
		s.closeLocked(oldest.key, oldest)
	}
}

func (s *UDPServer) closeLocked(k sessionKey, ss *udpSession) {
	ss.conn.Close()
	delete(s.sessions, k)
	if s.last == ss {
		s.last = nil
	}
}

// Stats returns the tunnel's counters.
func (s *UDPServer) Stats() UDPStats {
	st := s.cnt.stats()
	s.mu.Lock()
	st.Sessions = len(s.sessions)
	s.mu.Unlock()
	return st
}
