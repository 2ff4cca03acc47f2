package torrent_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/veil-i2p/veil"
	"github.com/veil-i2p/veil/torrent"
)

// privateNet: routers of a private network on loopback (netid 99), no
// reseeding, one-hop tunnels, NTCP2 only.
var privateNet = []string{"netid=99", "host=127.0.0.1", "address4=127.0.0.1", "reservedrange=false",
	"floodfill=true", "ssu2.enabled=false", "reseed.threshold=0", "addressbook.enabled=false",
	"exploratory.inbound.length=1", "exploratory.outbound.length=1",
	"exploratory.inbound.quantity=2", "exploratory.outbound.quantity=2"}

// hops is the tunnel length of the test's destinations: 1, or
// VEIL_TORRENT_HOPS (the benchmark: 3 for 3+3 hops between the clients).
func hops() int {
	if n, err := strconv.Atoi(os.Getenv("VEIL_TORRENT_HOPS")); err == nil && n >= 1 && n <= 3 {
		return n
	}
	return 1
}

// TestSwarm: a veil tracker and two clients on three embedded routers;
// the seeder has an 8 MiB file and its .torrent, the leecher only a
// magnet link with the tracker (tr=): it gets the metadata and every
// piece (hash-checked) through I2P streams. VEIL_TORRENT_HOPS=3 makes it
// the 3+3-hop benchmark (on seven routers).
func TestSwarm(t *testing.T) {
	if testing.Short() {
		t.Skip("three routers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	n := hops()
	var rs []*veil.Router
	for range 3 + 2*(n-1) {
		rs = append(rs, startRouter(t, ctx))
	}
	for i, a := range rs {
		for j, b := range rs {
			if i != j {
				if err := a.AddPeer(b.RouterInfo()); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	l := strconv.Itoa(n)
	shape := []string{"inbound.length=" + l, "outbound.length=" + l, "inbound.quantity=3", "outbound.quantity=3"}
	dests := make([]*veil.Destination, 3)
	for i, r := range rs[:3] {
		d, err := r.NewDestination(ctx, veil.DestinationOptions{Options: shape})
		if err != nil {
			t.Fatal(err)
		}
		dests[i] = d
	}
	sw := startSwarm(t, ctx, dests[0], dests[1], 5*time.Second)
	tracker, mi, file, leechDir := sw.tracker, sw.mi, sw.file, t.TempDir()
	info, err := mi.UnmarshalInfo()
	if err != nil {
		t.Fatal(err)
	}

	leecher := newClient(t, dests[2], leechDir)
	magnet := mi.Magnet(nil, &info).String()
	if !strings.Contains(magnet, "tr=") {
		t.Fatalf("magnet without tracker: %s", magnet)
	}
	start := time.Now()
	lt, err := leecher.AddMagnet(magnet)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "leecher complete", func() bool { return lt.Info() != nil && lt.BytesMissing() == 0 })
	took := time.Since(start)
	t.Logf("8 MiB through %d+%d hops in %v (%.0f KiB/s, metadata and tracker included), %d pieces", n, n, took.Round(time.Millisecond),
		float64(len(file))/1024/took.Seconds(), info.NumPieces())
	got, err := os.ReadFile(filepath.Join(leechDir, "file.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(file) || !bytes.Equal(got, file) {
		t.Fatal("downloaded file differs")
	}
	if ps := lt.Stats().PiecesComplete; ps != info.NumPieces() {
		t.Errorf("%d of %d pieces complete", ps, info.NumPieces())
	}
	seeders, _ := tracker.Peers(mi.HashInfoBytes())
	if seeders < 1 {
		t.Errorf("tracker knows %d seeders", seeders)
	}
}

// swarm is a tracker and a seeder of a new 8 MiB file on two veil
// destinations.
type swarm struct {
	tracker *torrent.Tracker
	mi      *metainfo.MetaInfo
	file    []byte
}

// startSwarm serves a tracker (asking for announces every interval) on
// trackerDest and seeds a new 8 MiB file from seederDest, checked.
func startSwarm(t *testing.T, ctx context.Context, trackerDest, seederDest *veil.Destination, interval time.Duration) swarm {
	t.Helper()
	tracker := torrent.NewTracker(interval)
	ln, err := trackerDest.Listen()
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: tracker}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	announce := "http://" + trackerDest.Addr().B32() + "/announce"
	seedDir := t.TempDir()
	file := make([]byte, 8<<20)
	rand.Read(file)
	if err := os.WriteFile(filepath.Join(seedDir, "file.bin"), file, 0o600); err != nil {
		t.Fatal(err)
	}
	mi, err := torrent.Create(filepath.Join(seedDir, "file.bin"), []string{announce}, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := newClient(t, seederDest, seedDir).AddTorrent(mi)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "seeder checked its data", func() bool { return st.Info() != nil && st.BytesMissing() == 0 })
	return swarm{tracker, mi, file}
}

func newClient(t *testing.T, d *veil.Destination, dir string) *torrent.Client {
	t.Helper()
	c, err := torrent.NewClient(torrent.Config{Destination: d, DataDir: dir, Logger: logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting: %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func startRouter(t *testing.T, ctx context.Context) *veil.Router {
	t.Helper()
	r, err := veil.Start(ctx, veil.Config{DataDir: t.TempDir(), Options: privateNet, Logger: logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func logger(t *testing.T) *slog.Logger {
	if !testing.Verbose() || os.Getenv("VEIL_TORRENT_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
