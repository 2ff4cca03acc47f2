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

// ircServerConn is the stream of an irc server tunnel as the IRC server
// sees it.
type ircServerConn struct {
	net.Conn
	r       *bufio.Reader
	addr    string // the client's b32 address, "" if unknown
	pending []byte
}

func newIRCServerConn(stream net.Conn, from data.KeysAndCert, known bool, password string, local net.Addr) *ircServerConn {
	c := &ircServerConn{Conn: stream, r: bufio.NewReaderSize(stream, maxIRCLine)}
	if known {
		c.addr = from.Hash().B32()
	}
	if password != "" && c.addr != "" {
		ip := "127.0.0.1"
		if a, ok := local.(*net.TCPAddr); ok {
			ip = a.IP.String()
		}
		c.pending = []byte("WEBIRC " + password + " cgiirc " + c.addr + " " + ip + "\r\n")
	}
	return c
}

// Read returns the client's bytes a line at a time, USER lines
// rewritten.
func (c *ircServerConn) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		line, err := c.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return 0, errIRCLineTooLong
		}
		if len(line) > 0 {
			c.pending = rewriteUser(line, c.addr)
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
func (c *ircServerConn) CloseWrite() error {
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
