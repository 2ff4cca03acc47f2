package node

import (
	"net"
	"strconv"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/router"
)

// socksProxyName names the [socksproxy] destination in logs and status.
const socksProxyName = "socksproxy"

// socksProxy is the destination of the [socksproxy] options, nil when
// socksproxy.enabled is false. As in i2pd it has its own destination
// and tunnel pool; with socksproxy.outproxy.enabled, hosts outside I2P
// go to the upstream SOCKS5 proxy socksproxy.outproxy:outproxyport.
func socksProxy(o *config.Options) (*router.DestinationConfig, error) {
	sp := &o.SOCKSProxy
	if !sp.Enabled {
		return nil, nil
	}
	cfg := i2ptunnel.SOCKSConfig{Name: socksProxyName, Address: sp.Address, Port: sp.Port,
		User: sp.User, Password: sp.Password}
	if sp.OutProxyEnabled {
		cfg.Outproxy = net.JoinHostPort(sp.OutProxy, strconv.Itoa(sp.OutProxyPort))
	}
	if _, err := i2ptunnel.NewSOCKSProxy(cfg, nil, nil, nil); err != nil {
		return nil, err
	}
	dc, err := proxyDestination(socksProxyName, &sp.ProxyDestination)
	if err != nil {
		return nil, err
	}
	dc.SOCKSProxy = &cfg
	return dc, nil
}
