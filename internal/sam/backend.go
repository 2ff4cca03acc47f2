package sam

import (
	"context"
	"errors"
	"net"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// What the bridge needs from the router, as small interfaces: the router
// (internal/router, a higher layer) implements them with its local
// destinations and streaming managers, the tests with fakes.

// Router opens destinations and resolves names.
type Router interface {
	// OpenSession starts a destination with its own tunnel pool and
	// returns once it can be used (its tunnels built), or fails.
	OpenSession(ctx context.Context, cfg SessionConfig) (Session, error)
	// Lookup finds the destination a name stands for: a host name, a
	// b32 or a b33 address. It returns ErrNotFound (RESULT=KEY_NOT_FOUND)
	// or ErrNoLeaseSet when the name is known but its LeaseSet is not
	// found, and the LeaseSet's options when withOptions.
	Lookup(ctx context.Context, name string, withOptions bool) (Found, error)
}

// Errors a Router's Lookup returns.
var (
	ErrNotFound   = errors.New("sam: name not found")
	ErrNoLeaseSet = errors.New("sam: LeaseSet not found")
)

// Found is a resolved name.
type Found struct {
	Destination data.Destination
	// Options are the LeaseSet2's options (service records and others),
	// in the LeaseSet's order.
	Options []Pair
}

// SessionConfig configures one destination.
type SessionConfig struct {
	Name string // the SAM session ID
	Keys *keyfile.PrivateKeys
	// Options are the I2CP, tunnel and streaming options of SESSION
	// CREATE (inbound.length, i2cp.leaseSetEncType, …), SAM's own keys
	// removed.
	Options map[string]string
}

// Session is one local destination.
type Session interface {
	// Dial opens a stream from port src to port dst of the destination to.
	Dial(ctx context.Context, to data.Hash, src, dst uint16) (net.Conn, error)
	// Listen accepts streams to port (0: to ports nobody else listens
	// on). Accepted connections have RemoteDestination() data.Destination.
	Listen(port uint16) (net.Listener, error)
	// Send sends a datagram: Proto 17 (repliable, signed), 18 or another
	// raw protocol, 19 (Datagram2) or 20 (Datagram3).
	Send(ctx context.Context, to data.Hash, d Datagram) error
	// Handle sets where received datagrams of protocol proto go (nil:
	// nowhere). h must not block.
	Handle(proto uint8, h func(Datagram))
	// Close ends the destination and everything on it.
	Close() error
}

// Datagram is a datagram sent or received. On receipt, From is the
// sender's destination for protocols 17 and 19 (verified), FromHash its
// hash (also for 20, where it is claimed, not verified).
type Datagram struct {
	Proto    uint8
	SrcPort  uint16
	DstPort  uint16
	Payload  []byte
	From     data.Destination
	FromHash data.Hash
}

// sessionResolver is what a Session may offer: resolving .i2p names
// (b33 addresses, host names) through its own destination, which then
// keeps what it needs to send to them. The router's sessions do.
type sessionResolver interface {
	Resolve(ctx context.Context, name string) (data.Hash, error)
}

// remoteDestination is what accepted connections offer.
type remoteDestination interface {
	RemoteDestination() data.Destination
}
