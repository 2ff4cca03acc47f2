package router

import (
	"context"
	"fmt"

	"github.com/veil-i2p/veil/internal/client"
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
	p, err := i2ptunnel.NewHTTPProxy(*sec.HTTPProxy, m, r.b33Resolver(sec.Name), r.log)
	if err != nil {
		return tcpTunnel{}, nil, err
	}
	ln, err := p.Listen()
	if err != nil {
		return tcpTunnel{}, nil, err
	}
	return tcpTunnel{name: sec.Name, typ: "httpproxy", listen: ln.Addr().String()},
		func(ctx context.Context) { p.Serve(ctx, ln) }, nil
}

// b33Resolver resolves encrypted-LeaseSet (b33) addresses through the
// local destination of section name (so its client key, if any, opens
// them, and its streams can then reach them). Other names need an
// addressbook, which veil does not have yet.
func (r *Router) b33Resolver(name string) i2ptunnel.Resolver {
	return func(ctx context.Context, host string) (data.Hash, error) {
		if !data.IsB33(host) {
			return data.Hash{}, fmt.Errorf("%w: %q", i2ptunnel.ErrUnknownName, host)
		}
		d := r.Destination(name)
		if d == nil {
			return data.Hash{}, fmt.Errorf("router: no destination %s", name)
		}
		return d.ResolveB33(ctx, host, client.B33Key{})
	}
}
