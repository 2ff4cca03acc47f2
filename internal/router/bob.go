package router

import (
	"context"
	"net"
	"strconv"

	"github.com/veil-i2p/veil/internal/bob"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// The BOB bridge (internal/bob) reaches the router through bob.Router:
// each running tunnel is an OpenSession destination, its options read as
// a SAM session's.

// BOBConfig is i2pd's [bob] section.
type BOBConfig struct {
	Address string // bob.address, 127.0.0.1
	Port    int    // bob.port, 2827
}

// runBOB runs the bridge of cfg.BOB until ctx ends; a port in use is
// logged and the router runs without it.
func (r *Router) runBOB(ctx context.Context) {
	if r.cfg.BOB == nil {
		return
	}
	srv, err := bob.Listen(bob.Config{Address: net.JoinHostPort(r.cfg.BOB.Address, strconv.Itoa(r.cfg.BOB.Port)),
		Router: bobRouter{r}, Log: r.log.With("service", "bob")})
	r.runBridge(ctx, "BOB", srv, err)
}

type bobRouter struct{ r *Router }

func (b bobRouter) OpenSession(ctx context.Context, name string, keys *keyfile.PrivateKeys, opts map[string]string) (bob.Session, error) {
	sc, err := optionsSessionConfig(name, keys, opts)
	if err != nil {
		return nil, err
	}
	s, err := b.r.openReady(ctx, sc)
	if err != nil {
		return nil, err
	}
	return &samSession{s: s}, nil
}

func (b bobRouter) Lookup(ctx context.Context, name string) (data.Destination, error) {
	f, err := samRouter(b).Lookup(ctx, name, false)
	if err != nil {
		return data.Destination{}, err
	}
	return f.Destination, nil
}
