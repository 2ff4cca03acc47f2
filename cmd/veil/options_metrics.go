package main

import (
	"log/slog"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/router"
)

// moreServices opens the metrics endpoint and I2PControl when enabled.
func moreServices(opts *config.Options, view *router.ConsoleView, logger *slog.Logger) ([]service, error) {
	return nil, nil
}
