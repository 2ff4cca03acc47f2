package sam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Server limits and timeouts.
const (
	// DefaultMaxConns bounds control connections (and so sessions); one
	// more gets an error reply and is closed.
	DefaultMaxConns = 1024
	// helloTimeout is how long a new connection may take to say HELLO;
	// it also ends half-open sockets that never speak.
	helloTimeout = 60 * time.Second
	// writeTimeout bounds each write to a client: a client that stops
	// reading loses its connection (and its session) instead of holding
	// memory.
	writeTimeout = 30 * time.Second
	// createTimeout bounds a SESSION CREATE (tunnel builds included);
	// samv3.html warns it can take a minute or more.
	createTimeout = 3 * time.Minute
	// connectTimeout bounds STREAM CONNECT (about a minute, as Java).
	connectTimeout = 60 * time.Second
	// lookupTimeout bounds NAMING LOOKUP and destination resolution.
	lookupTimeout = 30 * time.Second
	// sendTimeout bounds sending one datagram (LeaseSet lookup included).
	sendTimeout = 30 * time.Second
	// maxSending bounds datagrams being sent at once; more are dropped.
	maxSending = 64
	// forwardDialTimeout: a FORWARD target must take the connection
	// within 3 s (samv3.html, "STREAM FORWARD").
	forwardDialTimeout = 3 * time.Second
	// acceptHold is how long an incoming stream waits for a STREAM
	// ACCEPT or FORWARD before it is reset.
	acceptHold = 60 * time.Second
)

// Config configures a Server.
type Config struct {
	// Address is the control (TCP) address, host:port (i2pd's
	// sam.address and sam.port: 127.0.0.1:7656).
	Address string
	// UDPAddress is the datagram (UDP) address (sam.portudp: 7655); ""
	// turns the UDP port off.
	UDPAddress string
	Router     Router
	Log        *slog.Logger
	MaxConns   int // 0: DefaultMaxConns
	// HelloTimeout and WriteTimeout replace helloTimeout and
	// writeTimeout when set (tests).
	HelloTimeout, WriteTimeout time.Duration
}

// Server is a SAM bridge. Listen binds it, Serve runs it until its
// context ends; every connection, session and goroutine it started is
// gone when Serve returns.
type Server struct {
	cfg Config
	log *slog.Logger
	ln  net.Listener
	udp *net.UDPConn
	// lo sends datagrams forwarded to loopback addresses, from
	// 127.0.0.1: sam3 (go-i2p/sam3 v0.33.9) drops forwarded datagrams
	// whose source IP is the bridge's, so a bridge on another loopback
	// address must not send them from its own.
	lo *net.UDPConn

	sending chan struct{} // semaphore of datagrams being sent

	mu       sync.Mutex
	conns    map[*conn]struct{}
	sessions map[string]*sub  // every session and subsession, by ID
	dests    map[string]*dest // by destination hash (Base64), for DUPLICATED_DEST
	ctx      context.Context
	wg       sync.WaitGroup
	counters Counters
}

// Counters are what the bridge did since it started.
type Counters struct {
	Conns, Refused, Sessions, Streams    uint64
	DatagramsSent, DatagramsReceived     uint64
	DatagramsDropped, Errors, BadUDP     uint64
	ActiveConns, ActiveSessions, Pending int
}

// Listen binds the control port and, if configured, the UDP port.
func Listen(cfg Config) (*Server, error) {
	if cfg.Router == nil {
		return nil, errors.New("sam: no router")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.HelloTimeout <= 0 {
		cfg.HelloTimeout = helloTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = writeTimeout
	}
	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("sam: listen on %s (sam.address, sam.port): %w", cfg.Address, err)
	}
	s := &Server{cfg: cfg, log: cfg.Log, ln: ln, sending: make(chan struct{}, maxSending),
		conns: make(map[*conn]struct{}), sessions: make(map[string]*sub), dests: make(map[string]*dest)}
	if cfg.UDPAddress != "" {
		ua, err := net.ResolveUDPAddr("udp", cfg.UDPAddress)
		if err == nil {
			s.udp, err = net.ListenUDP("udp", ua)
		}
		if err == nil {
			if s.lo, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
				s.udp.Close()
			}
		}
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("sam: listen on UDP %s (sam.address, sam.portudp): %w", cfg.UDPAddress, err)
		}
	}
	return s, nil
}

// Addr is the control address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// UDPAddr is the datagram address, nil without one.
func (s *Server) UDPAddr() net.Addr {
	if s.udp == nil {
		return nil
	}
	return s.udp.LocalAddr()
}

// Counters returns the bridge's counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counters
	c.ActiveConns, c.ActiveSessions = len(s.conns), len(s.dests)
	return c
}

// Serve accepts connections until ctx ends, then closes everything and
// waits for it.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	if s.udp != nil {
		s.wg.Add(1)
		go s.udpLoop(ctx)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-ctx.Done()
		s.ln.Close()
		if s.udp != nil {
			s.udp.Close()
			s.lo.Close()
		}
		s.mu.Lock()
		for c := range s.conns {
			c.close()
		}
		s.mu.Unlock()
	}()
	var err error
	for {
		var nc net.Conn
		nc, err = s.ln.Accept()
		if err != nil {
			break
		}
		s.mu.Lock()
		if len(s.conns) >= s.cfg.MaxConns {
			s.counters.Refused++
			s.mu.Unlock()
			nc.SetWriteDeadline(time.Now().Add(time.Second))
			nc.Write([]byte(reply("HELLO", "REPLY", "RESULT", "I2P_ERROR", "MESSAGE",
				fmt.Sprintf("too many SAM connections (%d): close some", s.cfg.MaxConns)).String()))
			nc.Close()
			continue
		}
		c := newConn(s, nc)
		s.conns[c] = struct{}{}
		s.counters.Conns++
		s.wg.Add(1)
		s.mu.Unlock()
		go c.run(ctx)
	}
	cancel()
	s.wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("sam: accept: %w", err)
}

// dropConn forgets a finished connection.
func (s *Server) dropConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// count adds to a counter.
func (s *Server) count(f func(*Counters)) {
	s.mu.Lock()
	f(&s.counters)
	s.mu.Unlock()
}

// lookupSub returns the session or subsession with id.
func (s *Server) lookupSub(id string) *sub {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

// trySending takes a sending slot, or reports that none is free.
func (s *Server) trySending() bool {
	select {
	case s.sending <- struct{}{}:
		return true
	default:
		return false
	}
}

// goSend runs send in the background with a sending slot it must have
// taken, under the server's lifetime.
func (s *Server) goSend(send func(ctx context.Context)) {
	s.mu.Lock()
	ctx := s.ctx
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() { <-s.sending }()
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		defer cancel()
		send(sctx)
	}()
}
