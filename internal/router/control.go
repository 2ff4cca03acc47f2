package router

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/veil-i2p/veil/internal/console"
)

// The control endpoint: HTTP over a Unix socket, <datadir>/veil.sock,
// mode 0600 in a 0700 data folder, so only the router's user reaches it.
// GET /status answers the Status as JSON; GET /netdb/lookup looks a key
// up (netdb_control.go). A socket that answers means a router already
// runs on this data folder, and Run refuses to start; a stale one
// (nothing listening) is replaced.

// maxSocketPath is the longest path a Unix socket may have on Linux
// (sun_path is 108 bytes with the NUL).
const maxSocketPath = 107

// ControlPath is where the router for cfg listens, or "" for none.
func (c *Config) ControlPath() string {
	switch c.ControlSocket {
	case "-":
		return ""
	case "":
		return filepath.Join(c.DataDir, ControlFile)
	}
	return c.ControlSocket
}

// listenControl opens the control socket (nil if disabled).
func (r *Router) listenControl() (net.Listener, error) {
	path := r.cfg.ControlPath()
	if path == "" {
		return nil, nil
	}
	if len(path) > maxSocketPath {
		// Running matters more than veil status: say why it is missing.
		r.log.Warn("router: no control socket: path longer than a Unix socket allows (set a shorter datadir)", "path", path, "max", maxSocketPath)
		return nil, nil
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("router: %s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("router: a router is already running on %s (its control socket %s answers)", r.cfg.DataDir, path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("router: stale control socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("router: control socket: %w", err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("router: control socket: %w", err)
	}
	return ln, nil
}

// serveControl serves the control endpoint on ln until ctx ends.
func (r *Router) serveControl(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		<-ctx.Done()
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(r.Status())
	})
	r.netdbRoutes(mux)       // GET /netdb/lookup (netdb_control.go)
	r.addressBookRoutes(mux) // /addressbook/… (addressbook_control.go)
	// The console's server settings fit: its write timeout (15 s) is
	// above lookupWait.
	return console.Serve(ctx, ln, mux)
}
