package i2ptunnel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// ClientConfig is a `type = client` tunnel of tunnels.conf: a local TCP
// port whose connections become streams to one I2P destination.
type ClientConfig struct {
	Name            string
	Address         string // local address to listen on; "" is 127.0.0.1
	Port            int    // local port
	Destination     string // ….b32.i2p, a Base64 destination, or a name the Resolver knows
	DestinationPort uint16
	// ConnectTimeout bounds the stream's opening (LeaseSet lookup and
	// SYN); 0 is DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// MaxConns bounds the connections open at once; 0 is DefaultMaxConns.
	MaxConns int
	// IRC filters the connection both ways (irc_filter.go); AllowDCC
	// lets DCC offers through it.
	IRC, AllowDCC bool
}

// Tunnel defaults.
const (
	DefaultConnectTimeout = time.Minute
	DefaultMaxConns       = 256
)

// Resolver turns a name (….i2p from an addressbook) into a destination
// hash. Nil resolves only ….b32.i2p and Base64 destinations.
type Resolver func(ctx context.Context, name string) (data.Hash, error)

// ErrUnknownName is returned for a destination no resolver knows.
var ErrUnknownName = errors.New("i2ptunnel: unknown destination name")

// Client is a running client tunnel.
type Client struct {
	cfg     ClientConfig
	streams Streams
	resolve Resolver
	log     *slog.Logger
}

// NewClient returns a client tunnel that opens its streams on s.
func NewClient(cfg ClientConfig, s Streams, r Resolver, log *slog.Logger) *Client {
	log = localDefaults(&cfg.Address, &cfg.ConnectTimeout, &cfg.MaxConns, log)
	return &Client{cfg: cfg, streams: s, resolve: r, log: log.With("tunnel", cfg.Name)}
}

// localDefaults fills in what a tunnel with a local port (client, HTTP
// proxy) leaves zero: 127.0.0.1, DefaultConnectTimeout, DefaultMaxConns
// and a logger.
func localDefaults(addr *string, timeout *time.Duration, maxConns *int, log *slog.Logger) *slog.Logger {
	if *addr == "" {
		*addr = "127.0.0.1"
	}
	if *timeout <= 0 {
		*timeout = DefaultConnectTimeout
	}
	if *maxConns <= 0 {
		*maxConns = DefaultMaxConns
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return log
}

// Listen opens the tunnel's local port.
func (c *Client) Listen() (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort(c.cfg.Address, fmt.Sprint(c.cfg.Port)))
}

// Serve accepts local connections on ln until ctx ends (which closes
// ln), each carried over a stream to the tunnel's destination. It
// returns when every connection it started has ended.
func (c *Client) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, c.cfg.MaxConns, c.log, c.handle)
}

func (c *Client) handle(ctx context.Context, local net.Conn) {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	to, err := ResolveDestination(dctx, c.cfg.Destination, c.resolve)
	var remote net.Conn
	if err == nil {
		remote, err = c.streams.Dial(dctx, to, c.cfg.DestinationPort)
	}
	cancel()
	if err != nil {
		c.log.Info("i2ptunnel: stream not opened", "destination", c.cfg.Destination, "err", err)
		local.Close()
		return
	}
	if c.cfg.IRC {
		f := ircFilter{allowDCC: c.cfg.AllowDCC}
		local, remote = newLineConn(local, f.outbound), newLineConn(remote, f.inbound)
	}
	up, down := join(ctx, local, remote)
	c.log.Debug("i2ptunnel: connection ended", "sent", up, "received", down)
}

// ResolveDestination turns a tunnel's destination string into a hash:
// ….b32.i2p (52 characters of Base32), a full Base64 destination, or a
// name r knows. Encrypted-LeaseSet (b33) addresses need the router's
// resolver too.
func ResolveDestination(ctx context.Context, s string, r Resolver) (data.Hash, error) {
	s = strings.TrimSpace(s)
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host // i2pd accepts "name:port"; the port comes from destinationport
	}
	lower := strings.ToLower(s)
	if b, ok := strings.CutSuffix(lower, ".b32.i2p"); ok && len(b) == 52 {
		raw, err := data.DecodeBase32(b)
		if err != nil || len(raw) != len(data.Hash{}) {
			return data.Hash{}, fmt.Errorf("i2ptunnel: bad b32 address %q", s)
		}
		return data.Hash(raw), nil
	}
	if !strings.HasSuffix(lower, ".i2p") && len(s) >= 516 {
		if raw, err := data.DecodeBase64(s); err == nil {
			if d, _, err := data.ParseKeysAndCert(raw); err == nil {
				return d.Hash(), nil
			}
		}
	}
	if r == nil {
		return data.Hash{}, fmt.Errorf("%w: %q", ErrUnknownName, s)
	}
	return r(ctx, s)
}

// serve is the accept loop of both tunnel kinds: at most max
// connections at once (further ones wait in the listener's backlog), each
// handled on its own goroutine, all ended when ctx ends.
func serve(ctx context.Context, ln net.Listener, limit int, log *slog.Logger, handle func(context.Context, net.Conn)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	defer wg.Wait()
	var delay time.Duration
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		conn, err := ln.Accept()
		if err != nil {
			<-slots
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			// A transient failure (out of descriptors): back off a
			// little, as net/http does, rather than spin.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			log.Warn("i2ptunnel: accept", "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return nil
			}
			continue
		}
		delay = 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			handle(ctx, conn)
		}()
	}
}
