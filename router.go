package veil

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/node"
	"github.com/veil-i2p/veil/internal/router"
)

// Config configures an embedded router. The zero value runs a router on
// the live I2P network with the veil command's data folder (~/.veil).
type Config struct {
	// DataDir is the router's data folder: its identity, netDb, and
	// destination keys files. "" means the veil command's default
	// (~/.veil). Two routers cannot share a data folder.
	DataDir string
	// Options are router options, each "name=value", under the names of
	// the veil command and i2pd ("netid=99", "port=12345",
	// "floodfill=true", "bandwidth=P", "reservedrange=false", ...). They
	// override the data folder's i2pd.conf or veil.conf. A name veil does
	// not know, or a bad value, makes Start fail with an error naming it.
	Options []string
	// Logger receives the router's logs; nil discards them.
	Logger *slog.Logger
}

// Router is a running embedded router. Its methods are safe for
// concurrent use.
type Router struct {
	r      *router.Router
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned
	err    error         // Run's, once done is closed

	mu    sync.Mutex
	dests []*Destination
}

// Start starts a router with cfg and returns once it runs: its data
// folder is ready, its transports listen, and destinations can be
// opened. ctx bounds the start only; the router runs until Close.
func Start(ctx context.Context, cfg Config) (*Router, error) {
	o, err := node.EmbeddedOptions(cfg.DataDir, cfg.Options)
	if err != nil {
		return nil, fmt.Errorf("veil: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rc, err := node.RouterConfig(o, logger)
	if err != nil {
		return nil, fmt.Errorf("veil: %w", err)
	}
	ir, err := router.New(rc)
	if err != nil {
		return nil, fmt.Errorf("veil: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	r := &Router{r: ir, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = ir.Run(runCtx)
	}()
	select {
	case <-ir.Ready():
		return r, nil
	case <-r.done:
		cancel()
		if r.err == nil {
			r.err = errors.New("router stopped")
		}
		return nil, fmt.Errorf("veil: start: %w", r.err)
	case <-ctx.Done():
		r.Close()
		return nil, fmt.Errorf("veil: start: %w", ctx.Err())
	}
}

// Close closes the router's destinations and stops the router: its
// transport sessions are ended with a termination message, its files
// saved. It returns once everything the router started has stopped, with
// the error that stopped the router early, if one did. Close is
// idempotent.
func (r *Router) Close() error {
	r.mu.Lock()
	dests := slices.Clone(r.dests)
	r.mu.Unlock()
	for _, d := range dests {
		d.Close()
	}
	r.cancel()
	<-r.done
	return r.err
}

// RouterInfo is the router's signed RouterInfo, the content of its
// router.info file: what another router of a private network takes in
// AddPeer.
func (r *Router) RouterInfo() []byte {
	if ri := r.r.RouterInfo(); ri != nil {
		return ri.Bytes()
	}
	return nil
}

// AddPeer adds another router's RouterInfo (its RouterInfo method, or the
// bytes of its router.info file) to this router's netDb, as a reseed
// would, and the router connects to it. It is how the routers of a
// private network meet; the RouterInfo must be of the same network.
func (r *Router) AddPeer(routerInfo []byte) error {
	if err := r.r.AddRouterInfo(routerInfo); err != nil {
		return fmt.Errorf("veil: %w", err)
	}
	return nil
}

// Status is a snapshot of a router's state.
type Status struct {
	Hash         string        // the router's identity hash, I2P Base64
	NetID        int           // 2 is the live network
	Version      string        // the I2P API version the router publishes
	Uptime       time.Duration // since Start
	Reachability string        // "unknown", "ok", "firewalled", "symmetric-nat" or "unpublished"
	Peers        int           // routers connected now
	// Routers, Floodfills and LeaseSets count the netDb.
	Routers, Floodfills, LeaseSets int
	// InboundTunnels and OutboundTunnels are the router's own tunnels
	// (all pools), TransitTunnels those it carries for others.
	InboundTunnels, OutboundTunnels, TransitTunnels int
	Destinations                                    []DestinationStatus
}

// DestinationStatus is one of the router's destinations: those of
// NewDestination and those of tunnels.conf.
type DestinationStatus struct {
	Name    string // DestinationOptions.Name, or the tunnels.conf section
	Address string // ….b32.i2p
	B33     string // the b33 address, for a destination that publishes an encrypted LeaseSet
	// Leases is the number of leases of the LeaseSet published last (0:
	// none yet), Published when.
	Leases    int
	Published time.Time
}

// Status reports the router's state.
func (r *Router) Status() Status {
	in := r.r.Status()
	st := Status{
		Hash: in.Router.Hash, NetID: in.Router.NetID, Version: in.Router.Version,
		Uptime: time.Duration(in.Router.Uptime) * time.Second, Reachability: in.Router.Reachability,
		Peers: len(in.Transports), Routers: in.NetDB.Routers, Floodfills: in.NetDB.Floodfills, LeaseSets: in.NetDB.LeaseSets,
		InboundTunnels: len(in.Tunnels.Inbound), OutboundTunnels: len(in.Tunnels.Outbound), TransitTunnels: in.Tunnels.Transit,
		Destinations: []DestinationStatus{},
	}
	for _, d := range in.Destinations {
		ds := DestinationStatus{Name: d.Name, Address: d.Address, B33: d.B33, Leases: d.Leases}
		if d.Published != "" {
			ds.Published, _ = time.Parse(time.RFC3339, d.Published)
		}
		st.Destinations = append(st.Destinations, ds)
	}
	return st
}
