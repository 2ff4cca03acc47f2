// Command veil is an I2P router. `veil [options]` runs the router;
// `veil status` shows the running router's state; `veil inspect FILE...`
// describes I2P structure files. The command is thin: options come from
// internal/config, the router from internal/router.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "inspect":
			return runInspect(args[1:], stdout, stderr)
		case "status":
			return runStatus(args[1:], stdout, stderr)
		case "reseed":
			return runReseed(args[1:], stdout, stderr)
		case "addressbook":
			return runAddressBook(args[1:], stdout, stderr)
		case "testnet":
			return runTestnet(args[1:], stdout, stderr)
		case "torrent":
			return runTorrent(args[1:], stdout, stderr)
		case "help", "-h", "--help", "-help":
			usage(stdout)
			return 0
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runRouter(ctx, args, stderr); err != nil {
		fmt.Fprintf(stderr, "veil: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError marks a mistake in the command line or configuration,
// which exits with status 2.
type usageError struct{ error }

// newLogger maps i2pd's log levels onto slog.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	switch level {
	case "debug":
		l = slog.LevelDebug
	case "", "info":
		l = slog.LevelInfo
	case "warn":
		l = slog.LevelWarn
	case "error", "critical":
		l = slog.LevelError
	case "none":
		return slog.New(slog.DiscardHandler), nil
	default:
		return nil, usageError{fmt.Errorf("loglevel %q: want debug, info, warn, error, critical or none", level)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
