package testnet

import (
	"crypto/rand"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/router"
)

// The demo eepsite: a small page from an HTTP server on loopback, which
// the last router publishes through an `http` server tunnel (i2pd's
// type = http), as a person hosting a site behind veil would.

const (
	siteName = "eepsite"
	siteKeys = "eepsite.dat" // in the site folder, so a kept network keeps its address
	siteDir  = "site"
)

type eepsite struct {
	keysPath string
	b32      string
	dest     data.Destination
	port     int
	srv      *http.Server
	done     chan struct{}
	hits     atomic.Uint64
	started  time.Time
}

var sitePage = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>veil testnet</title></head>
<body>
<h1>Hello from the veil testnet</h1>
<p>This page is an eepsite: it is served by a web server on this machine,
behind an <code>http</code> server tunnel of a veil router, and reached
through I2P tunnels of a private network running in one process.</p>
<p>Its address is its key: <code>{{.B32}}</code></p>
<p>You came from <code>{{.Visitor}}</code>: the server tunnel tells the web
server which destination is asking (X-I2P-DestB32), never which machine.
The server saw the agent <code>{{.Agent}}</code>: the HTTP proxy replaces yours.</p>
<p>Request {{.Hit}} since {{.Since}}.</p>
</body></html>
`))

// startEepsite loads or creates the site's keys and starts its web
// server on a loopback port.
func startEepsite(dir string) (*eepsite, error) {
	s := &eepsite{keysPath: filepath.Join(dir, siteDir, siteKeys), done: make(chan struct{}), started: time.Now()}
	if err := os.MkdirAll(filepath.Dir(s.keysPath), 0o700); err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	keys, _, err := keyfile.LoadOrCreate(s.keysPath, func() (*keyfile.PrivateKeys, error) {
		return keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	})
	if err != nil {
		return nil, fmt.Errorf("testnet: eepsite keys: %w", err)
	}
	s.b32, s.dest = keys.Identity.Hash().B32(), keys.Identity
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testnet: eepsite web server: %w", err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s, nil
}

func (s *eepsite) serve(w http.ResponseWriter, r *http.Request) {
	n := s.hits.Add(1)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	sitePage.Execute(w, struct {
		B32, Since, Agent, Visitor string
		Hit                        uint64
	}{s.b32, s.started.UTC().Format(time.RFC3339), r.UserAgent(), r.Header.Get("X-I2P-DestB32"), n})
}

// destination is the server tunnel that publishes the site.
func (s *eepsite) destination(pool router.PoolShape) router.DestinationConfig {
	return router.DestinationConfig{Name: siteName, KeysFile: s.keysPath, Pool: pool,
		TCPServer: &i2ptunnel.ServerConfig{Name: siteName, Type: i2ptunnel.TypeHTTP, Host: "127.0.0.1", Port: s.port}}
}

func (s *eepsite) close() {
	s.srv.Close()
	<-s.done
}
