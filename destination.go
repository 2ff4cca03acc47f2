package veil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/node"
	"github.com/veil-i2p/veil/internal/router"
)

// DestinationOptions configure a destination.
type DestinationOptions struct {
	// Name names the destination in Status and `veil status`; "" means
	// its .b32.i2p address.
	Name string
	// KeysFile is the destination's private keys file, in i2pd's format
	// (so an i2pd tunnel's keys file keeps its address), relative to the
	// data folder unless absolute. It is created if it does not exist.
	// "" makes a transient destination: new keys, a new address, at every
	// start.
	KeysFile string
	// Options are the destination's options, each "name=value", under
	// the names of tunnels.conf and I2CP:
	//
	//   inbound.length, outbound.length      hops per tunnel (0–7, default 3)
	//   inbound.quantity, outbound.quantity  tunnels (1–16, default 5)
	//   i2cp.leaseSetEncType                 its LeaseSet's keys, e.g. "4" (X25519) or "6,4"
	//   i2cp.leaseSetType=5 and i2cp.leaseSet*  an encrypted LeaseSet (a b33 address)
	//   i2p.streaming.*                      the streaming library's options
	Options []string
}

// Destination is a local I2P destination: an address with its own keys,
// tunnels and LeaseSet. Its methods are safe for concurrent use.
type Destination struct {
	r *Router
	s *router.Session

	mu      sync.Mutex
	closed  bool
	packets *packetMux // packet.go; nil until ListenPacket
}

// NewDestination opens a destination and returns once its tunnels are
// built and its LeaseSet is published, so that others can reach it
// (bounded by ctx: on a new router this takes from seconds to a minute or
// two).
func (r *Router) NewDestination(ctx context.Context, opts DestinationOptions) (*Destination, error) {
	sc, err := node.SessionConfig(opts.Name, opts.Options)
	if err != nil {
		return nil, fmt.Errorf("veil: %w", err)
	}
	if opts.KeysFile != "" {
		if sc.Keys, err = r.r.LoadKeys(opts.KeysFile); err != nil {
			return nil, fmt.Errorf("veil: destination keys: %w", err)
		}
	}
	s, err := r.r.OpenSession(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("veil: %w", err)
	}
	d := &Destination{r: r, s: s}
	if err := d.waitPublished(ctx); err != nil {
		s.Close()
		return nil, err
	}
	r.mu.Lock()
	r.dests = append(r.dests, d)
	r.mu.Unlock()
	return d, nil
}

// publishPoll is how often NewDestination checks for its LeaseSet.
const publishPoll = 100 * time.Millisecond

// waitPublished waits until the destination's LeaseSet went to a
// floodfill.
func (d *Destination) waitPublished(ctx context.Context) error {
	t := time.NewTicker(publishPoll)
	defer t.Stop()
	for {
		cd := d.s.Destination()
		if cd.LeaseSet() != nil && cd.Stores() > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("veil: destination %s: waiting for its LeaseSet to be published: %w", d.s.Name(), ctx.Err())
		case <-t.C:
		}
	}
}

// Addr is the destination's own address (port 0), with both its forms.
func (d *Destination) Addr() Addr {
	cd := d.s.Destination()
	return Addr{hash: cd.Hash(), dest: cd.Keys().Identity.Bytes()}
}

// Listen accepts streams to any port of the destination that has no
// listener of its own (ListenPort). Its connections are I2P streams; their
// RemoteAddr names the peer's destination and port.
func (d *Destination) Listen() (net.Listener, error) { return d.ListenPort(0) }

// ListenPort accepts streams to one port of the destination (I2P streams
// carry 16-bit ports, as TCP does; many applications ignore them).
func (d *Destination) ListenPort(port uint16) (net.Listener, error) {
	l, err := d.s.Streams().Listen(port)
	if err != nil {
		return nil, fmt.Errorf("veil: listen: %w", err)
	}
	return l, nil
}

// Dial is DialContext without a context.
func (d *Destination) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialContext opens a stream to address, "host:port" (":port" may be
// left out: port 0), where host is a ….b32.i2p address, a b33 address, a
// full Base64 destination, or a name of the router's address book. network is "i2p", or "tcp" (also "tcp4",
// "tcp6") for callers such as net/http that name TCP; the stream is an
// I2P stream in every case. The first stream to a destination waits for
// its LeaseSet to be looked up.
func (d *Destination) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "i2p", "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("veil: dial %s: network %q: want \"i2p\" or \"tcp\"", address, network)
	}
	host, port, err := splitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("veil: dial %s: %w", address, err)
	}
	h, err := d.s.Resolve(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("veil: dial %s: %w", address, err)
	}
	c, err := d.s.Streams().Dial(ctx, h, port)
	if err != nil {
		return nil, fmt.Errorf("veil: dial %s: %w", address, err)
	}
	return c, nil
}

// splitHostPort splits "host[:port]".
func splitHostPort(address string) (string, uint16, error) {
	host, ps, err := net.SplitHostPort(address)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) && ae.Err == "missing port in address" {
			return address, 0, nil
		}
		return "", 0, err
	}
	port, err := strconv.ParseUint(ps, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: want 0–65535", ps)
	}
	return host, uint16(port), nil
}

// Close closes the destination: its listeners, streams (reset) and packet
// connections, its tunnels. Its address can be used again later with the
// same keys file. Close is idempotent.
func (d *Destination) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	pm := d.packets
	d.mu.Unlock()
	if pm != nil {
		pm.closeAll()
	}
	err := d.s.Close()
	d.r.mu.Lock()
	d.r.dests = slices.DeleteFunc(d.r.dests, func(x *Destination) bool { return x == d })
	d.r.mu.Unlock()
	return err
}
