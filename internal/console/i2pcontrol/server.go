package i2pcontrol

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/console"
)

// Limits on what a client can make the server hold.
const (
	maxBody    = 64 << 10 // bytes of one HTTP request
	maxBatch   = 32       // calls in one batch
	maxTokens  = 256      // live tokens; the oldest goes first
	tokenLife  = 24 * time.Hour
	apiVersion = 1
)

// Config is the server's part of the options (i2pd's i2pcontrol.*).
type Config struct {
	Address  string      // host:port (i2pcontrol.address, i2pcontrol.port)
	Password string      // i2pcontrol.password ("itoopie" by default)
	TLS      *tls.Config // nil serves plain HTTP (tests); cmd/veil gives the data folder's certificate
	Logger   *slog.Logger
	Now      func() time.Time // nil means time.Now
}

// Server is an I2PControl server.
type Server struct {
	cfg Config
	rt  console.Router
	log *slog.Logger

	mu       sync.Mutex // guards the fields below
	password string
	tokens   map[string]time.Time // token → when it was issued
}

// New returns the I2PControl server for rt.
func New(cfg Config, rt console.Router) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, rt: rt, log: cfg.Logger, password: cfg.Password, tokens: map[string]time.Time{}}
}

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// Listen opens the server's listener (TLS when configured).
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("i2pcontrol: listen on %s (i2pcontrol.address, i2pcontrol.port): %w", s.cfg.Address, err)
	}
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	return ln, nil
}

// Serve serves I2PControl on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	scheme := "http"
	if s.cfg.TLS != nil {
		scheme = "https"
	}
	s.log.Info("i2pcontrol listening", "address", scheme+"://"+ln.Addr().String()+"/")
	return console.Serve(ctx, ln, s)
}

// ServeHTTP takes JSON-RPC calls POSTed to any path (i2pd reads any, Java
// serves /jsonrpc).
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "i2pcontrol: POST a JSON-RPC 2.0 request", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxBody))
	var out []byte
	if err != nil {
		out = marshal(response{ID: null, Error: errorf(CodeInvalidRequest, "Invalid request: body too large or unreadable.")})
	} else {
		out = s.Handle(req.Context(), body)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// request is one JSON-RPC call; fields stay raw until checked.
type request struct {
	JSONRPC json.RawMessage `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  json.RawMessage `json:"method"`
	Params  json.RawMessage `json:"params"`
}

type response struct {
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
	JSONRPC string          `json:"jsonrpc"`
}

var null = json.RawMessage("null")

func marshal(r response) []byte {
	r.JSONRPC = "2.0"
	b, err := json.Marshal(r)
	if err != nil { // a result holds only plain values: cannot happen
		b, _ = json.Marshal(response{ID: null, Error: errorf(CodeInternal, "Internal error."), JSONRPC: "2.0"})
	}
	return b
}

// Handle answers one JSON-RPC message: a call, or a batch of them.
func (s *Server) Handle(ctx context.Context, body []byte) []byte {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var calls []json.RawMessage
		if err := json.Unmarshal(body, &calls); err != nil {
			return marshal(response{ID: null, Error: errParse})
		}
		if len(calls) == 0 || len(calls) > maxBatch {
			return marshal(response{ID: null, Error: errInvalid})
		}
		out := []byte{'['}
		for i, c := range calls {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, s.call(ctx, c)...)
		}
		return append(out, ']')
	}
	return s.call(ctx, body)
}

// call answers one call.
func (s *Server) call(ctx context.Context, raw []byte) []byte {
	if !json.Valid(raw) {
		return marshal(response{ID: null, Error: errParse})
	}
	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		return marshal(response{ID: null, Error: errInvalid}) // not an object
	}
	id := validID(req.ID)
	if id == nil {
		return marshal(response{ID: null, Error: errInvalid})
	}
	var version, method string
	if json.Unmarshal(req.JSONRPC, &version) != nil || version != "2.0" || json.Unmarshal(req.Method, &method) != nil {
		return marshal(response{ID: id, Error: errInvalid})
	}
	var params map[string]json.RawMessage
	if len(req.Params) > 0 && !bytes.Equal(req.Params, null) {
		if err := json.Unmarshal(req.Params, &params); err != nil {
			return marshal(response{ID: id, Error: errorf(CodeInvalidParams, "Invalid params: I2PControl takes named parameters (an object).")})
		}
	}
	result, rerr := s.dispatch(ctx, method, params)
	if rerr != nil {
		return marshal(response{ID: id, Error: rerr})
	}
	return marshal(response{ID: id, Result: result})
}

// validID returns the id if it is a string, number or null (absent is
// null); nil otherwise.
func validID(id json.RawMessage) json.RawMessage {
	if len(id) == 0 {
		return null
	}
	switch id[0] {
	case '"', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return id
	}
	return nil
}

// dispatch runs a method; every method but Authenticate needs a token.
func (s *Server) dispatch(ctx context.Context, method string, p map[string]json.RawMessage) (map[string]any, *Error) {
	if method == "Authenticate" {
		return s.authenticate(p)
	}
	h, ok := s.methods()[method]
	if !ok {
		return nil, errNoMethod
	}
	if err := s.checkToken(p); err != nil {
		return nil, err
	}
	return h(ctx, p)
}

func (s *Server) authenticate(p map[string]json.RawMessage) (map[string]any, *Error) {
	raw, ok := p["API"]
	if !ok {
		return nil, errNoAPI
	}
	var api float64
	if json.Unmarshal(raw, &api) != nil {
		var str string // itoopie and some clients send it as a string
		if json.Unmarshal(raw, &str) != nil || json.Unmarshal([]byte(str), &api) != nil {
			return nil, errBadAPI
		}
	}
	if api != apiVersion {
		return nil, errBadAPI
	}
	var pw string
	if json.Unmarshal(p["Password"], &pw) != nil || !s.passwordOK(pw) {
		s.log.Warn("i2pcontrol: authentication with a wrong password")
		return nil, errBadPassword
	}
	var b [16]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.expireLocked()
	if len(s.tokens) >= maxTokens {
		oldest, at := "", time.Time{}
		for t, when := range s.tokens {
			if oldest == "" || when.Before(at) {
				oldest, at = t, when
			}
		}
		delete(s.tokens, oldest)
	}
	s.tokens[tok] = s.now()
	s.mu.Unlock()
	return map[string]any{"API": apiVersion, "Token": tok}, nil
}

func (s *Server) passwordOK(pw string) bool {
	s.mu.Lock()
	want := s.password
	s.mu.Unlock()
	a, b := sha256.Sum256([]byte(pw)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// expireLocked drops tokens past their life. s.mu must be held.
func (s *Server) expireLocked() {
	now := s.now()
	for t, when := range s.tokens {
		if now.Sub(when) > tokenLife {
			delete(s.tokens, t)
		}
	}
}

func (s *Server) checkToken(p map[string]json.RawMessage) *Error {
	raw, ok := p["Token"]
	if !ok {
		return errNoToken
	}
	var tok string
	if json.Unmarshal(raw, &tok) != nil {
		return errUnknownToken
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	when, ok := s.tokens[tok]
	switch {
	case !ok:
		return errUnknownToken
	case s.now().Sub(when) > tokenLife:
		delete(s.tokens, tok)
		return errExpiredToken
	}
	return nil
}
