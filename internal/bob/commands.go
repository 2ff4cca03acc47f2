package bob

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// The command channel (bob.html, "Commands"): one command a line, its
// operand after a space; answers "OK [data]" or "ERROR description",
// list "DATA …" lines then "OK". The greeting is "BOB 00.00.10" and "OK".

const version = "00.00.10"

// commands is one command connection; cur is the tunnel it works on
// (setnick, getnick).
type commands struct {
	s   *Server
	nc  net.Conn
	r   *bufio.Reader
	cur *tunnel
}

func newCommands(s *Server, nc net.Conn) *commands {
	return &commands{s: s, nc: nc, r: bufio.NewReaderSize(nc, 4096)}
}

func (c *commands) write(line string) error {
	c.nc.SetWriteDeadline(time.Now().Add(lineTimeout))
	_, err := io.WriteString(c.nc, line+"\n")
	return err
}

func (c *commands) ok(msg string) error {
	if msg == "" {
		return c.write("OK")
	}
	return c.write("OK " + msg)
}

func (c *commands) fail(msg string) error { return c.write("ERROR " + msg) }

// readLine reads a line of at most maxLine bytes, "\r\n" or "\n".
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > maxLine {
			return "", fmt.Errorf("line longer than %d bytes", maxLine)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", err
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
}

func (c *commands) run(ctx context.Context) {
	if c.write("BOB "+version) != nil || c.ok("") != nil {
		return
	}
	for {
		c.nc.SetReadDeadline(time.Now().Add(idleTimeout))
		line, err := readLine(c.r)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.fail(err.Error() + ": closing")
			}
			return
		}
		cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		arg = strings.TrimSpace(arg)
		if cmd == "" {
			continue
		}
		quit, err := c.handle(ctx, strings.ToLower(cmd), arg)
		if quit || err != nil {
			return
		}
	}
}

// needTunnel is the error of a command that needs setnick or getnick first.
const needTunnel = "no tunnel selected: use setnick or getnick first"

// handle runs one command; quit ends the connection.
func (c *commands) handle(ctx context.Context, cmd, arg string) (quit bool, err error) {
	t := c.cur
	settable := func(f func(*tunnel) string) error {
		if t == nil {
			return c.fail(needTunnel)
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.state != stopped {
			return c.fail("tunnel is active: stop it first")
		}
		return c.ok(f(t))
	}
	switch cmd {
	case "quit":
		c.ok("Bye!")
		return true, nil
	case "zap":
		// Java's zap stops BOB; veil's stops only this connection.
		c.ok("Bye! (zap does not stop the router's BOB)")
		return true, nil
	case "help":
		return false, c.ok("Commands: " + strings.Join(commandNames, " ") + " (bob.html)")
	case "visit":
		return false, c.ok("")
	case "setnick":
		return false, c.setnick(arg)
	case "getnick":
		nt := c.s.tunnel(arg)
		if nt == nil {
			return false, c.fail("no tunnel " + arg)
		}
		c.cur = nt
		return false, c.ok("Nickname set to " + arg)
	case "newkeys", "setkeys":
		return false, c.keys(cmd, arg)
	case "getkeys", "getdest":
		if t == nil {
			return false, c.fail(needTunnel)
		}
		t.mu.Lock()
		keys := t.keys
		t.mu.Unlock()
		if keys == nil {
			return false, c.fail("no keys: use newkeys or setkeys")
		}
		if cmd == "getkeys" {
			return false, c.ok(data.EncodeBase64(keys.Bytes()))
		}
		return false, c.ok(data.EncodeBase64(keys.Identity.Bytes()))
	case "inhost", "outhost":
		if arg == "" {
			return false, c.fail(cmd + " needs a host name or IP address")
		}
		return false, settable(func(t *tunnel) string {
			if cmd == "inhost" {
				t.inhost = arg
			} else {
				t.outhost = arg
			}
			return cmd + " set"
		})
	case "inport", "outport":
		p, err := strconv.Atoi(arg)
		if err != nil || p < 0 || p > 65535 {
			return false, c.fail(cmd + " needs a port number (0 unsets it)")
		}
		return false, settable(func(t *tunnel) string {
			if cmd == "inport" {
				t.inport = p
				return "inbound port set"
			}
			t.outport = p
			return "outbound port set"
		})
	case "quiet":
		q := arg == "" || strings.EqualFold(arg, "true")
		return false, settable(func(t *tunnel) string { t.quiet = q; return "Quiet set" })
	case "option":
		k, v, ok := strings.Cut(arg, "=")
		if !ok || k == "" {
			return false, c.fail("option needs key=value, e.g. inbound.length=2")
		}
		return false, settable(func(t *tunnel) string { t.opts[k] = v; return "option " + k + " set to " + v })
	case "start":
		if t == nil {
			return false, c.fail(needTunnel)
		}
		if err := t.start(c.s); err != nil {
			return false, c.fail(err.Error())
		}
		return false, c.ok("Tunnel starting")
	case "stop":
		if t == nil {
			return false, c.fail(needTunnel)
		}
		if !t.stop() {
			return false, c.fail("tunnel is not active")
		}
		return false, c.ok("Tunnel stopping")
	case "clear":
		if t == nil {
			return false, c.fail(needTunnel)
		}
		t.mu.Lock()
		active := t.state != stopped
		t.mu.Unlock()
		if active {
			return false, c.fail("tunnel is active")
		}
		c.s.mu.Lock()
		if c.s.tunnels[t.nick] == t {
			delete(c.s.tunnels, t.nick)
		}
		c.s.mu.Unlock()
		c.cur = nil
		return false, c.ok("cleared")
	case "list":
		c.s.mu.Lock()
		ts := make([]*tunnel, 0, len(c.s.tunnels))
		for _, x := range c.s.tunnels {
			ts = append(ts, x)
		}
		c.s.mu.Unlock()
		sort.Slice(ts, func(i, j int) bool { return ts[i].nick < ts[j].nick })
		for _, x := range ts {
			if err := c.write("DATA " + x.describe()); err != nil {
				return false, err
			}
		}
		return false, c.ok("Listing done")
	case "status":
		nt := c.s.tunnel(arg)
		if nt == nil {
			return false, c.fail("no tunnel " + arg)
		}
		return false, c.ok("DATA " + nt.describe())
	case "show":
		if t == nil {
			return false, c.fail(needTunnel)
		}
		return false, c.ok(t.describe())
	case "showprops":
		if t == nil {
			return false, c.fail(needTunnel)
		}
		t.mu.Lock()
		var ps []string
		for k, v := range t.opts {
			ps = append(ps, k+"="+v)
		}
		t.mu.Unlock()
		sort.Strings(ps)
		return false, c.ok(strings.Join(ps, " "))
	case "lookup":
		lctx, cancel := context.WithTimeout(ctx, lineTimeout)
		defer cancel()
		d, err := c.s.cfg.Router.Lookup(lctx, arg)
		if err != nil {
			return false, c.fail("Address Not found: " + arg)
		}
		return false, c.ok(data.EncodeBase64(d.Bytes()))
	case "verify":
		if _, err := parseDestination(arg); err != nil {
			return false, c.fail("not a destination: " + err.Error())
		}
		return false, c.ok("")
	}
	return false, c.fail(fmt.Sprintf("unknown command %q: see help", cmd))
}

var commandNames = []string{"help", "clear", "getdest", "getkeys", "getnick", "inhost", "inport", "list", "lookup",
	"newkeys", "option", "outhost", "outport", "quiet", "quit", "setkeys", "setnick", "show", "showprops", "start",
	"status", "stop", "verify", "visit", "zap"}

// setnick creates a tunnel and selects it.
func (c *commands) setnick(nick string) error {
	if nick == "" || strings.ContainsAny(nick, " \t") || len(nick) > 256 {
		return c.fail("setnick needs a nickname (one word)")
	}
	c.s.mu.Lock()
	if c.s.tunnels[nick] != nil {
		c.s.mu.Unlock()
		return c.fail("tunnel " + nick + " already exists: use getnick")
	}
	t := newTunnel(nick)
	c.s.tunnels[nick] = t
	c.s.mu.Unlock()
	c.cur = t
	return c.ok("Nickname set to " + nick)
}

// keys answers newkeys [signature type] and setkeys KEYS.
func (c *commands) keys(cmd, arg string) error {
	t := c.cur
	if t == nil {
		return c.fail(needTunnel)
	}
	var pk *keyfile.PrivateKeys
	var err error
	if cmd == "newkeys" {
		// bob.html: DSA_SHA1; i2pd takes a signature type after newkeys.
		st := crypto.SigDSASHA1
		if f := strings.Fields(arg); len(f) > 0 {
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return c.fail("newkeys takes a signature type number, e.g. newkeys 7")
			}
			st = crypto.SigType(n)
		}
		if pk, err = keyfile.Generate(st, crypto.EncElGamal, rand.Reader); err != nil {
			return c.fail("cannot make keys: " + err.Error())
		}
	} else {
		b, err := data.DecodeBase64(arg)
		if err == nil {
			pk, err = keyfile.Parse(b)
		}
		if err == nil {
			err = pk.Check()
		}
		if err != nil {
			return c.fail("setkeys needs private keys in Base64: " + err.Error())
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != stopped {
		return c.fail("tunnel is active: stop it first")
	}
	t.keys = pk
	return c.ok(data.EncodeBase64(pk.Identity.Bytes()))
}

// parseDestination reads a Base64 destination.
func parseDestination(s string) (data.Destination, error) {
	b, err := data.DecodeBase64(s)
	if err != nil {
		return data.Destination{}, err
	}
	d, rest, err := data.ParseKeysAndCert(b)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%d bytes after the destination", len(rest))
	}
	return d, err
}
