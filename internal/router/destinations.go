package router

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"time"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/streaming"
	"github.com/veil-i2p/veil/internal/tunnel"
)

// Local destinations, one per tunnel of tunnels.conf for now: keys from
// the tunnel's keys file (created if missing, in i2pd's format), a tunnel
// pool shaped by its inbound./outbound. options, and a LeaseSet2 kept
// published. Their traffic comes with the garlic and client issues.

// DestinationConfig is one local destination.
type DestinationConfig struct {
	Name string
	// KeysFile is the private keys file (relative to the data folder);
	// "" means a transient destination, new at every start.
	KeysFile string
	Pool     PoolShape
	// LeaseSet: an encrypted LeaseSet to publish, our client key for
	// others' (tunnels.conf i2cp.leaseSet* options).
	LeaseSet client.LeaseSetOptions
	// EncTypes are the keys its LeaseSet2 lists (i2cp.leaseSetEncType);
	// nil: client.DefaultEncTypes.
	EncTypes []crypto.EncType
	// UDPClient or UDPServer, if set, is the section's udpclient or
	// udpserver tunnel on this destination (udptunnels.go).
	UDPClient *i2ptunnel.UDPClientConfig
	UDPServer *i2ptunnel.UDPServerConfig
	// Streaming are the destination's streaming options (nil: the
	// defaults); TCPClient or TCPServer, if set, is the section's client,
	// or server/http/irc, tunnel (streams.go).
	Streaming *streaming.Options
	TCPClient *i2ptunnel.ClientConfig
	TCPServer *i2ptunnel.ServerConfig
	// HTTPProxy, if set, is an HTTP proxy on this destination
	// (httpproxy.go).
	HTTPProxy *i2ptunnel.HTTPProxyConfig
	// SOCKSProxy, if set, is a SOCKS proxy on this destination
	// (socksproxy.go).
	SOCKSProxy *i2ptunnel.SOCKSConfig
}

// destinationEvery is how often destinations check their LeaseSet.
const destinationEvery = time.Second

// routerNet gives destinations the router's tunnels and netDb.
type routerNet struct{ r *Router }

func (n routerNet) Tunnels() *tunnel.Tunnels {
	n.r.mu.Lock()
	defer n.r.mu.Unlock()
	return n.r.tunnels
}

func (n routerNet) LookupLeaseSet(ctx context.Context, key data.Hash) (*netdb.LeaseSet, error) {
	n.r.mu.Lock()
	g := n.r.nd
	n.r.mu.Unlock()
	if g == nil {
		return nil, fmt.Errorf("router: no netDb yet")
	}
	return g.svc.LookupLeaseSet(ctx, key)
}

func (n routerNet) Store() *netdb.Store {
	n.r.mu.Lock()
	defer n.r.mu.Unlock()
	return n.r.netdb
}

// keysPath is where the keys file path is: under the data folder unless
// absolute; "" stays "".
func (r *Router) keysPath(path string) string {
	if path != "" && !filepath.IsAbs(path) {
		path = filepath.Join(r.cfg.DataDir, path)
	}
	return path
}

// LoadKeys loads a destination's private keys file in i2pd's format
// (relative paths are under the data folder), creating it with i2pd's
// default for tunnel keys when it does not exist: Ed25519, and the unused
// ElGamal field of a Destination.
func (r *Router) LoadKeys(path string) (*keyfile.PrivateKeys, error) {
	path = r.keysPath(path)
	k, created, err := keyfile.LoadOrCreate(path, func() (*keyfile.PrivateKeys, error) {
		return keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	})
	if err != nil {
		return nil, err
	}
	if created {
		r.log.Info("router: destination keys created", "file", path, "address", k.Identity.Hash().B32())
	}
	return k, nil
}

// newDestinations opens the configured destinations. Sections naming
// the same keys file share one destination, as in i2pd; the first
// section's pool and LeaseSet options shape it.
func (r *Router) newDestinations() ([]*namedDestination, error) {
	groups, err := r.groupSections(r.cfg.Destinations)
	if err != nil {
		return nil, err
	}
	var out []*namedDestination
	for _, g := range groups {
		var keys *keyfile.PrivateKeys
		if g.path != "" {
			if keys, err = r.LoadKeys(g.path); err != nil {
				return nil, fmt.Errorf("router: destination %s: %w", g.sections[0].Name, err)
			}
		}
		nd, err := r.openDestination(g.sections, keys)
		if err != nil {
			return nil, err
		}
		out = append(out, nd)
	}
	return out, nil
}

// newClient creates a local destination (keys nil: transient) with its
// tunnel pool shaped by p (zero: the client defaults).
func (r *Router) newClient(name string, keys *keyfile.PrivateKeys, p PoolShape, enc []crypto.EncType, ls client.LeaseSetOptions) (*client.Destination, error) {
	if p == (PoolShape{}) {
		l, q := tunnel.DefaultClientLength, tunnel.DefaultClientQuantity
		p = PoolShape{InboundLength: l, OutboundLength: l, InboundQuantity: q, OutboundQuantity: q}
	}
	return client.New(routerNet{r}, client.Config{
		Keys: keys, Log: r.log, Now: r.cfg.now, Encrypted: ls.Encrypted, ClientKey: ls.ClientKey, EncTypes: enc,
		Pool: tunnel.PoolConfig{Name: name, InboundLength: p.InboundLength, OutboundLength: p.OutboundLength,
			InboundQuantity: p.InboundQuantity, OutboundQuantity: p.OutboundQuantity},
	})
}

// namedDestination is a destination with its tunnels.conf name (its
// first section's) and the sections it serves.
type namedDestination struct {
	name string
	*client.Destination
	sections []DestinationConfig
}

// destinationHandler returns the function that takes the messages the
// inbound tunnels of destination d (name, for logs) deliver.
func (r *Router) destinationHandler(name string, d *client.Destination) func(i2np.Header, []byte) {
	return func(h i2np.Header, payload []byte) {
		if h.Type == i2np.TypeDeliveryStatus {
			d.HandleDeliveryStatus(payload) // ElGamal session tags confirmed
			return
		}
		if h.Type != i2np.TypeGarlic {
			r.log.Debug("router: non-garlic message to a destination dropped", "name", name, "type", i2np.TypeName(h.Type))
			return
		}
		if err := d.HandleGarlic(payload); err != nil {
			r.log.Debug("router: destination garlic", "name", name, "err", err)
		}
	}
}

// runDestinations keeps the destinations' LeaseSets published.
func (r *Router) runDestinations(ctx context.Context, ds []*namedDestination) {
	if len(ds) == 0 {
		return
	}
	t := time.NewTicker(destinationEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, d := range ds {
				d.Maintain()
			}
		}
	}
}

// Destination returns the local destination of the tunnels.conf section
// named name, or nil.
func (r *Router) Destination(name string) *client.Destination {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.dests {
		for _, s := range d.sections {
			if s.Name == name {
				return d.Destination
			}
		}
	}
	return nil
}
