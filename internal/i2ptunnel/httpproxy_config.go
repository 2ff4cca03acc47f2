package i2ptunnel

import (
	"fmt"

	"github.com/veil-i2p/veil/internal/config"
)

// HTTPProxyConfigOf reads a `type = httpproxy` section of tunnels.conf
// with i2pd 2.45's keys and defaults: port (required), address
// (127.0.0.1), outproxy (none), addresshelper (true). keys and the
// inbound./outbound./i2cp. options belong to the destination.
func HTTPProxyConfigOf(t *config.Tunnel) (HTTPProxyConfig, error) {
	if t.Type != config.TunnelHTTPProxy {
		return HTTPProxyConfig{}, fmt.Errorf("i2ptunnel: [%s] is a %s tunnel, not httpproxy", t.Name, t.Type)
	}
	port, err := t.Int("port", 0, 1, 65535)
	if err != nil {
		return HTTPProxyConfig{}, err
	}
	helper, err := t.Bool("addresshelper", true)
	if err != nil {
		return HTTPProxyConfig{}, err
	}
	cfg := HTTPProxyConfig{Name: t.Name, Address: t.String("address", "127.0.0.1"), Port: port,
		Outproxy: t.String("outproxy", ""), AddressHelper: helper}
	if _, err := parseOutproxy(cfg.Outproxy); err != nil {
		return HTTPProxyConfig{}, fmt.Errorf("i2ptunnel: [%s] %w", t.Name, err)
	}
	return cfg, nil
}
