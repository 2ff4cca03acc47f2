package node

import (
	"log/slog"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/router"
)

// RouterConfig is the router's configuration for options o: the router
// options themselves, the local destinations and tunnels of tunnels.conf
// and tunnels.d (o.TunConf, o.TunnelsDir), and the [httpproxy] and
// [socksproxy] destinations when they are enabled. Errors name the option or the file and
// section at fault.
func RouterConfig(o *config.Options, logger *slog.Logger) (router.Config, error) {
	cfg := routerConfig(o, logger)
	tunnels, err := config.LoadTunnels(o)
	if err != nil {
		return router.Config{}, err
	}
	if cfg.Destinations, err = destinations(tunnels); err != nil {
		return router.Config{}, err
	}
	hp, err := httpProxy(o)
	if err != nil {
		return router.Config{}, err
	}
	if hp != nil {
		cfg.Destinations = append(cfg.Destinations, *hp)
	}
	sp, err := socksProxy(o)
	if err != nil {
		return router.Config{}, err
	}
	if sp != nil {
		cfg.Destinations = append(cfg.Destinations, *sp)
	}
	return cfg, nil
}
