package i2ptunnel

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// The HTTP proxy's request side: one request header read from the
// browser, checked, and rewritten for the eepsite (or the outproxy) the
// way i2pd 2.45.1's HTTP proxy sanitizes it. The body, if any, is not
// parsed: it follows the rewritten header byte for byte, and the
// Connection: close sent on makes the exchange the stream's only one.

// maxProxyHeader bounds the request header a browser may send (cookies
// can make it large; i2pd keeps what it is sent).
const maxProxyHeader = 64 << 10

// maxProxyHeaderLines bounds its lines.
const maxProxyHeaderLines = 256

// Request header errors: the proxy answers 431 to the first, 400 to the
// others.
var (
	errProxyHeaderTooLong = errors.New("request header too long")
	errBadRequest         = errors.New("bad request")
)

// headerField is one header line, its name as the browser spelled it.
type headerField struct{ name, value string }

// proxyRequest is a browser's request as the proxy reads it.
type proxyRequest struct {
	method, target, version string
	header                  []headerField
}

// readProxyRequest reads a request header from r: the request line (a
// method token, a target without spaces or control characters,
// HTTP/1.0 or HTTP/1.1) and header fields ("name: value", no line
// folding), lines ending in CRLF or LF, at most maxProxyHeader bytes.
func readProxyRequest(r *bufio.Reader) (*proxyRequest, error) {
	budget := maxProxyHeader
	var req *proxyRequest
	for lines := 0; ; lines++ {
		if lines > maxProxyHeaderLines {
			return nil, errProxyHeaderTooLong
		}
		line, err := readHeaderLine(r, &budget)
		if err != nil {
			return nil, err
		}
		if req == nil {
			if line == "" && lines < 4 {
				continue // RFC 9112 §2.2: empty lines before a request are ignored
			}
			if req, err = parseRequestLine(line); err != nil {
				return nil, err
			}
			continue
		}
		if line == "" {
			return req, nil
		}
		f, err := parseHeaderField(line)
		if err != nil {
			return nil, err
		}
		req.header = append(req.header, f)
	}
}

// readHeaderLine reads one line and takes its length from budget.
func readHeaderLine(r *bufio.Reader, budget *int) (string, error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		*budget -= len(chunk)
		if *budget < 0 {
			return "", errProxyHeaderTooLong
		}
		b = append(b, chunk...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil:
			return "", err
		}
		s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		return s, nil
	}
}

func parseRequestLine(line string) (*proxyRequest, error) {
	method, rest, ok1 := strings.Cut(line, " ")
	target, version, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !isToken(method) || target == "" || hasCTLOrSpace(target) ||
		(version != "HTTP/1.1" && version != "HTTP/1.0") {
		return nil, fmt.Errorf("%w: request line %q", errBadRequest, clip(line))
	}
	return &proxyRequest{method: method, target: target, version: version}, nil
}

func parseHeaderField(line string) (headerField, error) {
	name, value, ok := strings.Cut(line, ":")
	if !ok || !isToken(name) {
		return headerField{}, fmt.Errorf("%w: header line %q", errBadRequest, clip(line))
	}
	value = strings.Trim(value, " \t")
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return headerField{}, fmt.Errorf("%w: control character in %s", errBadRequest, clip(name))
		}
	}
	return headerField{name: name, value: value}, nil
}

// isToken: RFC 9110's token, the characters of methods and header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func hasCTLOrSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// clip shortens what an error quotes.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// get returns the first value of the header field name.
func (r *proxyRequest) get(name string) string {
	for _, f := range r.header {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

// del removes the header fields that keep reports true for their name.
func (r *proxyRequest) del(drop func(name string) bool) {
	out := r.header[:0]
	for _, f := range r.header {
		if !drop(f.name) {
			out = append(out, f)
		}
	}
	r.header = out
}

// set replaces the header field name (its first line, dropping any
// other) or adds it.
func (r *proxyRequest) set(name, value string) {
	found := false
	out := r.header[:0]
	for _, f := range r.header {
		if strings.EqualFold(f.name, name) {
			if found {
				continue
			}
			found, f.value = true, value
		}
		out = append(out, f)
	}
	r.header = out
	if !found {
		r.header = append(r.header, headerField{name: name, value: value})
	}
}

// bytes is the request header as it goes out, ending with the empty line.
func (r *proxyRequest) bytes() []byte {
	n := len(r.method) + len(r.target) + len(r.version) + 6
	for _, f := range r.header {
		n += len(f.name) + len(f.value) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, r.method+" "+r.target+" "+r.version+"\r\n"...)
	for _, f := range r.header {
		b = append(b, f.name+": "+f.value+"\r\n"...)
	}
	return append(b, "\r\n"...)
}

// proxyTarget is where a request goes.
type proxyTarget struct {
	host    string // lower case, without port
	port    uint16
	connect bool   // a CONNECT tunnel
	scheme  string // http or https ("" for CONNECT)
	// path is the origin-form target (path and query, no fragment) of a
	// request that is not CONNECT.
	path string
}

// target reads where r goes: CONNECT's host:port; an absolute URI
// (http or https; port 80 or 443 unless given); or, for a proxy used
// as a transparent one, an origin-form target and the Host header.
func (r *proxyRequest) targetOf() (proxyTarget, error) {
	bad := func(why string) (proxyTarget, error) {
		return proxyTarget{}, fmt.Errorf("%w: %s", errBadRequest, why)
	}
	if r.method == "CONNECT" {
		host, port, err := splitHostPort(r.target, 0)
		if err != nil || port == 0 {
			return bad("CONNECT wants host:port")
		}
		return proxyTarget{host: host, port: port, connect: true}, nil
	}
	if strings.HasPrefix(r.target, "/") {
		h := r.get("Host")
		if h == "" {
			return bad("no host in the request")
		}
		host, port, err := splitHostPort(h, 80)
		if err != nil {
			return bad("bad Host header")
		}
		return proxyTarget{host: host, port: port, scheme: "http", path: r.target}, nil
	}
	u, err := url.Parse(r.target)
	if err != nil {
		return bad("unreadable URL")
	}
	scheme := strings.ToLower(u.Scheme)
	def := uint16(80)
	switch scheme {
	case "http":
	case "https":
		def = 443
	default:
		return bad("the proxy takes http:// and https:// URLs")
	}
	if u.Host == "" || u.Opaque != "" {
		return bad("no host in the URL")
	}
	host, port, err := splitHostPort(u.Host, def)
	if err != nil {
		return bad("bad host or port in the URL")
	}
	return proxyTarget{host: host, port: port, scheme: scheme, path: originForm(r.target)}, nil
}

// splitHostPort splits host[:port]; def is the port when none is given
// (0: one must be).
func splitHostPort(s string, def uint16) (string, uint16, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		if def == 0 || strings.Contains(strings.Trim(s, "[]"), ":") {
			return "", 0, err
		}
		host, p = s, strconv.Itoa(int(def))
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 || host == "" || hasCTLOrSpace(host) {
		return "", 0, fmt.Errorf("bad host:port %q", clip(s))
	}
	return strings.ToLower(strings.TrimSuffix(host, ".")), uint16(n), nil
}

// originForm is the path and query of an absolute URI as the browser
// wrote them (not re-encoded), "/" when it has none, without fragment.
func originForm(abs string) string {
	_, rest, _ := strings.Cut(abs, "://")
	i := strings.IndexAny(rest, "/?#")
	if i < 0 {
		return "/"
	}
	rest, _, _ = strings.Cut(rest[i:], "#")
	if !strings.HasPrefix(rest, "/") {
		rest = "/" + rest
	}
	return rest
}

// hostHeader is the Host of a request to t, as i2pd writes it: the
// port only when it is not 80.
func (t proxyTarget) hostHeader() string {
	h := t.host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if t.port != 80 {
		h += ":" + strconv.Itoa(int(t.port))
	}
	return h
}

// i2p tells whether t is inside I2P (….i2p).
func (t proxyTarget) i2p() bool { return strings.HasSuffix(t.host, ".i2p") }

// User agents the proxy sends: i2pd's and Java I2P's for eepsites, and
// for the outproxy the Firefox ESR one i2pd sends (so clearnet sites see
// a common browser).
const (
	eepsiteUserAgent  = "MYOB/6.66 (AN/ON)"
	outproxyUserAgent = "Mozilla/5.0 (Windows NT 6.1; rv:60.0) Gecko/20100101 Firefox/60.0"
)

// sanitize rewrites a request (not CONNECT) for t as i2pd 2.45.1 does:
//   - headers that identify the browser or reveal a proxy go (Via, From,
//     Forwarded, DNT, X-Forwarded*, Proxy-*, every Accept* but
//     Accept-Encoding, X-Requested-With unless it names an
//     XMLHttpRequest-like caller), and User-Agent is MYOB's;
//   - Referer stays only when it is of the same scheme, host and port as
//     the request (I2P ticket 1862);
//   - Connection is close unless it asks for an upgrade (WebSocket),
//     hop-by-hop headers (Keep-Alive, TE, those Connection names) go;
//   - Host says the target.
func (r *proxyRequest) sanitize(t proxyTarget) {
	upgrade := hasUpgrade(r.get("Connection"))
	named := connectionTokens(r)
	if ref := r.get("Referer"); ref != "" && !sameOrigin(ref, t) {
		r.del(func(n string) bool { return strings.EqualFold(n, "Referer") })
	}
	if x := r.get("X-Requested-With"); x != "" && !strings.Contains(x, "HttpRequest") {
		r.del(func(n string) bool { return strings.EqualFold(n, "X-Requested-With") })
	}
	r.del(func(n string) bool {
		l := strings.ToLower(n)
		switch {
		case l == "via" || l == "from" || l == "forwarded" || l == "dnt" || l == "keep-alive" || l == "te":
			return true
		case strings.HasPrefix(l, "x-forwarded") || strings.HasPrefix(l, "proxy-"):
			return true
		case strings.HasPrefix(l, "accept") && l != "accept-encoding":
			return true
		case l == "upgrade":
			return !upgrade
		case l == "host" || l == "content-length" || l == "transfer-encoding" || l == "connection":
			return false // the body follows as it is
		}
		return named[l]
	})
	r.set("User-Agent", eepsiteUserAgent)
	r.set("Host", t.hostHeader())
	if upgrade {
		r.set("Connection", "Upgrade")
	} else {
		r.set("Connection", "close")
	}
}

// hasUpgrade: Connection asks for a protocol upgrade.
func hasUpgrade(conn string) bool {
	for _, tok := range strings.Split(conn, ",") {
		if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
			return true
		}
	}
	return false
}

// connectionTokens are the header names the Connection header lists
// (hop-by-hop, RFC 9110 §7.6.1), lower case.
func connectionTokens(r *proxyRequest) map[string]bool {
	m := make(map[string]bool)
	for _, f := range r.header {
		if !strings.EqualFold(f.name, "Connection") {
			continue
		}
		for _, tok := range strings.Split(f.value, ",") {
			if tok = strings.ToLower(strings.TrimSpace(tok)); tok != "" && tok != "upgrade" && len(m) < 32 {
				m[tok] = true
			}
		}
	}
	return m
}

// sameOrigin: ref has t's scheme, host and port.
func sameOrigin(ref string, t proxyTarget) bool {
	u, err := url.Parse(ref)
	if err != nil {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	def := uint16(80)
	if scheme == "https" {
		def = 443
	}
	host, port, err := splitHostPort(u.Host, def)
	return err == nil && scheme == t.scheme && host == t.host && port == t.port
}

// forEepsite rewrites a sanitized request for a stream to t: its target
// becomes origin-form.
func (r *proxyRequest) forEepsite(t proxyTarget) {
	r.target = t.path
}

// forOutproxy rewrites a request to t for an outproxy inside I2P: the
// target is absolute, the User-Agent of a plain request is a common
// browser's, and the outproxy's credentials, if any, are added.
func (r *proxyRequest) forOutproxy(t proxyTarget, auth string) {
	r.del(func(n string) bool { return hasPrefixFold(n, "Proxy-") })
	if !t.connect {
		if strings.HasPrefix(r.target, "/") {
			r.target = t.scheme + "://" + t.hostHeader() + t.path
		}
		r.set("User-Agent", outproxyUserAgent)
	}
	if auth != "" {
		r.set("Proxy-Authorization", auth)
	}
}
