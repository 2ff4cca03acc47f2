package router

import (
	"context"
	"fmt"
	"net"

	"github.com/veil-i2p/veil/internal/addressbook"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/streaming"
)

// HTTP proxies (i2pd's [httpproxy] and `type = httpproxy` sections) run
// as TCP tunnels of their own destination: runStreams starts them with
// the others, and status lists them among tcp_tunnels as type
// "httpproxy".

// startHTTPProxy opens the local port of the HTTP proxy of section sec,
// whose streams go out on m.
func (r *Router) startHTTPProxy(sec DestinationConfig, m *streaming.Manager) (tcpTunnel, func(context.Context), error) {
	p, err := i2ptunnel.NewHTTPProxy(*sec.HTTPProxy, m, r.destResolver(sec.Name), r.log)
	if err != nil {
		return tcpTunnel{}, nil, err
	}
	if book := r.AddressBook(); book != nil {
		p.SetNameBook(bookSaver{book})
	}
	return startService(sec.Name, "httpproxy", p)
}

// bookSaver saves the names an HTTP proxy's user confirms to the
// private book.
type bookSaver struct{ b *addressbook.AddressBook }

func (s bookSaver) SaveName(name string, d data.Destination, replace bool) error {
	return s.b.AddPrivate(name, d, replace)
}

// service is a proxy's local side: a port, then the loop serving it.
type service interface {
	Listen() (net.Listener, error)
	Serve(ctx context.Context, ln net.Listener) error
}

// startService opens a proxy's port and returns what serves it.
func startService(name, typ string, s service) (tcpTunnel, func(context.Context), error) {
	ln, err := s.Listen()
	if err != nil {
		return tcpTunnel{}, nil, err
	}
	return tcpTunnel{name: name, typ: typ, listen: ln.Addr().String()},
		func(ctx context.Context) { s.Serve(ctx, ln) }, nil
}

// destResolver resolves names for the tunnels of section name: b33
// addresses through its local destination (so its client key, if any,
// opens them, and its streams can then reach them), other names through
// the router's resolver (the addressbook).
func (r *Router) destResolver(name string) i2ptunnel.Resolver {
	return func(ctx context.Context, host string) (data.Hash, error) {
		d := r.Destination(name)
		if d == nil {
			return data.Hash{}, fmt.Errorf("router: no destination %s", name)
		}
		return r.resolve(ctx, host, d)
	}
}
