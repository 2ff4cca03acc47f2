package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/node"
	"github.com/veil-i2p/veil/internal/router"
)

// reloadOnHangup re-reads tunnels.conf and tunnels.d on each SIGHUP
// until ctx ends, as i2pd does: new tunnels start, removed ones stop,
// changed ones restart, unchanged ones keep their streams. A file that
// does not load is reported and changes nothing.
func reloadOnHangup(ctx context.Context, r *router.Router, opts *config.Options, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		cfg, err := node.RouterConfig(opts, logger)
		if err != nil {
			logger.Error("tunnels not reloaded: nothing changed", "err", err)
			continue
		}
		if _, err := r.ReloadTunnels(cfg.Destinations); err != nil {
			logger.Error("tunnels not reloaded", "err", err)
		}
	}
}
