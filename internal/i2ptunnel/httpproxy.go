package i2ptunnel

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// The HTTP proxy (i2pd's httpproxy, Java's I2PTunnel HTTP client): a
// browser's requests for ….i2p sites become streams from the proxy's
// own destination, one request a stream as in i2pd. A plain request is
// sanitized (httpproxy_request.go) and sent with an origin-form target;
// CONNECT host.i2p:port is answered 200 and the connection carried over a
// stream as it is. Requests for hosts outside I2P go to the outproxy, a
// destination running an HTTP proxy, when one is set, and otherwise get
// an error page, as every failure does (httpproxy_page.go).

// HTTPProxyConfig is the [httpproxy] options of i2pd.conf or a
// `type = httpproxy` tunnel of tunnels.conf.
type HTTPProxyConfig struct {
	Name    string
	Address string // local address to listen on; "" is 127.0.0.1
	Port    int    // local port (0: any free one)
	// Outproxy is an HTTP proxy inside I2P for the hosts outside it:
	// "http://[user:pass@]host.i2p[:port]" (port 80 unless given); ""
	// for none.
	Outproxy string
	// AddressHelper accepts ?i2paddresshelper= (jump) links, remembering
	// the name they give until the proxy stops.
	AddressHelper bool
	// ConnectTimeout bounds resolving a host and opening its stream; 0
	// is DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the reading of a request header; 0 is
	// DefaultHeaderTimeout.
	HeaderTimeout time.Duration
	// MaxConns bounds the browser connections open at once; 0 is
	// DefaultMaxConns.
	MaxConns int
}

// DefaultHeaderTimeout: a browser sends its request header at once.
const DefaultHeaderTimeout = 30 * time.Second

// pageWriteTimeout bounds the sending of an error page or of a request
// header into a stream.
const pageWriteTimeout = 30 * time.Second

// HTTPProxy is a running HTTP proxy.
type HTTPProxy struct {
	cfg      HTTPProxyConfig
	streams  Streams
	resolve  Resolver
	outproxy *outproxy // nil: none
	helpers  *helperBook
	book     NameBook // nil: confirmed names are not saved
	log      *slog.Logger
}

// outproxy is a parsed HTTPProxyConfig.Outproxy.
type outproxy struct {
	host string
	port uint16
	auth string // Proxy-Authorization value, or ""
}

// NewHTTPProxy returns an HTTP proxy that opens its streams on s,
// resolving names other than ….b32.i2p with r (nil: none).
func NewHTTPProxy(cfg HTTPProxyConfig, s Streams, r Resolver, log *slog.Logger) (*HTTPProxy, error) {
	op, err := parseOutproxy(cfg.Outproxy)
	if err != nil {
		return nil, fmt.Errorf("i2ptunnel: [%s] %w", cfg.Name, err)
	}
	log = localDefaults(&cfg.Address, &cfg.ConnectTimeout, &cfg.MaxConns, log)
	if cfg.HeaderTimeout <= 0 {
		cfg.HeaderTimeout = DefaultHeaderTimeout
	}
	return &HTTPProxy{cfg: cfg, streams: s, resolve: r, outproxy: op, helpers: newHelperBook(),
		log: log.With("tunnel", cfg.Name)}, nil
}

// parseOutproxy reads an outproxy URL. i2pd also takes socks:// proxies
// outside I2P; veil does not yet.
func parseOutproxy(s string) (*outproxy, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s // i2pd: no scheme is http
	}
	u, err := url.Parse(s)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return nil, fmt.Errorf("outproxy %q: veil takes an HTTP proxy inside I2P, http://host.i2p[:port]", s)
	}
	host, port, err := splitHostPort(u.Host, 80)
	if err != nil || !strings.HasSuffix(host, ".i2p") {
		return nil, fmt.Errorf("outproxy %q: veil takes an HTTP proxy inside I2P, http://host.i2p[:port]", s)
	}
	op := &outproxy{host: host, port: port}
	if u.User != nil {
		pass, _ := u.User.Password()
		op.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass))
	}
	return op, nil
}

// Listen opens the proxy's local port.
func (p *HTTPProxy) Listen() (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort(p.cfg.Address, strconv.Itoa(p.cfg.Port)))
}

// Serve accepts browser connections on ln until ctx ends (which closes
// ln), at most MaxConns at once, and returns when all have ended.
func (p *HTTPProxy) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, p.cfg.MaxConns, p.log, p.handle)
}

// handle serves one browser connection: one request, then its answer.
func (p *HTTPProxy) handle(ctx context.Context, local net.Conn) {
	br := bufio.NewReaderSize(local, 4096)
	local.SetReadDeadline(time.Now().Add(p.cfg.HeaderTimeout))
	req, err := readProxyRequest(br)
	if err != nil {
		switch {
		case errors.Is(err, errProxyHeaderTooLong):
			p.answer(local, "", headerTooLongPage())
		case errors.Is(err, errBadRequest):
			p.answer(local, "", badRequestPage(err))
		default: // the browser went away or said nothing
			local.Close()
		}
		return
	}
	local.SetReadDeadline(time.Time{})
	t, err := req.targetOf()
	if err != nil {
		p.answer(local, req.method, badRequestPage(err))
		return
	}
	p.log.Debug("httpproxy: request", "method", req.method, "host", t.host, "port", t.port)
	if !t.connect && t.i2p() {
		if pg := p.addressHelper(req, t); pg != nil {
			p.answer(local, req.method, pg)
			return
		}
	}
	dest, port := t.host, t.port
	if !t.i2p() {
		if p.outproxy == nil {
			p.answer(local, req.method, noOutproxyPage(t.host))
			return
		}
		dest, port = p.outproxy.host, p.outproxy.port
	}
	remote, pg := p.open(ctx, dest, port)
	if pg != nil {
		p.answer(local, req.method, pg)
		return
	}
	client := &proxyClientConn{Conn: local, r: br, out: &headerFilter{conn: local, filter: filterProxyResponse}}
	var head []byte
	switch {
	case !t.i2p():
		if !t.connect {
			req.sanitize(t)
		} else {
			client.out.done = true // the outproxy answers CONNECT itself
		}
		req.forOutproxy(t, p.outproxy.auth)
		head = req.bytes()
	case t.connect:
		client.out.done = true
		local.SetWriteDeadline(time.Now().Add(pageWriteTimeout))
		if _, err := local.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
			local.Close()
			remote.Close()
			return
		}
		local.SetWriteDeadline(time.Time{})
	default:
		req.sanitize(t)
		req.forEepsite(t)
		head = req.bytes()
	}
	if len(head) > 0 {
		remote.SetWriteDeadline(time.Now().Add(pageWriteTimeout))
		if _, err := remote.Write(head); err != nil {
			p.log.Debug("httpproxy: request not sent", "host", t.host, "err", err)
			remote.Close()
			p.answer(local, req.method, unreachablePage(t.host, err))
			return
		}
		remote.SetWriteDeadline(time.Time{})
	}
	up, down := join(ctx, client, remote)
	p.log.Debug("httpproxy: done", "host", t.host, "sent", up, "received", down)
}

// open resolves host and opens a stream to its port, or returns the
// page that says why not.
func (p *HTTPProxy) open(ctx context.Context, host string, port uint16) (net.Conn, *page) {
	dctx, cancel := context.WithTimeout(ctx, p.cfg.ConnectTimeout)
	defer cancel()
	to, err := p.resolveHost(dctx, host)
	if err != nil {
		p.log.Debug("httpproxy: host not resolved", "host", host, "err", err) // debug: no browsing history in logs
		switch {
		case errors.Is(err, ErrUnknownName):
			return nil, hostNotFoundPage(host)
		case dctx.Err() != nil:
			return nil, timeoutPage(host)
		}
		return nil, unreachablePage(host, err)
	}
	c, err := p.streams.Dial(dctx, to, port)
	if err != nil {
		p.log.Debug("httpproxy: stream not opened", "host", host, "port", port, "err", err)
		if dctx.Err() != nil {
			return nil, timeoutPage(host)
		}
		return nil, unreachablePage(host, err)
	}
	return c, nil
}

// answer sends pg to the browser and closes the connection.
func (p *HTTPProxy) answer(local net.Conn, method string, pg *page) {
	local.SetWriteDeadline(time.Now().Add(pageWriteTimeout))
	local.Write(pg.response(method == "HEAD"))
	if cw, ok := local.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		// Let the browser read the page before the close resets what it
		// still sends (a request body not read).
		local.SetReadDeadline(time.Now().Add(time.Second))
		var buf [4096]byte
		for range 64 {
			if _, err := local.Read(buf[:]); err != nil {
				break
			}
		}
	}
	local.Close()
}

// filterProxyResponse makes the response header of an eepsite say that
// the browser's connection closes after it (the proxy takes one request
// a connection), unless it switches protocols: Connection is close,
// Keep-Alive and Proxy-Connection go.
func filterProxyResponse(hdr []byte) []byte {
	lines := strings.SplitAfter(string(hdr), "\n")
	out := make([]byte, 0, len(hdr)+32)
	conn := false
	for i, line := range lines {
		name, value, _ := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		switch {
		case i == 0 || line == "":
		case strings.EqualFold(name, "Keep-Alive") || strings.EqualFold(name, "Proxy-Connection"):
			continue
		case strings.EqualFold(name, "Connection"):
			conn = true
			if !hasUpgrade(strings.TrimSpace(value)) {
				line = "Connection: close\r\n"
			}
		}
		out = append(out, line...)
	}
	if !conn {
		out = append(out, "Connection: close\r\n"...)
	}
	return out
}

// proxyClientConn is the browser's connection once its request header
// is read: reads start with what the reader holds beyond it, writes go
// through the response header filter.
type proxyClientConn struct {
	net.Conn
	r   *bufio.Reader
	out *headerFilter
}

func (c *proxyClientConn) Read(b []byte) (int, error)  { return c.r.Read(b) }
func (c *proxyClientConn) Write(b []byte) (int, error) { return c.out.Write(b) }
func (c *proxyClientConn) CloseWrite() error           { return c.out.CloseWrite() }
func (c *proxyClientConn) Close() error                { return c.out.Close() }

// resolveHost turns a host into a destination hash: a name an address
// helper gave, a ….b32.i2p, or what the resolver knows (b33 addresses).
func (p *HTTPProxy) resolveHost(ctx context.Context, host string) (data.Hash, error) {
	if d, ok := p.helpers.lookup(host); ok {
		return d, nil
	}
	return ResolveDestination(ctx, host, p.resolve)
}
