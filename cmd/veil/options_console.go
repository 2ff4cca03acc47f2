package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/console"
	"github.com/veil-i2p/veil/internal/router"
)

// service is a local server beside the router: the console, the metrics
// endpoint, I2PControl. Its listener is opened before the router starts;
// a port in use is logged and the router runs without that service (as
// i2pd does), since running matters more than the console.
type service struct {
	name  string
	ln    net.Listener
	serve func(context.Context, net.Listener) error
}

// runWithServices runs r with the console and the other local services
// the options enable. They stop after the router has, so the page that
// asked for a shutdown is still answered.
func runWithServices(ctx context.Context, r *router.Router, opts *config.Options, logger *slog.Logger, logs *console.LogRing) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var restart atomic.Bool
	view := r.ConsoleView(router.ConsoleOptions{
		ConfFile:    confFile(opts),
		Settings:    console.Settings{Bandwidth: opts.Bandwidth, Share: opts.Share, NoTransit: opts.NoTransit, Floodfill: opts.Floodfill},
		Shutdown:    cancel,
		TunnelsFile: opts.TunConf,
		Logs:        logs,
		Restart:     func() { restart.Store(true); cancel() },
	})
	svcs, err := services(opts, view, logger)
	if err != nil {
		return err
	}
	svcCtx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { view.Run(svcCtx) })
	wg.Go(func() { reloadOnHangup(svcCtx, r, opts, logger) }) // reload.go
	for _, s := range svcs {
		wg.Go(func() {
			if err := s.serve(svcCtx, s.ln); err != nil {
				logger.Error(s.name+" stopped", "err", err)
			}
		})
	}
	err = r.Run(ctx)
	stop()
	wg.Wait()
	if err == nil && restart.Load() {
		logger.Warn("restarting")
		return errRestart
	}
	return err
}

// errRestart asks runRouter to start the router again, from the options
// read anew.
var errRestart = errors.New("restart")

// logLines is how many recent log lines the console's log page keeps.
const logLines = 1000

// services opens the listeners of the enabled services.
func services(opts *config.Options, view *router.ConsoleView, logger *slog.Logger) ([]service, error) {
	var out []service
	closeAll := func() {
		for _, s := range out {
			s.ln.Close()
		}
	}
	if opts.HTTP.Enabled {
		h := opts.HTTP
		srv, err := console.New(console.Config{
			Address: net.JoinHostPort(h.Address, strconv.Itoa(h.Port)),
			Auth:    h.Auth, User: h.User, Pass: h.Pass, StrictHeaders: h.StrictHeaders,
			Hostname: h.Hostname, WebRoot: h.WebRoot, Logger: logger.With("service", "console"),
		}, view)
		if err != nil {
			return nil, err
		}
		if ln, err := srv.Listen(); err != nil {
			logger.Error("no console", "err", err)
		} else {
			out = append(out, service{"console", ln, srv.Serve})
		}
	}
	more, err := moreServices(opts, view, logger)
	if err != nil {
		closeAll()
		return nil, err
	}
	return append(out, more...), nil
}

// confFile is the file the console saves settings to: the one read at
// start, else <datadir>/i2pd.conf (which the next start reads).
func confFile(opts *config.Options) string {
	if opts.Conf != "" {
		return opts.Conf
	}
	return filepath.Join(opts.DataDir, "i2pd.conf")
}
