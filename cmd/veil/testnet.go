package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/veil-i2p/veil/internal/testnet"
)

// `veil testnet`: a private I2P network on this machine in one command
// (internal/testnet), for a first look at veil with no internet, and for
// experiments (--routers 50).

func testnetUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, `usage: veil testnet [options]

Runs a private I2P network of veil routers in this process, on 127.0.0.1
only (no internet, no root): a reseed server bootstraps the routers, the
last one hosts a demo eepsite, and router 0 gives you an HTTP proxy
(127.0.0.1:4444, or a free port when that one is taken). When the site
answers through the proxy, veil prints the curl command to try, then a
live summary. Ctrl-C stops everything and removes the temporary folder.

options:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runTestnet(args []string, stdout, stderr io.Writer) int {
	var cfg testnet.Config
	fs := flag.NewFlagSet("testnet", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&cfg.Routers, "routers", testnet.DefaultRouters, "number of veil routers (2–200)")
	fs.IntVar(&cfg.Floodfills, "floodfills", testnet.DefaultFloodfills, "how many of them are floodfills")
	fs.IntVar(&cfg.Hops, "hops", testnet.DefaultHops, "length of every tunnel")
	fs.IntVar(&cfg.NetID, "netid", testnet.DefaultNetID, "private network id (3–254)")
	fs.StringVar(&cfg.Dir, "datadir", "", "folder to keep the network in, reused next time (default: a temporary folder)")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the temporary folder on exit")
	fs.StringVar(&cfg.ProxyAddr, "httpproxy", testnet.DefaultProxyAddr, "HTTP proxy address of router 0 (- for none)")
	fs.StringVar(&cfg.SOCKSAddr, "socksproxy", testnet.DefaultSOCKSAddr, "SOCKS proxy address of router 0 (- for none)")
	fs.BoolVar(&cfg.NoSSU2, "ntcp2only", false, "run NTCP2 only (no SSU2)")
	fs.StringVar(&cfg.LogLevel, "loglevel", "warn", "level of the routers' log, written to <folder>/"+testnet.LogFile+" (none: no log)")
	summaryEvery := fs.Duration("summary", 5*time.Second, "how often the live summary is refreshed")
	fs.IntVar(&cfg.I2pd, "i2pd", 0, "i2pd routers to mix in, each with an HTTP proxy (needs root and i2pd; the network moves to 198.19.<netid>.0/24 in namespaces)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			testnetUsage(stdout, fs)
			return 0
		}
		fmt.Fprintf(stderr, "veil testnet: %v\n", err)
		testnetUsage(stderr, fs)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "veil testnet: unexpected argument %q (options start with --)\n", fs.Arg(0))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := testnetMain(ctx, cfg, *summaryEvery, stdout); err != nil {
		fmt.Fprintf(stderr, "veil testnet: %v\n", err)
		return 1
	}
	return 0
}

func testnetMain(ctx context.Context, cfg testnet.Config, summaryEvery time.Duration, out io.Writer) error {
	t0 := time.Now()
	n, err := testnet.Start(ctx, cfg)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			n.Close()
		}
	}()
	where := "on 127.0.0.1"
	if cfg.I2pd > 0 {
		where = fmt.Sprintf("and %d i2pd routers on %s", cfg.I2pd, n.Subnet())
	}
	fmt.Fprintf(out, "veil testnet: %d veil routers (%d floodfills) %s, private network %d, %d-hop tunnels\n",
		len(n.Routers()), min(cfg.Floodfills, len(n.Routers())), where, orInt(cfg.NetID, testnet.DefaultNetID), orInt(cfg.Hops, testnet.DefaultHops))
	fmt.Fprintf(out, "folder %s%s\n", n.Dir(), keptNote(n, cfg))
	tty := isTerminal(out)
	err = n.Wait(ctx, func(p testnet.Progress) {
		line := fmt.Sprintf("[%5.1fs] %-18s %d/%d", time.Since(t0).Seconds(), p.Stage, p.Done, p.Of)
		switch {
		case p.Complete && tty:
			fmt.Fprintf(out, "\r\033[K%s  done\n", line)
		case p.Complete:
			fmt.Fprintf(out, "%s  done\n", line)
		case tty:
			fmt.Fprintf(out, "\r\033[K%s", line)
		}
	})
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(out)
			return stopTestnet(n, &stopped, out)
		}
		return fmt.Errorf("%w (router logs: %s)", err, filepath.Join(n.Dir(), testnet.LogFile))
	}
	printTryIt(out, n, time.Since(t0))
	if !tty {
		summaryEvery *= 6 // a log, not a screen: fewer lines
	}
	t := time.NewTicker(summaryEvery)
	defer t.Stop()
	lines := 0
	for {
		lines = printSummary(out, n, tty, lines)
		select {
		case <-ctx.Done():
			return stopTestnet(n, &stopped, out)
		case <-t.C:
		}
	}
}

func printTryIt(out io.Writer, n *testnet.Network, took time.Duration) {
	fmt.Fprintf(out, "\nThe network is up (%.1fs). Fetch the eepsite through router 0's HTTP proxy:\n\n", took.Seconds())
	site := "http://" + n.Eepsite() + "/"
	if p := n.ProxyAddr(); p != "" {
		fmt.Fprintf(out, "  curl -x http://%s %s\n\n", p, site)
		fmt.Fprintf(out, "by its name in router 0's addressbook:  curl -x http://%s http://%s/\n", p, testnet.SiteName)
	} else {
		fmt.Fprintf(out, "  (no HTTP proxy: --httpproxy=-) eepsite %s\n", site)
	}
	if p := n.SOCKSAddr(); p != "" {
		fmt.Fprintf(out, "through router 0's SOCKS proxy:         curl --socks5-hostname %s http://%s/\n", p, testnet.SiteName)
	}
	for i, p := range n.I2pdProxies() {
		fmt.Fprintf(out, "through i2pd router %d's HTTP proxy:     curl -x http://%s %s\n", i, p, site)
	}
	if p := n.ProxyAddr(); p != "" {
		fmt.Fprintf(out, "or set a browser's HTTP proxy to %s and open %s\n", p, site)
	}
	fmt.Fprintf(out, "Router 0's state: veil status --datadir %s\n", n.RouterDir(0))
	fmt.Fprintf(out, "Ctrl-C stops the network.\n\n")
}

// printSummary prints the live summary; on a terminal it redraws the
// previous one (lines long) in place.
func printSummary(out io.Writer, n *testnet.Network, tty bool, lines int) int {
	s := n.Summary()
	success := "none yet"
	if s.BuildSuccess >= 0 {
		success = fmt.Sprintf("%.0f%%", 100*s.BuildSuccess)
	}
	text := []string{
		fmt.Sprintf("%s  routers %d/%d  sessions %d  netDb ≥%d peers  LeaseSets at floodfills %d",
			time.Now().Format("15:04:05"), s.Routers, len(n.Routers()), s.Sessions/2, s.KnownMin, s.LeaseSets),
		fmt.Sprintf("          tunnels %d own, %d transit  build success %s  relayed %d messages  eepsite requests %d",
			s.Tunnels, s.Transit, success, s.TransitMsgs, s.SiteHits),
	}
	if tty && lines > 0 {
		fmt.Fprintf(out, "\033[%dA", lines)
	}
	for _, l := range text {
		if tty {
			fmt.Fprint(out, "\r\033[K")
		}
		fmt.Fprintln(out, l)
	}
	return len(text)
}

func stopTestnet(n *testnet.Network, stopped *bool, out io.Writer) error {
	fmt.Fprintln(out, "stopping the network...")
	t := time.Now()
	err := n.Close()
	*stopped = true
	if n.Kept() {
		fmt.Fprintf(out, "stopped in %.1fs; the network stays in %s\n", time.Since(t).Seconds(), n.Dir())
	} else {
		fmt.Fprintf(out, "stopped in %.1fs; removed %s\n", time.Since(t).Seconds(), n.Dir())
	}
	return err
}

func keptNote(n *testnet.Network, cfg testnet.Config) string {
	switch {
	case cfg.Dir != "":
		return " (kept: run again with the same --datadir to reuse it)"
	case cfg.Keep:
		return " (kept on exit)"
	}
	return " (removed on exit; --keep keeps it)"
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && !strings.EqualFold(os.Getenv("TERM"), "dumb")
}
