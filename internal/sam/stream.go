package sam

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Streams (samv3.html, "SAM Virtual Streams"). STREAM CONNECT and
// STREAM ACCEPT turn the client's socket into the stream; STREAM FORWARD
// makes the bridge connect to the client's server for each incoming
// stream. A STREAM session listens from its creation; its acceptLoop
// hands each incoming stream to a waiting ACCEPT or to the FORWARD, and
// resets it when neither comes within acceptHold.

// streamSide is the incoming side of a STREAM session.
type streamSide struct {
	sb      *sub
	ln      net.Listener
	waiters chan chan net.Conn // pending ACCEPTs

	mu      sync.Mutex
	forward *forwardTarget
	fwdSet  chan struct{} // closed and replaced when forward changes
}

// forwardTarget is where a FORWARD sends streams.
type forwardTarget struct {
	addr   string
	silent bool
	ssl    bool
	owner  *conn
}

func newStreamSide(sb *sub, ln net.Listener) *streamSide {
	return &streamSide{sb: sb, ln: ln, waiters: make(chan chan net.Conn), fwdSet: make(chan struct{})}
}

func (ss *streamSide) close() { ss.ln.Close() }

// getForward returns the forward in force and the channel closed when
// it changes.
func (ss *streamSide) getForward() (*forwardTarget, chan struct{}) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.forward, ss.fwdSet
}

func (ss *streamSide) setForward(f *forwardTarget) {
	ss.mu.Lock()
	ss.forward = f
	close(ss.fwdSet)
	ss.fwdSet = make(chan struct{})
	ss.mu.Unlock()
}

// acceptLoop takes incoming streams until the listener closes.
func (ss *streamSide) acceptLoop(ctx context.Context) {
	d := ss.sb.d
	defer d.wg.Done()
	for {
		c, err := ss.ln.Accept()
		if err != nil {
			return
		}
		d.srv.count(func(k *Counters) { k.Streams++ })
		ss.dispatch(ctx, c)
	}
}

// dispatch gives c to the FORWARD or to the next ACCEPT.
func (ss *streamSide) dispatch(ctx context.Context, c net.Conn) {
	timer := time.NewTimer(acceptHold)
	defer timer.Stop()
	for {
		fwd, changed := ss.getForward()
		if fwd != nil {
			srv := ss.sb.d.srv
			srv.mu.Lock()
			srv.wg.Add(1)
			srv.mu.Unlock()
			go func() {
				defer srv.wg.Done()
				ss.forwardOne(ctx, fwd, c)
			}()
			return
		}
		select {
		case w := <-ss.waiters:
			w <- c
			return
		case <-changed:
		case <-timer.C:
			c.Close()
			return
		case <-ctx.Done():
			c.Close()
			return
		}
	}
}

// peerLine is the line naming an incoming stream's peer: its Base64
// destination, and in 3.2 and later its ports.
func peerLine(c net.Conn, v version) string {
	var dst string
	if rd, ok := c.(remoteDestination); ok {
		dst = pubString(rd.RemoteDestination())
	}
	if !v.atLeast32() {
		return dst + "\n"
	}
	from, to := ports(c)
	return dst + " FROM_PORT=" + strconv.Itoa(from) + " TO_PORT=" + strconv.Itoa(to) + "\n"
}

// ports are a stream's remote and local I2CP ports, from addresses that
// end in ":port" (streaming.Addr).
func ports(c net.Conn) (from, to int) {
	port := func(a net.Addr) int {
		if a == nil {
			return 0
		}
		s := a.String()
		i := strings.LastIndexByte(s, ':')
		n, _ := strconv.Atoi(s[i+1:])
		return n
	}
	return port(c.RemoteAddr()), port(c.LocalAddr())
}

// forwardOne connects an incoming stream to the FORWARD's server.
func (ss *streamSide) forwardOne(ctx context.Context, f *forwardTarget, c net.Conn) {
	dialer := &net.Dialer{Timeout: forwardDialTimeout}
	var (
		nc  net.Conn
		err error
	)
	if f.ssl {
		// The local server's certificate is whatever it made for itself;
		// the link is on the user's own machine, so it is not verified.
		nc, err = (&tls.Dialer{NetDialer: dialer, Config: &tls.Config{InsecureSkipVerify: true}}).DialContext(ctx, "tcp", f.addr)
	} else {
		nc, err = dialer.DialContext(ctx, "tcp", f.addr)
	}
	if err != nil {
		ss.sb.d.srv.log.Debug("sam: FORWARD target refused a stream", "session", ss.sb.id, "addr", f.addr, "err", err)
		c.Close()
		return
	}
	if !f.silent {
		nc.SetWriteDeadline(time.Now().Add(ss.sb.d.srv.cfg.WriteTimeout))
		if _, err := nc.Write([]byte(peerLine(c, ss.sb.d.v))); err != nil {
			nc.Close()
			c.Close()
			return
		}
		nc.SetWriteDeadline(time.Time{})
	}
	gap := time.Duration(0)
	if !f.silent {
		gap = replyGap
	}
	pipe(ctx, nc, nc, c, gap)
}

// replyGap is how long the first stream bytes wait after a reply line
// (STREAM STATUS, the peer's line). Clients such as go-sam-go read that
// line with one Read and drop whatever came with it; on the network the
// peer's first bytes come later anyway.
const replyGap = 50 * time.Millisecond

// pipe copies between a client socket (read through r, which may hold
// bytes already read) and a stream until both directions end, passing
// half-closes on, then closes both. gap delays the stream's first bytes
// to the client (replyGap after a reply line, 0 otherwise).
func pipe(ctx context.Context, client net.Conn, r io.Reader, stream net.Conn, gap time.Duration) {
	stop := context.AfterFunc(ctx, func() {
		client.Close()
		stream.Close()
	})
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := io.Copy(stream, r)
		if cw, ok := stream.(interface{ CloseWrite() error }); ok && err == nil {
			cw.CloseWrite()
		} else {
			stream.Close()
			client.Close()
		}
	}()
	if gap > 0 {
		t := time.NewTimer(gap)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	_, err := io.Copy(client, stream)
	if cw, ok := client.(interface{ CloseWrite() error }); ok && err == nil {
		cw.CloseWrite()
	} else {
		stream.Close()
		client.Close()
	}
	wg.Wait()
	client.Close()
	stream.Close()
}

// streamSub finds the STREAM session a command names.
func (c *conn) streamSub(cmd Command) (*sub, error) {
	id := cmd.Value("ID")
	sb := c.srv.lookupSub(id)
	switch {
	case id == "":
		return nil, errors.New("ID missing: name the STREAM session")
	case sb == nil:
		return nil, fmt.Errorf("no session %s: SESSION CREATE it first (on a connection kept open)", id)
	case sb.style == stylePrimary:
		return nil, fmt.Errorf("%s is a PRIMARY session: use one of its STREAM subsessions", id)
	case sb.style != styleStream:
		return nil, fmt.Errorf("session %s is STYLE=%s, not STREAM", id, sb.style)
	case sb.streams == nil:
		return nil, fmt.Errorf("session %s is not ready", id)
	}
	return sb, nil
}

// streamConnect answers STREAM CONNECT; on success the connection
// carries the stream.
func (c *conn) streamConnect(ctx context.Context, cmd Command) error {
	silent := strings.EqualFold(cmd.Value("SILENT"), "true")
	fail := func(result string, err error) error {
		if !silent {
			c.fail("STREAM", "STATUS", result, err.Error())
		}
		return errQuit
	}
	sb, err := c.streamSub(cmd)
	if err != nil {
		return fail("INVALID_ID", err)
	}
	o, err := sb.parseSendOptions(cmd.Pairs)
	if err != nil {
		return fail("I2P_ERROR", err)
	}
	rs, dctx := sb.d.session()
	if rs == nil {
		return fail("INVALID_ID", fmt.Errorf("session %s closed", sb.id))
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	stop := context.AfterFunc(dctx, cancel)
	defer stop()
	to, result, err := c.srv.resolve(cctx, cmd.Value("DESTINATION"), rs)
	if err != nil {
		return fail(result, err)
	}
	if to == sb.d.keys.Identity.Hash() {
		return fail("CANT_REACH_PEER", errors.New("the destination is this session's own"))
	}
	sc, err := rs.Dial(cctx, to, o.from, o.to)
	if err != nil {
		result := "CANT_REACH_PEER"
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
			result = "TIMEOUT"
		}
		return fail(result, fmt.Errorf("cannot reach %s: %w", to.B32(), err))
	}
	c.srv.count(func(k *Counters) { k.Streams++ })
	if !silent {
		if err := c.send(reply("STREAM", "STATUS", "RESULT", "OK")); err != nil {
			sc.Close()
			return err
		}
	}
	c.goPipe(dctx, sc, silent)
	return errHandedOff
}

// goPipe runs the connection as sc's pipe under the server's lifetime.
func (c *conn) goPipe(ctx context.Context, sc net.Conn, silent bool) {
	srv := c.srv
	srv.mu.Lock()
	srv.wg.Add(1)
	srv.mu.Unlock()
	go func() {
		defer srv.wg.Done()
		gap := replyGap
		if silent {
			gap = 0
		}
		pipe(ctx, c.nc, c.r, sc, gap)
		c.close()
	}()
}

// streamAccept answers STREAM ACCEPT: OK at once (unless SILENT), then
// the peer's line when a stream comes, then the stream.
func (c *conn) streamAccept(ctx context.Context, cmd Command) error {
	silent := strings.EqualFold(cmd.Value("SILENT"), "true")
	sb, err := c.streamSub(cmd)
	if err != nil {
		if !silent {
			c.fail("STREAM", "STATUS", "INVALID_ID", err.Error())
		}
		return errQuit
	}
	ss := sb.streams
	if f, _ := ss.getForward(); f != nil {
		if !silent {
			c.fail("STREAM", "STATUS", "I2P_ERROR", "session "+sb.id+" has a FORWARD: ACCEPT is not allowed beside it")
		}
		return errQuit
	}
	_, dctx := sb.d.session()
	if dctx == nil {
		return errQuit
	}
	if !silent {
		if err := c.send(reply("STREAM", "STATUS", "RESULT", "OK")); err != nil {
			return err
		}
	}
	okAt := time.Now()
	// Notice a client that leaves while waiting: a Peek that ends in an
	// error. Bytes it sees stay buffered for the stream.
	gone := make(chan struct{})
	peeked := make(chan struct{})
	go func() {
		defer close(peeked)
		if _, err := c.r.Peek(1); err != nil && !isTimeout(err) {
			close(gone)
		}
	}()
	stopPeek := func() {
		c.nc.SetReadDeadline(time.Now())
		<-peeked
		c.nc.SetReadDeadline(time.Time{})
	}
	w := make(chan net.Conn, 1)
	select {
	case ss.waiters <- w:
		sc := <-w
		stopPeek()
		select {
		case <-gone:
			sc.Close()
			return errQuit
		default:
		}
		if !silent {
			// The status and the peer line in one read confuse clients
			// that read a line per Read (go-sam-go): keep them apart.
			time.Sleep(replyGap - time.Since(okAt))
			if err := c.write([]byte(peerLine(sc, c.v))); err != nil {
				sc.Close()
				return err
			}
		}
		c.goPipe(dctx, sc, silent)
		return errHandedOff
	case <-gone:
		stopPeek()
		return errQuit
	case <-dctx.Done():
		stopPeek()
		if !silent {
			c.fail("STREAM", "STATUS", "I2P_ERROR", "session "+sb.id+" closed")
		}
		return errQuit
	}
}

// streamForward answers STREAM FORWARD: incoming streams go to
// HOST:PORT until this connection closes.
func (c *conn) streamForward(ctx context.Context, cmd Command) error {
	sb, err := c.streamSub(cmd)
	if err != nil {
		c.fail("STREAM", "STATUS", "INVALID_ID", err.Error())
		return errQuit
	}
	port, err := strconv.ParseUint(cmd.Value("PORT"), 10, 16)
	if err != nil || port == 0 {
		return c.fail("STREAM", "STATUS", "I2P_ERROR", fmt.Sprintf("PORT=%s: give the port of the server to forward to", cmd.Value("PORT")))
	}
	host := cmd.Value("HOST")
	if host == "" {
		host = "127.0.0.1"
		if ta, ok := c.nc.RemoteAddr().(*net.TCPAddr); ok {
			host = ta.IP.String()
		}
	}
	ss := sb.streams
	f := &forwardTarget{addr: net.JoinHostPort(host, strconv.Itoa(int(port))),
		silent: strings.EqualFold(cmd.Value("SILENT"), "true"), ssl: strings.EqualFold(cmd.Value("SSL"), "true"), owner: c}
	ss.mu.Lock()
	busy := ss.forward != nil
	ss.mu.Unlock()
	if busy {
		return c.fail("STREAM", "STATUS", "I2P_ERROR", "session "+sb.id+" already has a FORWARD: close its connection first")
	}
	ss.setForward(f)
	defer func() {
		ss.mu.Lock()
		mine := ss.forward == f
		ss.mu.Unlock()
		if mine {
			ss.setForward(nil)
		}
	}()
	if err := c.send(reply("STREAM", "STATUS", "RESULT", "OK")); err != nil {
		return err
	}
	// The forward lasts as long as this connection: read (and ignore)
	// until it closes or the session ends.
	_, dctx := sb.d.session()
	if dctx == nil {
		return errQuit
	}
	stop := context.AfterFunc(dctx, c.close)
	defer stop()
	io.Copy(io.Discard, c.r)
	return errQuit
}
