// Command veil-torrent is BitTorrent over I2P with an embedded veil
// router (package github.com/veil-i2p/veil/torrent): create torrents,
// seed, download from a .torrent or a magnet link, run a tracker. `veil
// torrent ...` runs it too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/veil-i2p/veil"
	"github.com/veil-i2p/veil/torrent"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usageText = `veil-torrent: BitTorrent over I2P, with its own embedded veil router

usage:
  veil-torrent create [-tracker URL]... [-o FILE.torrent] PATH
  veil-torrent seed [router flags] [-dir DIR] FILE.torrent
  veil-torrent get  [router flags] [-dir DIR] [-seed] FILE.torrent|MAGNET
  veil-torrent tracker [router flags]

router flags:
  -datadir DIR     the embedded router's data folder (default ~/.veil-torrent);
                   the client's keys (torrent.dat) and the tracker's
                   (tracker.dat) are kept there, so addresses stay the same
  -o NAME=VALUE    a router option, as in i2pd.conf (repeatable)
  -d NAME=VALUE    a destination option, as in tunnels.conf: inbound.length=2, ... (repeatable)
  -peer FILE       another router's router.info, for private networks (repeatable)
  -v               log the router's and client's work to stderr

Trackers are http://….i2p/announce URLs (b32, b33 or address book names).
`

// options collects repeated -o NAME=VALUE flags.
type options []string

func (o *options) String() string     { return strings.Join(*o, " ") }
func (o *options) Set(v string) error { *o = append(*o, v); return nil }

// list collects repeated string flags.
type list = options

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usageText)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "create":
		err = create(args[1:], stdout)
	case "seed", "get":
		err = client(ctx, args[0], args[1:], stdout, stderr)
	case "tracker":
		err = tracker(ctx, args[1:], stdout, stderr)
	default:
		err = usageError{fmt.Errorf("unknown command %q", args[0])}
	}
	if err != nil {
		fmt.Fprintf(stderr, "veil-torrent: %v\n", err)
		if errors.As(err, new(usageError)) {
			fmt.Fprint(stderr, usageText)
			return 2
		}
		return 1
	}
	return 0
}

type usageError struct{ error }

func create(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	var trackers list
	fs.Var(&trackers, "tracker", "announce URL (repeatable)")
	out := fs.String("o", "", "the .torrent to write (default: PATH.torrent)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("create: want one PATH")}
	}
	path := fs.Arg(0)
	mi, err := torrent.Create(path, trackers, 0)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = strings.TrimSuffix(path, string(filepath.Separator)) + ".torrent"
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := mi.Write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	info, _ := mi.UnmarshalInfo()
	fmt.Fprintf(stdout, "%s: %s, %d pieces\nmagnet: %s\n", *out, mib(info.TotalLength()), info.NumPieces(), mi.Magnet(nil, &info))
	return nil
}

// routerFlags are the flags of the commands that run a router.
type routerFlags struct {
	fs      *flag.FlagSet
	datadir string
	opts    options
	peers   list
	dopts   list
	verbose bool
}

func newRouterFlags(name string) *routerFlags {
	rf := &routerFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	home, _ := os.UserHomeDir()
	rf.fs.StringVar(&rf.datadir, "datadir", filepath.Join(home, ".veil-torrent"), "the embedded router's data folder")
	rf.fs.Var(&rf.opts, "o", "router option NAME=VALUE (repeatable)")
	rf.fs.Var(&rf.dopts, "d", "destination option NAME=VALUE, as in tunnels.conf (repeatable)")
	rf.fs.Var(&rf.peers, "peer", "router.info of another router of a private network (repeatable)")
	rf.fs.BoolVar(&rf.verbose, "v", false, "log to stderr")
	return rf
}

// start starts the router and opens the destination with keys file keys.
func (rf *routerFlags) start(ctx context.Context, keys string, stderr io.Writer) (*veil.Router, *veil.Destination, *slog.Logger, error) {
	var log *slog.Logger
	if rf.verbose {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	fmt.Fprintf(stderr, "starting the router (%s)...\n", rf.datadir)
	r, err := veil.Start(ctx, veil.Config{DataDir: rf.datadir, Options: rf.opts, Logger: log})
	if err != nil {
		return nil, nil, nil, err
	}
	for _, p := range rf.peers {
		ri, err := os.ReadFile(p)
		if err == nil {
			err = r.AddPeer(ri)
		}
		if err != nil {
			r.Close()
			return nil, nil, nil, fmt.Errorf("-peer %s: %w", p, err)
		}
	}
	fmt.Fprintln(stderr, "building tunnels, publishing the destination...")
	d, err := r.NewDestination(ctx, veil.DestinationOptions{Name: strings.TrimSuffix(keys, ".dat"), KeysFile: keys, Options: rf.dopts})
	if err != nil {
		r.Close()
		return nil, nil, nil, err
	}
	return r, d, log, nil
}

func tracker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRouterFlags("tracker")
	if err := rf.fs.Parse(args); err != nil {
		return usageError{err}
	}
	r, d, _, err := rf.start(ctx, "tracker.dat", stderr)
	if err != nil {
		return err
	}
	defer r.Close()
	l, err := d.Listen()
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: torrent.NewTracker(0)}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "tracker: http://%s/announce\n", d.Addr().B32())
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) && ctx.Err() == nil {
		return err
	}
	return nil
}

func client(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	rf := newRouterFlags(cmd)
	dir := rf.fs.String("dir", "", "folder of the torrent's data (default: the current folder; seed: the .torrent's)")
	keep := rf.fs.Bool("seed", false, "get: go on seeding when complete")
	if err := rf.fs.Parse(args); err != nil {
		return usageError{err}
	}
	if rf.fs.NArg() != 1 {
		return usageError{fmt.Errorf("%s: want one .torrent or magnet link", cmd)}
	}
	src := rf.fs.Arg(0)
	magnet := strings.HasPrefix(src, "magnet:")
	var mi *metainfo.MetaInfo
	if !magnet {
		var err error
		if mi, err = metainfo.LoadFromFile(src); err != nil {
			return err
		}
	} else if cmd == "seed" {
		return usageError{errors.New("seed: want a .torrent")}
	}
	if *dir == "" {
		*dir = "."
		if cmd == "seed" {
			*dir = filepath.Dir(src)
		}
	}
	r, d, log, err := rf.start(ctx, "torrent.dat", stderr)
	if err != nil {
		return err
	}
	defer r.Close()
	c, err := torrent.NewClient(torrent.Config{Destination: d, DataDir: *dir, Logger: log})
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintf(stderr, "client: %s\n", d.Addr().B32())
	add := func() (progress, error) {
		if magnet {
			return c.AddMagnet(src)
		}
		return c.AddTorrent(mi)
	}
	t, err := add()
	if err != nil {
		return err
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	start, announced := time.Now(), false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		line, done := status(t, start)
		fmt.Fprintln(stdout, line)
		if done && !announced {
			announced = true
			fmt.Fprintf(stdout, "complete: every piece checked, in %s\n", *dir)
			if cmd == "get" && !*keep {
				return nil
			}
		}
	}
}
