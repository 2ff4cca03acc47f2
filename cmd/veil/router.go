package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/console"
	"github.com/veil-i2p/veil/internal/node"
	"github.com/veil-i2p/veil/internal/router"
)

// version is veil's own release; the router publishes the I2P API level
// router.RouterVersion.
const version = "0.1.0-dev"

func usage(w io.Writer) {
	fmt.Fprintf(w, `veil %s, an I2P router (I2P API %s)

usage:
  veil testnet [--routers N] run a private I2P network on this machine (try this first)
  veil [options]            run the router until SIGINT or SIGTERM
  veil status [--json]      show the running router's state (--datadir/--conf find it)
  veil inspect FILE...      describe I2P structure files as JSON lines
  veil reseed serve         serve su3 reseed bundles of this router's netDb over HTTPS
  veil addressbook CMD      list, add, remove, import, export names; update subscriptions
  veil torrent CMD          BitTorrent over I2P (runs veil-torrent: create, seed, get, tracker)

Options take i2pd's names, as --name=value here or in an INI file
(--conf, else <datadir>/i2pd.conf or veil.conf). Options:

%s`, version, router.RouterVersion, config.Usage())
}

func runRouter(ctx context.Context, args []string, stderr io.Writer) error {
	logs := console.NewLogRing(logLines) // kept across restarts (options_console.go)
	for {
		err := runRouterOnce(ctx, args, stderr, logs)
		if !errors.Is(err, errRestart) || ctx.Err() != nil {
			return err
		}
	}
}

func runRouterOnce(ctx context.Context, args []string, stderr io.Writer, logs *console.LogRing) error {
	opts, err := config.Load(args, nil)
	switch {
	case errors.Is(err, config.ErrHelp):
		usage(os.Stdout)
		return nil
	case errors.Is(err, config.ErrVersion):
		fmt.Fprintf(os.Stdout, "veil %s (I2P API %s)\n", version, router.RouterVersion)
		return nil
	case err != nil:
		return usageError{err}
	}
	logOut := stderr
	if opts.Log == "file" {
		p := opts.LogFile
		if p == "" {
			p = filepath.Join(opts.DataDir, "veil.log")
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		logOut = f
	}
	logger, err := newLogger(logOut, opts.LogLevel)
	if err != nil {
		return err
	}
	logger = slog.New(logs.Handler(logger.Handler(), slog.LevelInfo))
	cfg, err := node.RouterConfig(opts, logger)
	if err != nil {
		return usageError{err}
	}
	r, err := router.New(cfg)
	if err != nil {
		return err
	}
	return runWithServices(ctx, r, opts, logger, logs)
}
