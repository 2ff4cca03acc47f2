package i2ptunnel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/data"
)

// UDPClientConfig is a `type = udpclient` tunnel of tunnels.conf: a local
// UDP port whose packets become datagrams to one I2P destination.
type UDPClientConfig struct {
	Name            string
	Address         string // local address to listen on; "" is 127.0.0.1
	Port            int    // local port
	Destination     string // ….b32.i2p, a Base64 destination, or a name the Resolver knows
	DestinationPort uint16
	// Gzip deflates the datagrams (i2pd's gzip, true by default for a
	// udpclient); false sends them in stored gzip blocks.
	Gzip bool
	// MaxConversations bounds the local ports talking at once; 0 is
	// DefaultUDPSessions.
	MaxConversations int
}

// UDPClient is a udpclient tunnel.
type UDPClient struct {
	cfg     UDPClientConfig
	mux     *UDPMux
	resolve Resolver
	log     *slog.Logger
	cnt     udpCounters
	now     func() time.Time

	mu     sync.Mutex
	conn   *net.UDPConn // set by Serve
	remote data.Hash
	known  bool                     // remote resolved
	convos map[uint16]*conversation // by local program's port, the I2P source port
}

// conversation is one local program's port talking through the tunnel.
type conversation struct {
	addr *net.UDPAddr
	last time.Time // last packet either way
}

// NewUDPClient returns a udpclient tunnel sending through mux's
// destination.
func NewUDPClient(cfg UDPClientConfig, mux *UDPMux, r Resolver, log *slog.Logger) *UDPClient {
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1"
	}
	if cfg.MaxConversations <= 0 {
		cfg.MaxConversations = DefaultUDPSessions
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &UDPClient{cfg: cfg, mux: mux, resolve: r, log: log.With("tunnel", cfg.Name), now: time.Now,
		convos: make(map[uint16]*conversation)}
}

// Listen opens the tunnel's local port.
func (c *UDPClient) Listen() (*net.UDPConn, error) {
	a, err := net.ResolveUDPAddr("udp", net.JoinHostPort(c.cfg.Address, fmt.Sprint(c.cfg.Port)))
	if err != nil {
		return nil, err
	}
	return net.ListenUDP("udp", a)
}

// Serve carries packets between conn (from Listen) and the tunnel's
// destination until ctx ends, which closes conn.
func (c *UDPClient) Serve(ctx context.Context, conn *net.UDPConn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	c.mux.addClient(c)
	defer c.mux.removeClient(c)
	send := newUDPSender(c.mux.dest, c.cfg.Gzip, &c.cnt, c.log)
	var wg sync.WaitGroup
	wg.Go(func() { send.run(ctx) })
	wg.Go(func() { c.resolveLoop(ctx) })
	wg.Go(func() { expireEvery(ctx, c.expire) })
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	err := c.readLocal(conn, send)
	cancel()
	wg.Wait()
	if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// resolveLoop finds the destination's hash, trying again every second
// (names may need the network) until it is known or ctx ends; packets
// before then are dropped, as in i2pd.
func (c *UDPClient) resolveLoop(ctx context.Context) {
	for {
		rctx, cancel := context.WithTimeout(ctx, udpSendTimeout)
		h, err := ResolveDestination(rctx, c.cfg.Destination, c.resolve)
		cancel()
		if err == nil {
			c.mu.Lock()
			c.remote, c.known = h, true
			c.mu.Unlock()
			c.log.Info("i2ptunnel: udpclient destination", "destination", h.B32(), "port", c.cfg.DestinationPort)
			return
		}
		c.log.Debug("i2ptunnel: udpclient destination not resolved", "destination", c.cfg.Destination, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// readLocal reads the local programs' packets until conn fails.
func (c *UDPClient) readLocal(conn *net.UDPConn, send *udpSender) error {
	buf := make([]byte, maxUDPPacket)
	for {
		n, from, err := conn.ReadFromUDP(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		port := uint16(from.Port)
		now := c.now()
		c.mu.Lock()
		remote, known := c.remote, c.known
		cv := c.convos[port]
		if cv == nil {
			if len(c.convos) >= c.cfg.MaxConversations {
				c.evictLocked()
			}
			cv = &conversation{addr: from}
			c.convos[port] = cv
		}
		cv.addr = from
		repliable := repliableNow(cv.last, now)
		cv.last = now
		c.mu.Unlock()
		if !known {
			c.cnt.drop("destination not resolved yet")
			continue
		}
		send.enqueue(udpJob{to: remote, repliable: repliable, srcPort: port, dstPort: c.cfg.DestinationPort,
			payload: append([]byte(nil), buf[:n]...)})
	}
}

// hasConversation reports whether a local program talks on port.
func (c *UDPClient) hasConversation(port uint16) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.convos[port]
	return ok
}

// fromI2P passes a datagram to the program whose port it is sent to. A
// datagram that names a sender must come from the tunnel's destination.
func (c *UDPClient) fromI2P(r client.Received) {
	c.mu.Lock()
	cv, conn := c.convos[r.DstPort], c.conn
	wrong := r.Sender != (data.Hash{}) && (!c.known || r.Sender != c.remote)
	if cv != nil && !wrong {
		cv.last = c.now()
	}
	c.mu.Unlock()
	switch {
	case wrong:
		c.cnt.drop("datagram from another destination")
	case cv == nil || conn == nil:
		c.cnt.drop("no conversation on the destination port")
	default:
		if _, err := conn.WriteToUDP(r.Data, cv.addr); err != nil {
			c.cnt.drop("local write failed")
			return
		}
		c.cnt.received.Add(1)
		if isRepliable(r) {
			c.cnt.receivedRepliable.Add(1)
		}
	}
}

// expire ends the conversations idle for UDPSessionTimeout.
func (c *UDPClient) expire(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p, cv := range c.convos {
		if now.Sub(cv.last) >= UDPSessionTimeout {
			delete(c.convos, p)
		}
	}
}

// evictLocked ends the least recently active conversation.
func (c *UDPClient) evictLocked() {
	var oldest uint16
	var at time.Time
	for p, cv := range c.convos {
		if at.IsZero() || cv.last.Before(at) {
			oldest, at = p, cv.last
		}
	}
	delete(c.convos, oldest)
}

// Stats returns the tunnel's counters.
func (c *UDPClient) Stats() UDPStats {
	s := c.cnt.stats()
	c.mu.Lock()
	s.Sessions, s.Resolved = len(c.convos), c.known
	c.mu.Unlock()
	return s
}

// expireEvery calls expire with the time every udpExpireEvery until ctx
// ends.
func expireEvery(ctx context.Context, expire func(time.Time)) {
	t := time.NewTicker(udpExpireEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			expire(now)
		}
	}
}
