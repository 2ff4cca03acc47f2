package i2ptunnel

import (
	"bufio"
	"bytes"
	"errors"
	"net"

	"github.com/veil-i2p/veil/internal/data"
)

// An `irc` server tunnel tells the IRC server who each client is, as
// i2pd's does: the hostname field of the client's USER command becomes
// the client's ….b32.i2p address, and with a WEBIRC password the
// connection opens with `WEBIRC <password> cgiirc <b32> <ip>` (the IP the
// tunnel connects from, 127.a.b.c with unique local addresses), which
// servers such as ngircd take as the client's host.

// maxIRCLine bounds a line from the client (IRC allows 512 bytes; some
// servers take longer ones with tags).
const maxIRCLine = 8 << 10

// errIRCLineTooLong ends a stream that sends a line longer than that.
var errIRCLineTooLong = errors.New("i2ptunnel: IRC line too long")

// lineConn is a connection whose reads come a line at a time through
// filter (nil drops the line): the IRC tunnels' view of a stream or of
// a local client.
type lineConn struct {
	net.Conn
	r       *bufio.Reader
	filter  func(line []byte) []byte
	pending []byte
}

func newLineConn(c net.Conn, filter func([]byte) []byte) *lineConn {
	return &lineConn{Conn: c, r: bufio.NewReaderSize(c, maxIRCLine), filter: filter}
}

// newIRCServerConn is the stream of an irc server tunnel as the IRC
// server sees it: USER lines rewritten, WEBIRC first.
func newIRCServerConn(stream net.Conn, from data.KeysAndCert, known bool, password string, local net.Addr) *lineConn {
	addr := ""
	if known {
		addr = from.Hash().B32()
	}
	c := newLineConn(stream, func(line []byte) []byte { return rewriteUser(line, addr) })
	if password != "" && addr != "" {
		ip := "127.0.0.1"
		if a, ok := local.(*net.TCPAddr); ok {
			ip = a.IP.String()
		}
		c.pending = []byte("WEBIRC " + password + " cgiirc " + addr + " " + ip + "\r\n")
	}
	return c
}

// Read returns the filtered lines.
func (c *lineConn) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		line, err := c.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return 0, errIRCLineTooLong
		}
		if len(line) > 0 {
			c.pending = c.filter(line)
		}
		if err != nil && len(c.pending) == 0 {
			return 0, err
		}
		if err != nil {
			break // the partial last line goes out; the error comes next Read
		}
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// CloseWrite half-closes the stream if it can.
func (c *lineConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errNoHalfClose
}

// rewriteUser replaces the hostname (third word) of a USER command with
// addr; other lines come back as they are (a copy: line is the reader's
// buffer).
func rewriteUser(line []byte, addr string) []byte {
	words := bytes.SplitN(line, []byte(" "), 4)
	if addr == "" || len(words) < 4 || !bytes.Equal(words[0], []byte("USER")) {
		return bytes.Clone(line)
	}
	words[2] = []byte(addr)
	return bytes.Join(words, []byte(" "))
}
