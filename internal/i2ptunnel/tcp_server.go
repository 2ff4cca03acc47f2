package i2ptunnel

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Server tunnel kinds (tunnels.conf `type`).
const (
	TypeServer = "server" // streams to a TCP service, bytes as they are
	TypeHTTP   = "http"   // an HTTP service: request headers rewritten (http_server.go)
	TypeIRC    = "irc"    // an IRC server: USER and WEBIRC rewritten (irc_server.go)
)

// ServerConfig is a `type = server|http|irc` tunnel of tunnels.conf: the
// streams to a local destination's port become TCP connections to a
// local service.
type ServerConfig struct {
	Name string
	Type string // TypeServer, TypeHTTP or TypeIRC; "" is TypeServer
	Host string // the service's address
	Port int    // the service's port
	// InPort is the streaming port accepted; 0 accepts any port (i2pd's
	// `inport`, whose default is the destination's every port).
	InPort uint16
	// AccessList, when not empty, is the only destinations let in
	// (`accesslist`/`whitelist`).
	AccessList []data.Hash
	// HostOverride replaces the Host header of HTTP requests
	// (`hostoverride`).
	HostOverride string
	// WebIRCPassword makes an IRC tunnel announce each client with a
	// WEBIRC line (`webircpassword`).
	WebIRCPassword string
	// Address is the local address connections to the service come
	// from (`address`); "" lets the system choose, or see UniqueLocal.
	Address string
	// UniqueLocal connects to a service on 127.0.0.0/8 from
	// 127.a.b.c, the first three bytes of the client's hash, so the
	// service can tell clients apart (`enableuniquelocal`, i2pd's
	// default on Linux).
	UniqueLocal bool
	MaxConns    int // 0 is DefaultMaxConns
}

// Server is a running server tunnel.
type Server struct {
	cfg     ServerConfig
	streams Streams
	allowed map[data.Hash]bool
	log     *slog.Logger
}

// NewServer returns a server tunnel taking its streams from s.
func NewServer(cfg ServerConfig, s Streams, log *slog.Logger) (*Server, error) {
	switch cfg.Type {
	case "":
		cfg.Type = TypeServer
	case TypeServer, TypeHTTP, TypeIRC:
	default:
		return nil, fmt.Errorf("i2ptunnel: %s: unknown server type %q", cfg.Name, cfg.Type)
	}
	if cfg.Host == "" || cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("i2ptunnel: %s: needs host and port", cfg.Name)
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &Server{cfg: cfg, streams: s, log: log.With("tunnel", cfg.Name)}
	if len(cfg.AccessList) > 0 {
		srv.allowed = make(map[data.Hash]bool, len(cfg.AccessList))
		for _, h := range cfg.AccessList {
			srv.allowed[h] = true
		}
	}
	return srv, nil
}

// Listen opens the tunnel's streaming port.
func (s *Server) Listen() (net.Listener, error) { return s.streams.Listen(s.cfg.InPort) }

// Serve accepts streams on ln until ctx ends, each carried to the
// service. It returns when every connection it started has ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, s.cfg.MaxConns, s.log, s.handle)
}

// dialTimeout bounds the connection to the local service.
const dialTimeout = 30 * time.Second

func (s *Server) handle(ctx context.Context, stream net.Conn) {
	from, known := remoteOf(stream)
	if s.allowed != nil && (!known || !s.allowed[from.Hash()]) {
		s.log.Info("i2ptunnel: stream refused by the access list", "from", stream.RemoteAddr())
		stream.Close()
		return
	}
	d := net.Dialer{Timeout: dialTimeout}
	if local := s.localAddr(from, known); local != nil {
		d.LocalAddr = local
	}
	svc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(s.cfg.Host, fmt.Sprint(s.cfg.Port)))
	if err != nil {
		s.log.Warn("i2ptunnel: service unreachable", "err", err)
		stream.Close()
		return
	}
	var in net.Conn = stream
	switch s.cfg.Type {
	case TypeHTTP:
		in = newHTTPServerConn(stream, from, known, s.cfg.HostOverride)
	case TypeIRC:
		in = newIRCServerConn(stream, from, known, s.cfg.WebIRCPassword, svc.LocalAddr())
	}
	up, down := join(ctx, in, svc)
	s.log.Debug("i2ptunnel: connection ended", "to_service", up, "to_client", down)
}

// localAddr is the address to connect to the service from.
func (s *Server) localAddr(from data.KeysAndCert, known bool) net.Addr {
	if s.cfg.Address != "" {
		if ip, err := netip.ParseAddr(s.cfg.Address); err == nil {
			return &net.TCPAddr{IP: ip.AsSlice()}
		}
		return nil
	}
	ip, err := netip.ParseAddr(s.cfg.Host)
	if !s.cfg.UniqueLocal || !known || err != nil || !ip.Is4() || ip.As4()[0] != 127 {
		return nil
	}
	h := from.Hash()
	return &net.TCPAddr{IP: net.IPv4(127, h[0], h[1], h[2])}
}
