package ntcp2

import (
	"context"
	"errors"
	"fmt"
	"github.com/veil-i2p/veil/internal/ratelimit"
	"net"
	"time"

	"github.com/veil-i2p/veil/internal/transport"
)

// The inbound side: listeners, the accept loop with its limits, and Bob's
// handshake goroutines.

// Run listens on cfg.ListenAddrs and accepts sessions until ctx ends,
// then closes every session (reason 3, router shutdown) and returns once
// all of the transport's goroutines have exited. It may be called once.
func (t *Transport) Run(ctx context.Context) error {
	t.mu.Lock()
	if t.running || t.closed {
		t.mu.Unlock()
		return errors.New("ntcp2: Run called twice")
	}
	t.running = true
	t.mu.Unlock()
	defer t.shutdown()

	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for _, a := range t.cfg.ListenAddrs {
		ln, err := t.cfg.Listen(ctx, "tcp", a)
		if err != nil {
			return fmt.Errorf("ntcp2: listen %s: %w", a, err)
		}
		lns = append(lns, ln)
		t.log.Info("ntcp2: listening", "addr", ln.Addr())
	}
	for _, ln := range lns {
		t.wg.Go(func() { t.acceptLoop(ln) })
	}
	select {
	case <-ctx.Done():
	case <-t.life.Done():
	}
	return nil
}

// shutdown refuses new sessions, closes listeners' handshakes and every
// session, and waits for all goroutines.
func (t *Transport) shutdown() {
	t.mu.Lock()
	t.closed = true
	live := make([]*session, 0, len(t.sessions))
	for s := range t.sessions {
		live = append(live, s)
	}
	t.mu.Unlock()
	t.stopLife()
	for _, s := range live {
		s.Close(transport.ReasonRouterShutdown)
	}
	t.wg.Wait()
}

func (t *Transport) acceptLoop(ln net.Listener) {
	stop := context.AfterFunc(t.life, func() { ln.Close() })
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			if t.life.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			t.log.Warn("ntcp2: accept", "err", err)
			select { // e.g. out of file descriptors: do not spin
			case <-time.After(50 * time.Millisecond):
			case <-t.life.Done():
				return
			}
			continue
		}
		ip := remoteAddr(c).Addr()
		switch {
		case ip.IsValid() && t.cfg.Banned != nil && t.cfg.Banned(ip):
			t.cnt.bannedIn.Add(1)
			resetClose(c)
			continue
		case ip.IsValid() && !t.limit.Allow(ratelimit.SourceKey(ip), time.Now()):
			t.cnt.rateLimited.Add(1)
			resetClose(c)
			continue
		}
		select {
		case t.hsSem <- struct{}{}:
		default:
			t.cnt.busy.Add(1)
			resetClose(c)
			continue
		}
		t.wg.Go(func() {
			defer func() { <-t.hsSem }()
			t.serveConn(c)
		})
	}
}

// serveConn runs Bob's side of a handshake on an accepted connection and,
// on success, starts the session.
func (t *Transport) serveConn(c net.Conn) {
	stop := context.AfterFunc(t.life, func() { c.Close() })
	c.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	h := newInboundHandshake(t, c)
	res, err := h.handshake()
	if !stop() {
		err = errors.Join(err, ErrTransportClosed)
	}
	if err != nil {
		t.cnt.failedIn.Add(1)
		t.log.Debug("ntcp2: inbound handshake failed", "remote", c.RemoteAddr(), "err", err)
		c.Close()
		return
	}
	c.SetDeadline(time.Time{})
	t.cnt.handshakesIn.Add(1)
	if _, err := t.establish(res); err != nil {
		t.log.Debug("ntcp2: inbound session refused", "peer", res.peerRI.Hash(), "err", err)
	}
}
