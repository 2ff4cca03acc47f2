package main

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/console"
	"github.com/veil-i2p/veil/internal/console/i2pcontrol"
	"github.com/veil-i2p/veil/internal/router"
)

// moreServices opens the metrics endpoint and I2PControl when enabled;
// like the console, a port in use is logged and skipped (a bad
// certificate is an error).
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
	if c := opts.I2PControl; c.Enabled {
		tc, err := i2pcontrol.LoadOrCreateTLS(inDataDir(opts, c.Cert), inDataDir(opts, c.Key))
		if err != nil {
			return out, err
		}
		srv := i2pcontrol.New(i2pcontrol.Config{Address: net.JoinHostPort(c.Address, strconv.Itoa(c.Port)), Password: c.Password,
			TLS: tc, Logger: logger.With("service", "i2pcontrol")}, view)
		if ln, err := srv.Listen(); err != nil {
			logger.Error("no I2PControl", "err", err)
		} else {
			out = append(out, service{"i2pcontrol", ln, srv.Serve})
		}
	}
	return out, nil
}

// inDataDir resolves a file option relative to the data folder, as i2pd
// does for i2pcontrol.cert and i2pcontrol.key.
func inDataDir(opts *config.Options, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(opts.DataDir, p)
}
