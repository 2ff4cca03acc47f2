package bob

import (
	"context"
	"errors"
	"net"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Router opens destinations and resolves names.
type Router interface {
	// OpenSession starts a destination named name with keys and the
	// tunnel's I2CP options (inbound.length, …), ready to use.
	OpenSession(ctx context.Context, name string, keys *keyfile.PrivateKeys, options map[string]string) (Session, error)
	// Lookup finds the destination of a name (host name or b32).
	Lookup(ctx context.Context, name string) (data.Destination, error)
}

// ErrNotFound is what Lookup returns for a name nobody knows.
var ErrNotFound = errors.New("bob: not found")

// Session is one destination's streams.
type Session interface {
	Dial(ctx context.Context, to data.Hash, src, dst uint16) (net.Conn, error)
	Listen(port uint16) (net.Listener, error)
	Close() error
}
