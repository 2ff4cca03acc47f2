package bob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Limits and timeouts.
const (
	maxLine      = 16 << 10 // a command, or a client tunnel's destination line
	maxConns     = 256      // command connections at once
	lineTimeout  = 30 * time.Second
	dialTimeout  = 60 * time.Second // a client tunnel's stream
	localTimeout = 10 * time.Second // a server tunnel's connection to outhost:outport
	openTimeout  = 3 * time.Minute  // a tunnel's destination and its tunnels
	idleTimeout  = 10 * time.Minute // a command connection that says nothing
)

// Config configures a Server.
type Config struct {
	Address string // bob.address:bob.port, 127.0.0.1:2827
	Router  Router
	Log     *slog.Logger
}

// Server is a BOB bridge: Listen binds it, Serve runs it until its
// context ends and then stops every tunnel.
type Server struct {
	cfg Config
	log *slog.Logger
	ln  net.Listener

	mu      sync.Mutex
	tunnels map[string]*tunnel
	conns   map[net.Conn]struct{}
	ctx     context.Context
	wg      sync.WaitGroup
}

// Listen binds the command port.
func Listen(cfg Config) (*Server, error) {
	if cfg.Router == nil {
		return nil, errors.New("bob: no router")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("bob: listen on %s (bob.address, bob.port): %w", cfg.Address, err)
	}
	return &Server{cfg: cfg, log: cfg.Log, ln: ln, tunnels: make(map[string]*tunnel), conns: make(map[net.Conn]struct{})}, nil
}

// Addr is the command address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve takes command connections until ctx ends, then closes them,
// stops the tunnels and waits for every goroutine.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-ctx.Done()
		s.ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		ts := make([]*tunnel, 0, len(s.tunnels))
		for _, t := range s.tunnels {
			ts = append(ts, t)
		}
		s.mu.Unlock()
		for _, t := range ts {
			t.stop()
		}
	}()
	var err error
	for {
		var nc net.Conn
		if nc, err = s.ln.Accept(); err != nil {
			break
		}
		s.mu.Lock()
		if len(s.conns) >= maxConns {
			s.mu.Unlock()
			nc.Write([]byte("ERROR too many BOB connections\n"))
			nc.Close()
			continue
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			newCommands(s, nc).run(ctx)
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
			nc.Close()
		}()
	}
	cancel()
	s.wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("bob: accept: %w", err)
}

// goTracked runs f under the server's lifetime.
func (s *Server) goTracked(f func(ctx context.Context)) {
	s.mu.Lock()
	ctx := s.ctx
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		f(ctx)
	}()
}

// tunnel returns the tunnel named nick.
func (s *Server) tunnel(nick string) *tunnel {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tunnels[nick]
}
