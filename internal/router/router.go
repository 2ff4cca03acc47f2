package router

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/atomicfile"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/sam"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/tunnel"
)

// Router is one veil router.
type Router struct {
	cfg Config
	log *slog.Logger

	mu          sync.Mutex // guards the fields below
	keys        *keyfile.PrivateKeys
	ntcp2       *keyfile.StaticKeys // nil when NTCP2 is disabled
	ri          *data.RouterInfo
	started     time.Time             // when Run started its subsystems
	netdb       *netdb.Store          // set by Run
	mgr         *transport.Manager    // set by Run
	trs         []transport.Transport // set by Run
	transit     *tunnel.Transit       // set by Run
	tunnels     *tunnel.Tunnels       // set by Run
	exploratory *tunnel.Pool          // set by Run
	dests       []*namedDestination   // set by Run
	udpTunnels  []udpTunnel           // set by runUDPTunnels
	tcpTunnels  []tcpTunnel           // set by runStreams
	nd          *netdbGlue            // set by Run (netdb.go)
	samBridge   *sam.Server           // set by runSAM, for the console

	book     *addressBook // addressbook.go, set by New
	sessions sessionTable // sessions.go, its own lock
	handlers poolHandlers // local destinations by pool (sessions.go)
	units    unitTable    // running tunnels.conf destinations (reload.go)
}

// New checks cfg and returns a router that has not started yet.
func New(cfg Config) (*Router, error) {
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("router: no data folder")
	}
	if cfg.NetID < 0 || cfg.NetID > 255 {
		return nil, fmt.Errorf("router: netid %d out of range 0..255", cfg.NetID)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Router{cfg: cfg, log: cfg.Logger, sessions: newSessionTable()}
	if err := r.openAddressBook(); err != nil {
		return nil, err
	}
	return r, nil
}

func (c *Config) rand() io.Reader {
	if c.Rand != nil {
		return c.Rand
	}
	return rand.Reader
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Start prepares the data folder, loads or creates the identity and
// publishes router.info. Run calls it; tests and embedders may call it
// alone.
func (r *Router) Start() error {
	dir := r.cfg.DataDir
	if err := prepareDataDir(dir); err != nil {
		return err
	}
	keys, created, err := keyfile.LoadOrCreate(filepath.Join(dir, RouterKeysFile), func() (*keyfile.PrivateKeys, error) {
		return keyfile.GenerateRouter(r.cfg.rand())
	})
	if err != nil {
		return fmt.Errorf("router: identity: %w", err)
	}
	var ntcp2 *keyfile.StaticKeys
	if r.cfg.NTCP2Enabled {
		ntcp2, _, err = keyfile.LoadOrCreateStatic(filepath.Join(dir, NTCP2KeysFile), keyfile.NTCP2IVLen, r.cfg.rand())
		if err != nil {
			return fmt.Errorf("router: ntcp2 keys: %w", err)
		}
	}
	port := choosePort(&r.cfg, loadPreviousRouterInfo(dir))
	ri, err := buildRouterInfo(&r.cfg, keys, ntcp2, port)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, RouterInfoFile), ri.Bytes(), 0o644); err != nil {
		return fmt.Errorf("router: save router.info: %w", err)
	}
	r.mu.Lock()
	r.keys, r.ntcp2, r.ri = keys, ntcp2, ri
	r.mu.Unlock()
	r.log.Info("router identity", "hash", ri.Hash().String(), "created", created,
		"netid", r.cfg.NetID, "caps", ri.Caps(), "datadir", dir)
	return nil
}

// Hash is the router's identity hash; zero before Start.
func (r *Router) Hash() data.Hash {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ri == nil {
		return data.Hash{}
	}
	return r.ri.Hash()
}

// RouterInfo is the router's current signed RouterInfo; nil before Start.
func (r *Router) RouterInfo() *data.RouterInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ri
}

// prepareDataDir creates the data folder and i2pd's netDb layout: one
// folder r<c> per Base64 character a router hash can start with.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("router: data folder: %w", err)
	}
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~" {
		if err := os.MkdirAll(filepath.Join(dir, NetDBDir, "r"+string(c)), 0o700); err != nil {
			return fmt.Errorf("router: netDb folder: %w", err)
		}
	}
	return nil
}

// NetDBPath is where a RouterInfo with hash h is stored, as i2pd names it.
func NetDBPath(dir string, h data.Hash) string {
	return netdb.Path(filepath.Join(dir, NetDBDir), h)
}
