package i2ptunnel

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"strings"
	"sync"

	"github.com/veil-i2p/veil/internal/data"
)

// An `http` server tunnel rewrites the request header that comes in on a
// stream before the service sees it, as i2pd and Java I2P do: the client
// cannot pass X-I2P-* headers of its own, the tunnel adds the ones that
// say who the client is (X-I2P-DestB32, X-I2P-DestHash, X-I2P-DestB64),
// Host may be overridden, and the connection closes after one exchange.
// The first response header loses the lines that say what the server
// runs or when (Server, Date, X-Runtime, X-Powered-By, Proxy-*).

// maxHTTPHeader bounds a request header (i2pd: 8 KB); a longer one ends
// the connection. A longer response header passes unfiltered.
const maxHTTPHeader = 8 << 10

// errHeaderTooLong ends a stream whose request header never ends.
var errHeaderTooLong = errors.New("i2ptunnel: HTTP request header too long")

// httpServerConn is the stream of an http server tunnel as its service
// side sees it.
type httpServerConn struct {
	net.Conn
	r       *bufio.Reader
	rewrite func(*bufio.Reader) ([]byte, error)
	started bool // Read runs on one goroutine: no lock
	pending []byte
	err     error
	out     *headerFilter
}

func newHTTPServerConn(stream net.Conn, from data.KeysAndCert, known bool, host string) *httpServerConn {
	return &httpServerConn{Conn: stream, r: bufio.NewReaderSize(stream, 4096),
		rewrite: func(r *bufio.Reader) ([]byte, error) { return rewriteRequest(r, from, known, host) },
		out:     &headerFilter{conn: stream, filter: filterResponse}}
}

func (c *httpServerConn) Read(p []byte) (int, error) {
	if !c.started {
		c.started = true
		c.pending, c.err = c.rewrite(c.r)
	}
	if c.err != nil {
		return 0, c.err
	}
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.r.Read(p)
}

func (c *httpServerConn) Write(p []byte) (int, error) { return c.out.Write(p) }
func (c *httpServerConn) CloseWrite() error           { return c.out.CloseWrite() }
func (c *httpServerConn) Close() error                { return c.out.Close() }

// headerFilter is the write side of a connection whose first HTTP
// header (a response) is held back until it is whole, then written as
// filter rewrites it (hdr ends with its last line's CRLF); what follows
// passes as it is, and so does a header longer than maxHTTPHeader.
type headerFilter struct {
	conn   net.Conn
	filter func(hdr []byte) []byte

	mu   sync.Mutex // Write, CloseWrite and Close may race at the end
	buf  []byte     // the header so far
	done bool
}

func (h *headerFilter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return h.conn.Write(p)
	}
	h.buf = append(h.buf, p...)
	for !h.done {
		end := bytes.Index(h.buf, []byte("\r\n\r\n"))
		if end < 0 {
			if len(h.buf) > maxHTTPHeader {
				if err := h.flushLocked(); err != nil {
					return 0, err
				}
			}
			break
		}
		var out []byte
		if interimResponse(h.buf) {
			// 100 Continue and the like pass as they are; the final
			// response's header is the one to filter.
			out, h.buf = h.buf[:end+4], h.buf[end+4:]
		} else {
			out = append(h.filter(h.buf[:end+2]), h.buf[end+2:]...)
			h.buf, h.done = nil, true
		}
		if _, err := h.conn.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// interimResponse: hdr starts with a 1xx status line other than 101
// Switching Protocols (after which no HTTP follows).
func interimResponse(hdr []byte) bool {
	rest, ok := bytes.CutPrefix(hdr, []byte("HTTP/1."))
	return ok && len(rest) >= 6 && rest[1] == ' ' && rest[2] == '1' && !bytes.HasPrefix(rest[2:], []byte("101"))
}

// flushLocked sends what is held of a header as it is.
func (h *headerFilter) flushLocked() error {
	h.done = true
	b := h.buf
	h.buf = nil
	if len(b) == 0 {
		return nil
	}
	_, err := h.conn.Write(b)
	return err
}

// CloseWrite flushes and half-closes the connection.
func (h *headerFilter) CloseWrite() error {
	h.mu.Lock()
	err := h.flushLocked()
	h.mu.Unlock()
	if cw, ok := h.conn.(interface{ CloseWrite() error }); ok && err == nil {
		return cw.CloseWrite()
	}
	return errors.Join(err, errNoHalfClose)
}

// Close flushes and closes the connection.
func (h *headerFilter) Close() error {
	h.mu.Lock()
	h.flushLocked()
	h.mu.Unlock()
	return h.conn.Close()
}

// errNoHalfClose: the stream under a wrapper cannot close one direction.
var errNoHalfClose = errors.New("i2ptunnel: no half-close")

// rewriteRequest reads a request header from r and returns it rewritten.
func rewriteRequest(r *bufio.Reader, from data.KeysAndCert, known bool, host string) ([]byte, error) {
	var out bytes.Buffer
	read, connection := 0, false
	for {
		line, err := r.ReadSlice('\n')
		read += len(line)
		if errors.Is(err, bufio.ErrBufferFull) || read > maxHTTPHeader {
			return nil, errHeaderTooLong
		}
		if err != nil {
			return nil, err
		}
		text := strings.TrimRight(string(line), "\r\n")
		if text == "" && out.Len() > 0 {
			break
		}
		name, _, _ := strings.Cut(text, ":")
		switch {
		case out.Len() == 0: // the request line
		case strings.EqualFold(name, "Keep-Alive") || hasPrefixFold(name, "X-I2P"):
			continue
		case host != "" && strings.EqualFold(name, "Host"):
			text = "Host: " + host
		case strings.EqualFold(name, "Connection"):
			connection = true
			if !strings.Contains(strings.ToLower(text), "upgrade") {
				text = "Connection: close"
			}
		}
		out.WriteString(text)
		out.WriteString("\r\n")
	}
	if !connection {
		out.WriteString("Connection: close\r\n")
	}
	if known {
		h := from.Hash()
		out.WriteString("X-I2P-DestB32: " + h.B32() + "\r\n")
		out.WriteString("X-I2P-DestHash: " + data.EncodeBase64(h[:]) + "\r\n")
		out.WriteString("X-I2P-DestB64: " + data.EncodeBase64(from.Bytes()) + "\r\n")
	}
	out.WriteString("\r\n")
	return out.Bytes(), nil
}

// filterResponse drops the response header lines that say what the
// server runs (hdr ends with the last header line's CRLF).
func filterResponse(hdr []byte) []byte {
	var out []byte
	for i, line := range bytes.SplitAfter(hdr, []byte("\n")) {
		name, _, _ := bytes.Cut(line, []byte(":"))
		n := string(bytes.TrimSpace(name))
		if i > 0 && (strings.EqualFold(n, "Server") || strings.EqualFold(n, "Date") || strings.EqualFold(n, "X-Runtime") ||
			strings.EqualFold(n, "X-Powered-By") || hasPrefixFold(n, "Proxy")) {
			continue
		}
		out = append(out, line...)
	}
	return out
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
