package console

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
)

//go:embed assets
var assets embed.FS

// Config is the console's part of the options (i2pd's http.*).
type Config struct {
	Address       string // host:port to listen on (http.address, http.port)
	Auth          bool   // http.auth: require basic auth
	User, Pass    string // http.user, http.pass ("" with Auth: random, logged)
	StrictHeaders bool   // http.strictheaders: check the Host header
	Hostname      string // http.hostname: a name allowed besides loopback
	WebRoot       string // http.webroot: path prefix, "/" by default
	Logger        *slog.Logger
	Rand          io.Reader // nil means crypto/rand
}

// Server is the console.
type Server struct {
	cfg   Config
	rt    Router
	log   *slog.Logger
	csrf  string
	hosts map[string]bool
	pages map[string]*template.Template
	root  string // WebRoot with a trailing slash
}

// New returns the console for rt.
func New(cfg Config, rt Router) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	rnd := cfg.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	var tok [24]byte
	if _, err := io.ReadFull(rnd, tok[:]); err != nil {
		return nil, fmt.Errorf("console: csrf token: %w", err)
	}
	if cfg.Auth && cfg.Pass == "" {
		var p [12]byte
		if _, err := io.ReadFull(rnd, p[:]); err != nil {
			return nil, fmt.Errorf("console: password: %w", err)
		}
		cfg.Pass = base64.RawURLEncoding.EncodeToString(p[:])
		cfg.Logger.Warn("console: http.auth is on without http.pass: using a random password", "user", cfg.User, "pass", cfg.Pass)
	}
	root := "/" + strings.Trim(cfg.WebRoot, "/") + "/"
	if root == "//" {
		root = "/"
	}
	s := &Server{cfg: cfg, rt: rt, log: cfg.Logger, csrf: base64.RawURLEncoding.EncodeToString(tok[:]),
		hosts: allowedHosts(&cfg), root: root}
	pages, err := parsePages(s.funcs())
	if err != nil {
		return nil, err
	}
	s.pages = pages
	return s, nil
}

// Handler is the console's HTTP handler, guarded (security.go).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets/static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.page("overview", nil))
	mux.HandleFunc("GET /peers", s.page("peers", nil))
	mux.HandleFunc("GET /tunnels", s.page("tunnels", nil))
	mux.HandleFunc("GET /netdb", s.netdb)
	mux.HandleFunc("GET /destinations", s.page("destinations", nil))
	mux.HandleFunc("GET /i2ptunnels", s.i2ptunnels)
	mux.HandleFunc("POST /i2ptunnels/{action}", s.tunnelAction)
	mux.HandleFunc("GET /addressbook", s.addressbookPage)
	mux.HandleFunc("POST /addressbook/{action}", s.addressbookAction)
	mux.HandleFunc("GET /logs", s.logsPage)
	mux.HandleFunc("GET /config", s.config)
	mux.HandleFunc("POST /config", s.saveConfig)
	mux.HandleFunc("POST /shutdown", s.shutdown)
	mux.HandleFunc("POST /restart", s.restart)
	mux.HandleFunc("GET /graph.svg", s.graph)
	mux.HandleFunc("GET /api/status", s.apiStatus)
	mux.HandleFunc("GET /api/history", s.apiHistory)
	var h http.Handler = mux
	if s.root != "/" {
		h = http.StripPrefix(strings.TrimSuffix(s.root, "/"), mux)
	}
	return s.guard(h)
}

// Listen opens the console's listener.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("console: listen on %s (http.address, http.port): %w", s.cfg.Address, err)
	}
	return ln, nil
}

// Serve serves the console on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.log.Info("console listening", "address", "http://"+ln.Addr().String()+s.root)
	return Serve(ctx, ln, s.Handler())
}
