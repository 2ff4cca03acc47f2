package sam

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// conn is one client connection. Its run goroutine reads commands and
// answers them in order; a connection that creates a session owns it
// until it closes, and one that sends STREAM CONNECT or ACCEPT becomes
// the stream's pipe. Writes go under wmu so a datagram delivered on the
// control socket never splits a reply.
type conn struct {
	srv *Server
	nc  net.Conn
	r   *bufio.Reader
	v   version // 0 before HELLO

	wmu sync.Mutex

	closeOnce sync.Once
	done      chan struct{}

	dest *dest // the session this connection created, if any
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{srv: s, nc: nc, r: bufio.NewReaderSize(nc, 4096), done: make(chan struct{})}
}

// close closes the socket; run then ends the session.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.nc.Close()
	})
}

// write sends b whole, within writeTimeout.
func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	_, err := c.nc.Write(b)
	if err != nil {
		c.close()
	}
	return err
}

// send writes one reply line.
func (c *conn) send(r Reply) error { return c.write([]byte(r.String())) }

// fail sends an error reply with RESULT=result and MESSAGE=msg.
func (c *conn) fail(verb, sub, result, msg string) error {
	c.srv.count(func(k *Counters) { k.Errors++ })
	return c.send(reply(verb, sub, "RESULT", result, "MESSAGE", msg))
}

// errHandedOff ends the command loop without closing the socket: the
// connection now carries a stream, or waits for its FORWARD to end.
var errHandedOff = errors.New("sam: connection handed off")

// errQuit ends the command loop at the client's QUIT.
var errQuit = errors.New("sam: quit")

// readLine reads one line of at most MaxLine bytes.
func (c *conn) readLine() (string, error) {
	var b []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		if len(b)+len(chunk) > MaxLine+2 {
			return "", fmt.Errorf("%w: line longer than %d bytes", ErrSyntax, MaxLine)
		}
		b = append(b, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(b) > 0 {
				return string(b), nil // a last line without "\n"
			}
			return "", err
		}
		return string(b[:len(b)-1]), nil
	}
}

func (c *conn) run(ctx context.Context) {
	defer c.srv.wg.Done()
	defer c.srv.dropConn(c)
	handedOff := false
	defer func() {
		if c.dest != nil {
			c.dest.close()
		}
		if !handedOff {
			c.close()
		}
	}()
	c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.HelloTimeout))
	for {
		line, err := c.readLine()
		if err != nil {
			if errors.Is(err, ErrSyntax) {
				c.fail(c.errVerb(), c.errSub(), "I2P_ERROR", err.Error()+": closing")
			} else if c.v == 0 && isTimeout(err) {
				c.fail("HELLO", "REPLY", "I2P_ERROR", fmt.Sprintf("no HELLO VERSION within %v: closing", c.srv.cfg.HelloTimeout))
			}
			return
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		err = c.handle(ctx, line)
		switch {
		case err == errHandedOff:
			handedOff = true
			return
		case err != nil:
			return
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errVerb and errSub name the reply an error before or after HELLO gets.
func (c *conn) errVerb() string {
	if c.v == 0 {
		return "HELLO"
	}
	return "SESSION"
}

func (c *conn) errSub() string {
	if c.v == 0 {
		return "REPLY"
	}
	return "STATUS"
}

// handle runs one command line. A non-nil error ends the loop.
func (c *conn) handle(ctx context.Context, line string) error {
	c.srv.log.Debug("sam: command", "client", c.nc.RemoteAddr().String(), "line", truncate(line, 120))
	cmd, err := ParseCommand(line)
	if err != nil {
		return c.fail(c.errVerb(), c.errSub(), "I2P_ERROR", err.Error())
	}
	if c.v == 0 {
		if cmd.Verb != "HELLO" || cmd.Sub != "VERSION" {
			c.fail("HELLO", "REPLY", "I2P_ERROR", fmt.Sprintf("expected HELLO VERSION first, got %q: closing", cmd.Verb+" "+cmd.Sub))
			return errQuit
		}
		return c.hello(cmd)
	}
	switch cmd.Verb {
	case "HELLO":
		return c.fail("HELLO", "REPLY", "I2P_ERROR", "HELLO was already done on this connection")
	case "PING":
		return c.write([]byte(strings.TrimRight("PONG "+cmd.Text, " ") + "\n"))
	case "PONG":
		return nil
	case "QUIT", "STOP", "EXIT":
		c.send(reply("SESSION", "STATUS", "RESULT", "OK", "MESSAGE", "closing"))
		return errQuit
	case "HELP":
		return c.send(reply("HELP", "REPLY", "RESULT", "OK", "MESSAGE", helpText))
	case "DEST":
		if cmd.Sub != "GENERATE" {
			return c.fail("DEST", "REPLY", "I2P_ERROR", "unknown command DEST "+cmd.Sub+": use DEST GENERATE")
		}
		return c.destGenerate(cmd)
	case "NAMING":
		if cmd.Sub != "LOOKUP" {
			return c.fail("NAMING", "REPLY", "I2P_ERROR", "unknown command NAMING "+cmd.Sub+": use NAMING LOOKUP")
		}
		return c.namingLookup(ctx, cmd)
	case "SESSION":
		switch cmd.Sub {
		case "CREATE":
			return c.sessionCreate(ctx, cmd)
		case "ADD":
			return c.sessionAdd(cmd)
		case "REMOVE":
			return c.sessionRemove(cmd)
		}
		return c.fail("SESSION", "STATUS", "I2P_ERROR", "unknown command SESSION "+cmd.Sub+": use SESSION CREATE, ADD or REMOVE")
	case "STREAM":
		switch cmd.Sub {
		case "CONNECT":
			return c.streamConnect(ctx, cmd)
		case "ACCEPT":
			return c.streamAccept(ctx, cmd)
		case "FORWARD":
			return c.streamForward(ctx, cmd)
		}
		return c.fail("STREAM", "STATUS", "I2P_ERROR", "unknown command STREAM "+cmd.Sub+": use STREAM CONNECT, ACCEPT or FORWARD")
	case "DATAGRAM", "RAW":
		if cmd.Sub != "SEND" {
			return c.fail(cmd.Verb, "STATUS", "I2P_ERROR", "unknown command "+cmd.Verb+" "+cmd.Sub+": use "+cmd.Verb+" SEND")
		}
		return c.datagramSend(cmd)
	case "AUTH":
		return c.fail("AUTH", "STATUS", "I2P_ERROR", "AUTH is not supported: veil's SAM has no users; keep sam.address on 127.0.0.1")
	}
	return c.fail(c.errVerb(), c.errSub(), "I2P_ERROR", fmt.Sprintf("unknown command %q: see HELP", cmd.Verb))
}

const helpText = "HELLO VERSION, DEST GENERATE, NAMING LOOKUP, SESSION CREATE|ADD|REMOVE, " +
	"STREAM CONNECT|ACCEPT|FORWARD, DATAGRAM SEND, RAW SEND, PING, QUIT (samv3.html)"

// hello answers HELLO VERSION.
func (c *conn) hello(cmd Command) error {
	v, ok, bad := negotiate(cmd.Value("MIN"), cmd.Value("MAX"))
	if bad != "" {
		c.fail("HELLO", "REPLY", "I2P_ERROR", "bad version "+bad+": use MIN=3.1 MAX=3.3")
		return errQuit
	}
	if !ok {
		c.send(reply("HELLO", "REPLY", "RESULT", "NOVERSION", "MESSAGE", "veil speaks SAM 3.0 to 3.3"))
		return errQuit
	}
	c.v = v
	c.nc.SetReadDeadline(time.Time{})
	return c.send(reply("HELLO", "REPLY", "RESULT", "OK", "VERSION", v.String()))
}

// destGenerate answers DEST GENERATE.
func (c *conn) destGenerate(cmd Command) error {
	st, err := parseSigType(cmd.Value("SIGNATURE_TYPE"))
	if err != nil {
		return c.fail("DEST", "REPLY", "I2P_ERROR", err.Error())
	}
	et, err := parseEncType(cmd.Value("CRYPTO_TYPE"))
	if err != nil {
		return c.fail("DEST", "REPLY", "I2P_ERROR", err.Error())
	}
	pk, err := generateKeys(st, et)
	if err != nil {
		return c.fail("DEST", "REPLY", "I2P_ERROR", "cannot generate keys: "+err.Error())
	}
	return c.send(reply("DEST", "REPLY", "PUB", pubString(pk.Identity), "PRIV", privString(pk)))
}
