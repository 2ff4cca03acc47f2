package main

import (
	"log/slog"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/router"
)

// routerConfig picks what the router uses out of the options.
func routerConfig(o *config.Options, logger *slog.Logger) router.Config {
	port := o.Port
	if o.NTCP2.Port != 0 {
		port = o.NTCP2.Port
	}
	return router.Config{
		DataDir:        o.DataDir,
		NetID:          o.NetID,
		Host:           o.Host,
		Port:           port,
		Floodfill:      o.Floodfill,
		Bandwidth:      o.Bandwidth,
		NTCP2Enabled:   o.NTCP2.Enabled,
		NTCP2Published: o.NTCP2.Published,
		Logger:         logger,
	}
}
