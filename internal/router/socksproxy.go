package router

import (
	"context"

	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/streaming"
)

// SOCKS proxies (i2pd's [socksproxy] and `type = socks` sections) run,
// as HTTP proxies do, as TCP tunnels of their own destination; status
// lists them among tcp_tunnels as type "socks".

// startSOCKSProxy opens the local port of the SOCKS proxy of section
// sec, whose streams go out on m.
func (r *Router) startSOCKSProxy(sec DestinationConfig, m *streaming.Manager) (tcpTunnel, func(context.Context), error) {
	p, err := i2ptunnel.NewSOCKSProxy(*sec.SOCKSProxy, m, r.destResolver(sec.Name), r.log)
	if err != nil {
		return tcpTunnel{}, nil, err
	}
	return startService(sec.Name, "socks", p)
}
