package bob

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Tunnel states.
const (
	stopped = iota
	starting
	running
)

// tunnel is one nickname's settings and, while it runs, its destination,
// local listener and connections. mu guards every field.
type tunnel struct {
	nick string

	mu              sync.Mutex
	keys            *keyfile.PrivateKeys
	inhost, outhost string
	inport, outport int
	quiet           bool
	opts            map[string]string
	state           int
	cancel          context.CancelFunc
	sess            Session
	ln              net.Listener // the client side's local port
	conns           map[net.Conn]struct{}
	done            chan struct{} // closed when the run goroutine ends
}

func newTunnel(nick string) *tunnel {
	return &tunnel{nick: nick, inhost: "localhost", outhost: "localhost", opts: make(map[string]string)}
}

// describe is the tunnel's list line (bob.html's example).
func (t *tunnel) describe() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	port := func(p int) string {
		if p == 0 {
			return "not_set"
		}
		return strconv.Itoa(p)
	}
	return fmt.Sprintf("NICKNAME: %s STARTING: %t RUNNING: %t STOPPING: false KEYS: %t QUIET: %t INPORT: %s INHOST: %s OUTPORT: %s OUTHOST: %s",
		t.nick, t.state == starting, t.state == running, t.keys != nil, t.quiet, port(t.inport), t.inhost, port(t.outport), t.outhost)
}

// start checks the settings, binds the client side's port and opens the
// destination in the background.
func (t *tunnel) start(s *Server) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.state != stopped:
		return fmt.Errorf("tunnel is active")
	case t.keys == nil:
		return fmt.Errorf("no keys: use newkeys or setkeys")
	case t.inport == 0 && t.outport == 0:
		return fmt.Errorf("neither inport nor outport set: nothing to start")
	}
	if t.inport != 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort(t.inhost, strconv.Itoa(t.inport)))
		if err != nil {
			return fmt.Errorf("cannot listen on inhost %s inport %d: %v", t.inhost, t.inport, err)
		}
		t.ln = ln
	}
	t.state = starting
	t.conns = make(map[net.Conn]struct{})
	t.done = make(chan struct{})
	keys, opts, ln := t.keys, make(map[string]string, len(t.opts)), t.ln
	for k, v := range t.opts {
		opts[k] = v
	}
	server := t.outport != 0
	out := net.JoinHostPort(t.outhost, strconv.Itoa(t.outport))
	quiet := t.quiet
	done := t.done
	s.goTracked(func(sctx context.Context) {
		defer close(done)
		ctx, cancel := context.WithCancel(sctx)
		defer cancel()
		t.mu.Lock()
		t.cancel = cancel
		t.mu.Unlock()
		octx, ocancel := context.WithTimeout(ctx, openTimeout)
		sess, err := s.cfg.Router.OpenSession(octx, t.nick, keys, opts)
		ocancel()
		if err != nil {
			s.log.Warn("bob: tunnel not started", "nick", t.nick, "err", err)
			t.finish(nil)
			return
		}
		t.mu.Lock()
		if t.state != starting { // stopped meanwhile
			t.mu.Unlock()
			sess.Close()
			return
		}
		t.state, t.sess = running, sess
		t.mu.Unlock()
		var wg sync.WaitGroup
		if server {
			l, err := sess.Listen(0)
			if err == nil {
				wg.Go(func() { t.serve(ctx, s, l, out, quiet) })
			}
		}
		if ln != nil {
			wg.Go(func() { t.client(ctx, s, ln, sess) })
		}
		<-ctx.Done()
		t.finish(sess)
		wg.Wait()
	})
	return nil
}

// finish closes what a run opened and marks the tunnel stopped.
func (t *tunnel) finish(sess Session) {
	t.mu.Lock()
	if t.ln != nil {
		t.ln.Close()
		t.ln = nil
	}
	for c := range t.conns {
		c.Close()
	}
	t.state, t.sess = stopped, nil
	t.mu.Unlock()
	if sess != nil {
		sess.Close()
	}
}

// stop ends a running or starting tunnel and waits for it; false if it
// was not active.
func (t *tunnel) stop() bool {
	t.mu.Lock()
	if t.state == stopped {
		t.mu.Unlock()
		return false
	}
	cancel, done, ln := t.cancel, t.done, t.ln
	t.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	if cancel != nil {
		cancel()
	}
	<-done
	return true
}

// track remembers a connection so that stop closes it; false when the
// tunnel is no longer running.
func (t *tunnel) track(c net.Conn, add bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !add {
		delete(t.conns, c)
		return true
	}
	if t.state != running {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

// serve connects each incoming stream to outhost:outport, after a line
// with the peer's destination unless quiet.
func (t *tunnel) serve(ctx context.Context, s *Server, l net.Listener, out string, quiet bool) {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	for {
		sc, err := l.Accept()
		if err != nil {
			return
		}
		s.goTracked(func(context.Context) {
			defer sc.Close()
			lc, err := net.DialTimeout("tcp", out, localTimeout)
			if err != nil {
				s.log.Debug("bob: outhost refused a stream", "nick", t.nick, "addr", out, "err", err)
				return
			}
			defer lc.Close()
			if !quiet {
				peer := ""
				if rd, ok := sc.(interface{ RemoteDestination() data.Destination }); ok {
					peer = data.EncodeBase64(rd.RemoteDestination().Bytes())
				}
				lc.SetWriteDeadline(time.Now().Add(lineTimeout))
				if _, err := io.WriteString(lc, peer+"\n"); err != nil {
					return
				}
				lc.SetWriteDeadline(time.Time{})
			}
			t.join(lc, lc, sc)
		})
	}
}

// client takes local connections: a destination line, then the stream.
func (t *tunnel) client(ctx context.Context, s *Server, ln net.Listener, sess Session) {
	for {
		lc, err := ln.Accept()
		if err != nil {
			return
		}
		s.goTracked(func(context.Context) {
			defer lc.Close()
			r := bufio.NewReader(lc)
			lc.SetReadDeadline(time.Now().Add(lineTimeout))
			line, err := readLine(r)
			lc.SetReadDeadline(time.Time{})
			if err != nil {
				return
			}
			dctx, cancel := context.WithTimeout(ctx, dialTimeout)
			defer cancel()
			to, err := s.resolve(dctx, strings.TrimSpace(line))
			if err != nil {
				io.WriteString(lc, "ERROR "+err.Error()+"\n")
				return
			}
			sc, err := sess.Dial(dctx, to, 0, 0)
			if err != nil {
				io.WriteString(lc, "ERROR cannot reach "+to.B32()+": "+err.Error()+"\n")
				return
			}
			defer sc.Close()
			t.join(lc, r, sc)
		})
	}
}

// resolve turns a destination line into a hash: Base64, b32 or a name.
func (s *Server) resolve(ctx context.Context, name string) (data.Hash, error) {
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".b32.i2p") && len(lower) == 60 {
		return data.ParseB32(lower)
	}
	if strings.HasSuffix(lower, ".i2p") {
		d, err := s.cfg.Router.Lookup(ctx, name)
		if err != nil {
			return data.Hash{}, fmt.Errorf("%s not found: %w", name, err)
		}
		return d.Hash(), nil
	}
	d, err := parseDestination(name)
	if err != nil {
		return data.Hash{}, fmt.Errorf("not a destination or .i2p name: %w", err)
	}
	return d.Hash(), nil
}

// join copies between a local connection (read through r) and a stream
// until both directions end, passing half-closes on.
func (t *tunnel) join(local net.Conn, r io.Reader, stream net.Conn) {
	if !t.track(local, true) {
		return
	}
	defer t.track(local, false)
	halfClose := func(c net.Conn) {
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		} else {
			c.Close()
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(stream, r)
		halfClose(stream)
	}()
	io.Copy(local, stream)
	halfClose(local)
	<-done
}
