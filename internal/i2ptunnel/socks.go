package i2ptunnel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// The SOCKS proxy (i2pd's [socksproxy], 127.0.0.1:4447): SOCKS4, 4a and
// 5 CONNECT to hosts inside I2P, over streams from its own destination.
// Names are resolved inside I2P (b32, b33, the addressbook), never by
// DNS: a client must send the name (SOCKS4a, SOCKS5 with a domain,
// curl's --socks5-hostname). An IP address or a name outside .i2p goes to
// the outproxy, an upstream SOCKS5 proxy, if one is set; otherwise it is
// refused with "connection not allowed by ruleset" (SOCKS5 code 2;
// SOCKS4 91).
//
// The proxy never logs the hosts it connects to above debug level: no
// browsing history.

// socksHandshakeTimeout bounds the negotiation of one client.
const socksHandshakeTimeout = 30 * time.Second

// SOCKSConfig configures a SOCKS proxy.
type SOCKSConfig struct {
	Name    string
	Address string // local address to listen on; "" is 127.0.0.1
	Port    int    // local port (0: any free one)
	// User and Password, when User is set, are required of every
	// client (SOCKS5 username/password; SOCKS4 is then refused).
	User, Password string
	// Outproxy is an upstream SOCKS5 proxy, "host:port", for hosts
	// outside I2P: a host ending in .i2p is reached over a stream, any
	// other over TCP (i2pd's socksproxy.outproxy, e.g. Tor's
	// 127.0.0.1:9050). "" refuses such hosts.
	Outproxy string
	// ConnectTimeout bounds resolving a host and opening its stream; 0
	// is DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// MaxConns bounds the clients served at once; 0 is DefaultMaxConns.
	MaxConns int
}

// SOCKSProxy is a running SOCKS proxy.
type SOCKSProxy struct {
	cfg     SOCKSConfig
	streams Streams
	resolve Resolver
	auth    *socksAuth
	log     *slog.Logger
	// dialTCP reaches an outproxy outside I2P; tests replace it.
	dialTCP func(ctx context.Context, addr string) (net.Conn, error)
}

// NewSOCKSProxy returns a SOCKS proxy that opens its streams on s,
// resolving names other than ….b32.i2p with r.
func NewSOCKSProxy(cfg SOCKSConfig, s Streams, r Resolver, log *slog.Logger) (*SOCKSProxy, error) {
	if cfg.Outproxy != "" {
		if _, _, err := splitHostPort(cfg.Outproxy, 0); err != nil {
			return nil, fmt.Errorf("i2ptunnel: [%s] outproxy %q: want host:port: %w", cfg.Name, cfg.Outproxy, err)
		}
	}
	if len(cfg.User) > 255 || len(cfg.Password) > 255 {
		return nil, fmt.Errorf("i2ptunnel: [%s] SOCKS username and password are at most 255 bytes", cfg.Name)
	}
	log = localDefaults(&cfg.Address, &cfg.ConnectTimeout, &cfg.MaxConns, log)
	p := &SOCKSProxy{cfg: cfg, streams: s, resolve: r, log: log.With("tunnel", cfg.Name)}
	if cfg.User != "" {
		p.auth = &socksAuth{cfg.User, cfg.Password}
	}
	p.dialTCP = func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	return p, nil
}

// Listen opens the proxy's local port.
func (p *SOCKSProxy) Listen() (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort(p.cfg.Address, strconv.Itoa(p.cfg.Port)))
}

// Serve accepts clients on ln until ctx ends (which closes ln), at most
// MaxConns at once, and returns when all have ended.
func (p *SOCKSProxy) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, p.cfg.MaxConns, p.log, p.handle)
}

// handle serves one client: negotiation, then the connection joined to
// its stream.
func (p *SOCKSProxy) handle(ctx context.Context, local net.Conn) {
	local.SetDeadline(time.Now().Add(socksHandshakeTimeout))
	br := bufio.NewReaderSize(local, 512)
	req, err := negotiate(br, local, p.auth)
	if err != nil {
		var se *socksError
		if errors.As(err, &se) && se.send && req.version != 0 {
			socksReply(local, req.version, se.code)
		}
		p.log.Debug("socks: refused", "err", err)
		local.Close()
		return
	}
	remote, code, err := p.open(ctx, req)
	if err != nil {
		p.log.Debug("socks: not connected", "host", req.host, "port", req.port, "err", err)
		socksReply(local, req.version, code)
		local.Close()
		return
	}
	if err := socksReply(local, req.version, Socks5Succeeded); err != nil {
		local.Close()
		remote.Close()
		return
	}
	local.SetDeadline(time.Time{})
	// Bytes the client sent after its request are the stream's first.
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		if _, err := remote.Write(b); err != nil {
			local.Close()
			remote.Close()
			return
		}
	}
	up, down := join(ctx, local, remote)
	p.log.Debug("socks: done", "sent", up, "received", down)
}

// open reaches the request's target: a stream for a host in I2P, the
// outproxy for others. On failure it gives the SOCKS5 code to answer.
func (p *SOCKSProxy) open(ctx context.Context, req socksRequest) (net.Conn, byte, error) {
	dctx, cancel := context.WithTimeout(ctx, p.cfg.ConnectTimeout)
	defer cancel()
	if req.ip || !strings.HasSuffix(strings.ToLower(strings.TrimSuffix(req.host, ".")), ".i2p") {
		if p.cfg.Outproxy == "" {
			return nil, Socks5NotAllowed, fmt.Errorf("socks: %s is outside I2P and no outproxy is set (socksproxy.outproxy)", clip(req.host))
		}
		return p.viaOutproxy(dctx, req)
	}
	c, err := p.dialI2P(dctx, req.host, req.port)
	if err != nil {
		return nil, p.failureCode(dctx, err), err
	}
	return c, Socks5Succeeded, nil
}

// dialI2P resolves an I2P host and opens a stream to it.
func (p *SOCKSProxy) dialI2P(ctx context.Context, host string, port uint16) (net.Conn, error) {
	to, err := ResolveDestination(ctx, host, p.resolve)
	if err != nil {
		return nil, err
	}
	return p.streams.Dial(ctx, to, port)
}

func (p *SOCKSProxy) failureCode(ctx context.Context, err error) byte {
	switch {
	case ctx.Err() != nil:
		return Socks5TTLExpired
	case errors.Is(err, ErrUnknownName):
		return Socks5HostUnreachable
	}
	return Socks5HostUnreachable // LeaseSet not found, stream refused
}

// viaOutproxy connects to the outproxy and asks it for the target.
func (p *SOCKSProxy) viaOutproxy(ctx context.Context, req socksRequest) (net.Conn, byte, error) {
	host, port, _ := splitHostPort(p.cfg.Outproxy, 0)
	var c net.Conn
	var err error
	if strings.HasSuffix(strings.ToLower(host), ".i2p") {
		c, err = p.dialI2P(ctx, host, port)
	} else {
		c, err = p.dialTCP(ctx, p.cfg.Outproxy)
	}
	if err != nil {
		return nil, Socks5GeneralFailure, fmt.Errorf("socks: outproxy %s: %w", p.cfg.Outproxy, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if err := socks5Connect(c, req.host, req.port); err != nil {
		c.Close()
		code := byte(Socks5GeneralFailure)
		var se *socksError
		if errors.As(err, &se) {
			code = se.code
		}
		return nil, code, err
	}
	c.SetDeadline(time.Time{})
	return c, Socks5Succeeded, nil
}
