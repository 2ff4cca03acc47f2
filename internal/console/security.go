package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// allowedHosts are the Host names the console answers to: loopback
// names, http.hostname, and the listen address when it is a specific
// one. A page loaded from any other name may be a DNS-rebinding attack
// (a foreign site whose name now points at 127.0.0.1), so it is refused.
func allowedHosts(cfg *Config) map[string]bool {
	hosts := map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}
	if cfg.Hostname != "" {
		hosts[strings.ToLower(cfg.Hostname)] = true
	}
	if host, _, err := net.SplitHostPort(cfg.Address); err == nil {
		if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
			hosts[ip.String()] = true
		}
	}
	return hosts
}

// hostOf is the host part of a Host header, lower case, without port or
// brackets.
func hostOf(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
}

// guard wraps h with the Host check (when strictheaders is on) and
// basic auth (when auth is on), and sets headers that keep the console
// out of frames and other origins.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if s.cfg.StrictHeaders && !s.hosts[hostOf(req.Host)] {
			http.Error(w, "console: Host header not allowed (set http.hostname to the name you use)", http.StatusForbidden)
			return
		}
		if s.cfg.Auth && !s.authorized(req) {
			w.Header().Set("WWW-Authenticate", `Basic realm="veil console", charset="UTF-8"`)
			http.Error(w, "console: authentication required", http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
		h.ServeHTTP(w, req)
	})
}

// authorized checks basic auth in constant time (over hashes, so the
// lengths leak nothing either).
func (s *Server) authorized(req *http.Request) bool {
	u, p, ok := req.BasicAuth()
	if !ok {
		return false
	}
	hu, hp := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
	wu, wp := sha256.Sum256([]byte(s.cfg.User)), sha256.Sum256([]byte(s.cfg.Pass))
	return subtle.ConstantTimeCompare(hu[:], wu[:])&subtle.ConstantTimeCompare(hp[:], wp[:]) == 1
}

// csrfOK reports whether a form carries this server's CSRF token. The
// token is random per start and only ever written into pages the
// console serves, which another origin cannot read.
func (s *Server) csrfOK(req *http.Request) bool {
	got := req.FormValue("csrf")
	if req.Method == http.MethodPost {
		got = req.PostFormValue("csrf") // never from the URL, which leaks into logs
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

// postOK bounds a form's body and checks its CSRF token; when the token
// is wrong it answers 403 and returns false.
func (s *Server) postOK(w http.ResponseWriter, req *http.Request) bool {
	req.Body = http.MaxBytesReader(w, req.Body, 8<<10)
	if !s.csrfOK(req) {
		http.Error(w, "console: missing or stale form token: reload the page and send it again", http.StatusForbidden)
		return false
	}
	return true
}
