package testnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/router"
)

// Defaults of a Config's zero fields.
const (
	DefaultRouters    = 6
	DefaultFloodfills = 2
	DefaultNetID      = 77
	DefaultHops       = 2
	DefaultProxyAddr  = "127.0.0.1:4444" // i2pd's HTTP proxy
	DefaultSOCKSAddr  = "127.0.0.1:4447" // i2pd's SOCKS proxy
	// SiteName is the eepsite's name in router 0's addressbook.
	SiteName   = "testnet.i2p"
	MaxRouters = 200
)

// Config shapes a test network. The zero value is the demo network of
// `veil testnet`.
type Config struct {
	// Dir holds the network: routers/r<i>, reseed/, certificates/,
	// site/. "" means a new temporary folder, removed by Close unless
	// Keep. A given Dir is reused (same identities, same eepsite
	// address) and never removed.
	Dir  string
	Keep bool
	// Routers (default 6) and Floodfills (default 2, the first ones).
	Routers    int
	Floodfills int
	// NetID is the private network id (default 77; 2, the live network,
	// is refused).
	NetID int
	// Hops is the length of every tunnel (exploratory and client;
	// default 2, at most Routers-1).
	Hops int
	// ProxyAddr is where router 0's HTTP proxy listens (default
	// 127.0.0.1:4444; when that port is taken, a free one); "-" runs no
	// proxy.
	ProxyAddr string
	// SOCKSAddr is router 0's SOCKS proxy, likewise (default
	// 127.0.0.1:4447; "-" none).
	SOCKSAddr string
	// NoSSU2 runs NTCP2 only.
	NoSSU2 bool
	// I2pd mixes in this many i2pd routers (the first a floodfill), each
	// with an HTTP proxy; root and i2pd are needed (i2pd.go).
	I2pd int
	// Spares reserves addresses for veil routers that join later
	// (JoinVeil) in a mixed network.
	Spares int
	// Logger receives the routers' logs (each with router=i). Nil:
	// with LogLevel set (debug, info, warn, error), they go to
	// <Dir>/testnet.log; else nowhere.
	Logger   *slog.Logger
	LogLevel string
}

// LogFile is the routers' log in the network's folder (Config.LogLevel).
const LogFile = "testnet.log"

func (c *Config) defaults() error {
	if c.Routers == 0 {
		c.Routers = DefaultRouters
	}
	if c.Routers < 2 || c.Routers > MaxRouters {
		return fmt.Errorf("testnet: --routers %d: want 2 to %d", c.Routers, MaxRouters)
	}
	if c.Floodfills == 0 {
		c.Floodfills = min(DefaultFloodfills, c.Routers)
	}
	if c.Floodfills < 1 || c.Floodfills > c.Routers {
		return fmt.Errorf("testnet: --floodfills %d: want 1 to %d (the number of routers)", c.Floodfills, c.Routers)
	}
	if c.NetID == 0 {
		c.NetID = DefaultNetID
	}
	if c.NetID == router.MainNetID || c.NetID < 3 || c.NetID > 254 {
		return fmt.Errorf("testnet: --netid %d: want a private network id, 3 to 254 (2 is the live I2P network)", c.NetID)
	}
	if c.Hops == 0 {
		c.Hops = min(DefaultHops, c.Routers-1)
	}
	if c.Hops < 1 || c.Hops > 7 || c.Hops > c.Routers-1 {
		return fmt.Errorf("testnet: --hops %d: want 1 to %d (7 at most, and fewer than the routers)", c.Hops, min(7, c.Routers-1))
	}
	if c.ProxyAddr == "" {
		c.ProxyAddr = DefaultProxyAddr
	}
	if c.SOCKSAddr == "" {
		c.SOCKSAddr = DefaultSOCKSAddr
	}
	switch c.LogLevel {
	case "", "none", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("testnet: --loglevel %q: want debug, info, warn, error or none", c.LogLevel)
	}
	return nil
}

// Network is a running test network.
type Network struct {
	cfg     Config
	dir     string
	temp    bool // dir was made by Start and goes with Close unless Keep
	routers []*router.Router
	dirs    []string
	reseed  *reseedServer
	site    *eepsite
	// ProxyAddr is router 0's HTTP proxy (host:port), "" without one.
	proxyAddr string
	socksAddr string       // router 0's SOCKS proxy, "" without one
	logFile   *os.File     // Config.LogLevel's file, closed by Close
	i2pd      *mixed       // nil without Config.I2pd
	veilJoins atomic.Int32 // routers JoinVeil started
	i2pdJoins atomic.Int32 // and JoinI2pd

	cancel context.CancelFunc
	wg     sync.WaitGroup
	errMu  sync.Mutex
	errs   []error

	closeOnce sync.Once
	closeErr  error
}

// Start creates the network's folders and identities, starts the reseed
// server, the eepsite's web server and every router, and returns while
// they bootstrap: Wait follows them. On error everything started is
// stopped again.
func Start(ctx context.Context, cfg Config) (_ *Network, err error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	n := &Network{cfg: cfg, dir: cfg.Dir}
	if n.dir == "" {
		if n.dir, err = os.MkdirTemp("", "veil-testnet-"); err != nil {
			return nil, fmt.Errorf("testnet: %w", err)
		}
		n.temp = true
	} else if err := os.MkdirAll(n.dir, 0o700); err != nil {
		return nil, fmt.Errorf("testnet: --datadir: %w", err)
	}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if err := n.openLog(); err != nil {
		return nil, err
	}
	if cfg.I2pd > 0 {
		if err := i2pdAvailable(); err != nil {
			return nil, err
		}
		if n.i2pd, err = newMixed(n.dir, cfg.NetID, cfg.Routers+cfg.Spares, n.cfg.Logger); err != nil {
			return nil, err
		}
	}
	if n.site, err = startEepsite(n.dir); err != nil {
		return nil, err
	}
	if n.reseed, err = startReseed(n.dir, cfg.NetID, n.cfg.Logger); err != nil {
		return nil, err
	}
	if err := n.newRouters(); err != nil {
		return nil, err
	}
	if err := n.reseed.publish(n.dirs); err != nil {
		return nil, err
	}
	if err := n.startI2pd(); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel
	for i, r := range n.routers {
		n.wg.Go(func() {
			if err := r.Run(runCtx); err != nil {
				n.errMu.Lock()
				n.errs = append(n.errs, fmt.Errorf("router %d: %w", i, err))
				n.errMu.Unlock()
			}
		})
	}
	return n, nil
}

// newRouters creates every router's folder and identity.
func (n *Network) newRouters() error {
	cfg := n.cfg
	proxyAddr, err := listenAddr("--httpproxy", cfg.ProxyAddr)
	if err != nil {
		return err
	}
	socksAddr, err := listenAddr("--socksproxy", cfg.SOCKSAddr)
	if err != nil {
		return err
	}
	ports := make(map[int]bool)
	for i := range cfg.Routers {
		dir := filepath.Join(n.dir, "routers", "r"+strconv.Itoa(i))
		port, err := freePort(ports)
		if err != nil {
			return err
		}
		host := "127.0.0.1"
		if n.i2pd != nil {
			host = n.i2pd.hosts[i]
		}
		rc := router.Config{
			DataDir: dir, NetID: cfg.NetID, Host: host, Port: port, Address4: host,
			Floodfill: i < cfg.Floodfills, NTCP2Enabled: true, NTCP2Published: true,
			SSU2:          router.SSU2Config{Enabled: !cfg.NoSSU2, Published: !cfg.NoSSU2},
			AllowReserved: true,
			MaxPerIP:      -1, // every peer is on 127.0.0.1
			Exploratory:   shape(cfg.Hops, 2),
			Reseed: router.ReseedConfig{Threshold: max(25, cfg.Routers+1), Verify: true,
				URLs: []string{n.reseed.url}, CertsDir: filepath.Join(n.dir, certsDir)},
			Logger: cfg.Logger.With("router", i),
		}
		if i == 0 && proxyAddr != "" {
			host, p, _ := net.SplitHostPort(proxyAddr)
			pp, _ := strconv.Atoi(p)
			rc.Destinations = append(rc.Destinations, router.DestinationConfig{Name: "httpproxy", Pool: shape(cfg.Hops, 2),
				HTTPProxy: &i2ptunnel.HTTPProxyConfig{Name: "httpproxy", Address: host, Port: pp, AddressHelper: true}})
			n.proxyAddr = proxyAddr
		}
		if i == 0 && socksAddr != "" {
			host, p, _ := net.SplitHostPort(socksAddr)
			pp, _ := strconv.Atoi(p)
			rc.Destinations = append(rc.Destinations, router.DestinationConfig{Name: "socksproxy", Pool: shape(cfg.Hops, 2),
				SOCKSProxy: &i2ptunnel.SOCKSConfig{Name: "socksproxy", Address: host, Port: pp}})
			n.socksAddr = socksAddr
		}
		if i == 0 {
			rc.AddressBook = &router.AddressBookConfig{} // no subscriptions: the site is named below
		}
		if i == cfg.Routers-1 {
			rc.Destinations = append(rc.Destinations, n.site.destination(shape(cfg.Hops, 2)))
		}
		r, err := router.New(rc)
		if err != nil {
			return err
		}
		if err := r.Start(); err != nil {
			return fmt.Errorf("testnet: router %d (%s): %w", i, dir, err)
		}
		if ab := r.AddressBook(); ab != nil {
			if err := ab.AddPrivate(SiteName, n.site.dest, true); err != nil {
				return fmt.Errorf("testnet: router %d: name %s: %w", i, SiteName, err)
			}
		}
		n.routers = append(n.routers, r)
		n.dirs = append(n.dirs, dir)
	}
	return nil
}

// openLog sets the routers' logger from the Config.
func (n *Network) openLog() error {
	if n.cfg.Logger != nil {
		return nil
	}
	var level slog.Level
	switch n.cfg.LogLevel {
	case "", "none":
		n.cfg.Logger = slog.New(slog.DiscardHandler)
		return nil
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	f, err := os.OpenFile(filepath.Join(n.dir, LogFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("testnet: log: %w", err)
	}
	n.logFile = f
	n.cfg.Logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: level}))
	return nil
}

// startI2pd starts the i2pd routers of a mixed network, seeded with the
// veil routers, and adds their RouterInfos to what the reseed server
// serves the veil routers.
func (n *Network) startI2pd() error {
	if n.i2pd == nil {
		return nil
	}
	var ris [][]byte
	for _, d := range n.dirs {
		b, err := os.ReadFile(filepath.Join(d, router.RouterInfoFile))
		if err != nil {
			return fmt.Errorf("testnet: %w", err)
		}
		ris = append(ris, b)
	}
	if err := n.i2pd.startI2pd(n.cfg.I2pd, n.cfg.NetID, true, ris); err != nil {
		return err
	}
	theirs, err := n.i2pd.routerInfos()
	if err != nil {
		return err
	}
	return n.reseed.publishRouterInfos(theirs)
}

// Subnet is where a mixed network lives ("198.19.N.0/24"), "" otherwise.
func (n *Network) Subnet() string {
	if n.i2pd == nil {
		return ""
	}
	return n.i2pd.subnet + ".0/24"
}

// I2pdProxies are the HTTP proxies of the i2pd routers (host:port).
func (n *Network) I2pdProxies() []string {
	if n.i2pd == nil {
		return nil
	}
	return n.i2pd.proxies
}

// listenAddr is where a proxy of router 0 will listen: addr, or a free
// port on its host when that one is taken; "" for "-" (none).
func listenAddr(option, addr string) (string, error) {
	if addr == "-" {
		return "", nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("testnet: %s %q: %w", option, addr, err)
	}
	if l, err := net.Listen("tcp", addr); err == nil {
		defer l.Close()
		return l.Addr().String(), nil // port 0: the port chosen
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("testnet: %s on %s: %w", option, host, err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// shape is a pool of hops-long tunnels, q of each direction.
func shape(hops, q int) router.PoolShape {
	return router.PoolShape{InboundLength: hops, OutboundLength: hops, InboundQuantity: q, OutboundQuantity: q}
}

// freePort returns a port on 127.0.0.1 free for TCP and UDP a moment ago,
// below the kernel's ephemeral range (where an outgoing connection could
// take it before the router binds it), not in taken.
func freePort(taken map[int]bool) (int, error) {
	for range 500 {
		p := 20000 + rand.IntN(12000)
		if taken[p] {
			continue
		}
		addr := "127.0.0.1:" + strconv.Itoa(p)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err != nil {
			continue
		}
		u.Close()
		taken[p] = true
		return p, nil
	}
	return 0, errors.New("testnet: no free port in 127.0.0.1:20000–31999")
}

// Dir is the network's folder.
func (n *Network) Dir() string { return n.dir }

// Routers are the network's routers, router 0 first (the user's).
func (n *Network) Routers() []*router.Router { return n.routers }

// RouterDir is router i's data folder (for `veil status --datadir`).
func (n *Network) RouterDir(i int) string { return n.dirs[i] }

// ProxyAddr is router 0's HTTP proxy, "" when it runs none.
func (n *Network) ProxyAddr() string { return n.proxyAddr }

// SOCKSAddr is router 0's SOCKS proxy, "" when it runs none.
func (n *Network) SOCKSAddr() string { return n.socksAddr }

// Eepsite is the demo site's host name (….b32.i2p).
func (n *Network) Eepsite() string { return n.site.b32 }

// SiteHits is how many requests the eepsite's web server answered.
func (n *Network) SiteHits() uint64 { return n.site.hits.Load() }

// Err returns the routers' errors so far (a router that stopped early).
func (n *Network) Err() error {
	n.errMu.Lock()
	defer n.errMu.Unlock()
	return errors.Join(n.errs...)
}

// Close stops the routers and servers, waits for them, and removes a
// temporary folder unless Keep. It may be called more than once.
func (n *Network) Close() error {
	n.closeOnce.Do(func() {
		if n.cancel != nil {
			n.cancel()
		}
		n.wg.Wait()
		var errs []error
		if n.i2pd != nil {
			errs = append(errs, n.i2pd.close())
		}
		if n.reseed != nil {
			n.reseed.close()
		}
		if n.site != nil {
			n.site.close()
		}
		if n.logFile != nil {
			n.logFile.Close()
		}
		n.closeErr = errors.Join(append(errs, n.Err())...)
		if n.temp && !n.cfg.Keep {
			if err := os.RemoveAll(n.dir); err != nil {
				n.closeErr = errors.Join(n.closeErr, fmt.Errorf("testnet: %w", err))
			}
		}
	})
	return n.closeErr
}

// Kept reports whether Close leaves the folder behind.
func (n *Network) Kept() bool { return !n.temp || n.cfg.Keep }

// maxWait bounds how long Wait waits for any one stage.
const maxWait = 5 * time.Minute
