package node

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/router"
)

// httpProxyName names the [httpproxy] destination in logs and status.
const httpProxyName = "httpproxy"

// httpProxy is the destination of the [httpproxy] options, nil when
// httpproxy.enabled is false. As in i2pd it has its own destination
// (transient unless httpproxy.keys names a file) and tunnel pool.
func httpProxy(o *config.Options) (*router.DestinationConfig, error) {
	hp := &o.HTTPProxy
	if !hp.Enabled {
		return nil, nil
	}
	cfg := i2ptunnel.HTTPProxyConfig{Name: httpProxyName, Address: hp.Address, Port: hp.Port,
		Outproxy: hp.OutProxy, AddressHelper: hp.AddressHelper}
	if _, err := i2ptunnel.NewHTTPProxy(cfg, nil, nil, nil); err != nil { // the outproxy URL
		return nil, err
	}
	dc, err := proxyDestination(httpProxyName, &hp.ProxyDestination)
	if err != nil {
		return nil, err
	}
	dc.HTTPProxy = &cfg
	return dc, nil
}

// proxyDestination is the destination of a proxy section ([httpproxy],
// [socksproxy]): keys, LeaseSet options and tunnel pool.
func proxyDestination(name string, pd *config.ProxyDestination) (*router.DestinationConfig, error) {
	wrap := func(err error) error { return fmt.Errorf("%s: %w", name, err) }
	ls := map[string]string{client.OptLeaseSetType: strconv.Itoa(pd.LeaseSetType)}
	if pd.LeaseSetPrivKey != "" {
		ls[client.OptLeaseSetPrivKey] = pd.LeaseSetPrivKey
	}
	lso, err := client.ParseLeaseSetOptions(ls)
	if err != nil {
		return nil, wrap(err)
	}
	enc, err := client.ParseEncTypes(strings.Join(pd.LeaseSetEncType, ","))
	if err != nil {
		return nil, wrap(err)
	}
	p := pd.TunnelPool
	return &router.DestinationConfig{Name: name, KeysFile: keysFile(pd.Keys), LeaseSet: lso, EncTypes: enc,
		Pool: router.PoolShape{InboundLength: p.InboundLength, OutboundLength: p.OutboundLength,
			InboundQuantity: p.InboundQuantity, OutboundQuantity: p.OutboundQuantity}}, nil
}
