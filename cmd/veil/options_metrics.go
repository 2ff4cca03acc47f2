package main

import (
	"context"
	"log/slog"
	"net"
	"strconv"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/console"
	"github.com/veil-i2p/veil/internal/router"
)

// moreServices opens the metrics endpoint and I2PControl when enabled;
// like the console, a port in use is logged and skipped.
func moreServices(opts *config.Options, view *router.ConsoleView, logger *slog.Logger) ([]service, error) {
	var out []service
	if m := opts.Metrics; m.Enabled {
		addr := net.JoinHostPort(m.Address, strconv.Itoa(m.Port))
		if ln, err := net.Listen("tcp", addr); err != nil {
			logger.Error("no metrics endpoint (metrics.address, metrics.port)", "address", addr, "err", err)
		} else {
			h := console.MetricsHandler(view, console.MetricsHosts(addr))
			logger.Info("metrics listening", "address", "http://"+ln.Addr().String()+"/metrics")
			out = append(out, service{"metrics", ln, func(ctx context.Context, ln net.Listener) error { return console.Serve(ctx, ln, h) }})
		}
	}
	return out, nil
}
