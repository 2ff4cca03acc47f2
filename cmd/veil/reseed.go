package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/reseed"
	"github.com/veil-i2p/veil/internal/router"
)

const defaultReseedListen = "127.0.0.1:8443"

func reseedUsage(w io.Writer) {
	fmt.Fprintf(w, `usage: veil reseed serve [--listen ADDR] [--signer ID] [--datadir D | --conf F] [options]

Serves signed reseed bundles (GET /i2pseeds.su3) of the RouterInfos in
<datadir>/netDb over HTTPS, for the network of the netid option. On first
run it makes an RSA-4096 signing key and a TLS key in <datadir>/%s and
prints the signer certificate to install in each client's
certificates/reseed folder.

  --listen ADDR   address to listen on (default %s)
  --signer ID     signer ID, the certificate's CN (default %s on first run)
`, reseed.KeysDir, defaultReseedListen, reseed.DefaultSignerID)
}

// runReseed implements `veil reseed serve`.
func runReseed(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "serve" {
		reseedUsage(stderr)
		return 2
	}
	listen, signer, rest, err := reseedFlags(args[1:])
	if err != nil {
		fmt.Fprintf(stderr, "veil reseed serve: %v\n", err)
		return 2
	}
	opts, err := config.Load(rest, nil)
	switch {
	case errors.Is(err, config.ErrHelp):
		reseedUsage(stdout)
		return 0
	case errors.Is(err, config.ErrVersion):
		fmt.Fprintf(stdout, "veil %s (I2P API %s)\n", version, router.RouterVersion)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "veil reseed serve: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveReseed(ctx, opts, listen, signer, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "veil reseed serve: %v\n", err)
		return 1
	}
	return 0
}

// reseedFlags takes --listen and --signer (as --x=v or --x v) out of args.
func reseedFlags(args []string) (listen, signer string, rest []string, err error) {
	listen = defaultReseedListen
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "listen" && name != "signer") {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return "", "", nil, fmt.Errorf("--%s needs a value", name)
			}
			i++
			val = args[i]
		}
		if name == "listen" {
			listen = val
		} else {
			signer = val
		}
	}
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return "", "", nil, fmt.Errorf("--listen %q: %v", listen, err)
	}
	return listen, signer, rest, nil
}

func serveReseed(ctx context.Context, opts *config.Options, listen, signer string, stdout, stderr io.Writer) error {
	logger, err := newLogger(stderr, opts.LogLevel)
	if err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(listen)
	keys, created, err := reseed.LoadOrCreateKeys(filepath.Join(opts.DataDir, reseed.KeysDir), signer, []string{host}, time.Now(), rand.Reader)
	if err != nil {
		return err
	}
	srv, err := reseed.NewServer(reseed.ServerConfig{
		NetDBDir: filepath.Join(opts.DataDir, router.NetDBDir),
		NetID:    opts.NetID,
		Signer:   keys.Signer,
		SignerID: keys.SignerID,
		Logger:   logger,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("reseed: %w", err)
	}
	hs := &http.Server{
		Handler:           srv,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{keys.TLS}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    8 << 10,
	}
	state := "loaded"
	if created {
		state = "created"
	}
	fmt.Fprintf(stdout, "signer %s (%s): certificate %s\n", keys.SignerID, state, keys.SignerCertPath)
	fmt.Fprintf(stdout, "install it on clients as certificates/reseed/%s and set reseed.verify=true\n", reseed.CertFileName(keys.SignerID))
	fmt.Fprintf(stdout, "TLS certificate %s\n", keys.TLSCertPath)
	fmt.Fprintf(stdout, "serving https://%s/%s (netid %d) from %s\n", ln.Addr(), reseed.BundleName, opts.NetID, filepath.Join(opts.DataDir, router.NetDBDir))

	done := make(chan error, 1)
	go func() { done <- hs.ServeTLS(ln, "", "") }()
	select {
	case err := <-done:
		return fmt.Errorf("reseed: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(shut)
	<-done
	st := srv.Stats()
	logger.Info("reseed server stopped", "served", st.Served, "limited", st.Limited, "refused", st.Refused, "failed", st.Failed)
	return nil
}
