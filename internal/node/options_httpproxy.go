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
	wrap := func(err error) error { return fmt.Errorf("httpproxy: %w", err) }
	ls := map[string]string{client.OptLeaseSetType: strconv.Itoa(hp.LeaseSetType)}
	if hp.LeaseSetPrivKey != "" {
		ls[client.OptLeaseSetPrivKey] = hp.LeaseSetPrivKey
	}
	lso, err := client.ParseLeaseSetOptions(ls)
	if err != nil {
		return nil, wrap(err)
	}
	enc, err := client.ParseEncTypes(strings.Join(hp.LeaseSetEncType, ","))
	if err != nil {
		return nil, wrap(err)
	}
	cfg := i2ptunnel.HTTPProxyConfig{Name: httpProxyName, Address: hp.Address, Port: hp.Port,
		Outproxy: hp.OutProxy, AddressHelper: hp.AddressHelper}
	if _, err := i2ptunnel.NewHTTPProxy(cfg, nil, nil, nil); err != nil { // the outproxy URL
		return nil, err
	}
	p := hp.TunnelPool
	return &router.DestinationConfig{Name: httpProxyName, KeysFile: keysFile(hp.Keys), LeaseSet: lso, EncTypes: enc,
		Pool: router.PoolShape{InboundLength: p.InboundLength, OutboundLength: p.OutboundLength,
			InboundQuantity: p.InboundQuantity, OutboundQuantity: p.OutboundQuantity},
		HTTPProxy: &cfg}, nil
}
