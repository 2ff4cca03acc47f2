//go:build interop

package torrent_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	sam3 "github.com/go-i2p/go-sam-go"
	"github.com/go-i2p/go-sam-go/stream"
	"github.com/go-i2p/i2pkeys"
	"github.com/veil-i2p/veil"
	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/torrent"
)

// samNetwork is an i2pd SAM stream session as the client's Network: the
// leecher of TestI2pdSAMLeecher is anacrolix/torrent over i2pd's SAM,
// as other Go programs use I2P (go-sam-go), not over veil. i2pd 2.45.1
// dies on a NAMING LOOKUP of a b32 name (see interop/sam_test.go), so
// b32 hosts are turned into destinations from known, the test's own
// address book, and dialed by destination.
type samNetwork struct {
	s     *stream.StreamSession
	known map[string]string // b32 → Base64
}

func (n samNetwork) DialContext(ctx context.Context, _, address string) (net.Conn, error) {
	host := address
	if h, _, err := net.SplitHostPort(address); err == nil {
		host = h
	}
	if b64, ok := n.known[host]; ok {
		host = b64
	}
	to, err := i2pkeys.NewI2PAddrFromString(host)
	if err != nil {
		return nil, fmt.Errorf("SAM: %.60s: %w", host, err)
	}
	return n.s.NewDialer().DialI2PContext(ctx, to)
}

func (n samNetwork) Listen() (net.Listener, error) { return nil, nil } // dials only
func (n samNetwork) Base64() string                { return n.s.Addr().Base64() }

// TestI2pdSAMLeecher: a veil tracker and a veil seeder (embedded routers)
// and an i2pd 2.45.1 router; a leecher on i2pd's SAM bridge (go-sam-go)
// announces to the veil tracker and downloads the 8 MiB torrent from the
// veil seeder: the I2P BitTorrent conventions match across routers.
func TestI2pdSAMLeecher(t *testing.T) {
	i2pdtest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// i2pd once, for its RouterInfo; it restarts knowing the veil routers.
	samPort := freeTCPPort(t)
	cfg := i2pdtest.Config{DataDir: t.TempDir(), Floodfill: true, Options: map[string]string{
		"ssu2.enabled": "false", "ssu2.published": "false", "bandwidth": "X",
		"sam.enabled": "true", "sam.address": "127.0.0.1", "sam.port": strconv.Itoa(samPort),
		// i2pd 2.45.1's STREAM CONNECT dies with its address book off
		// (interop/sam_test.go): on, with feeds nobody serves.
		"addressbook.enabled": "true", "addressbook.subscriptions": "http://127.0.0.1:9/hosts.txt",
		"addressbook.defaulturl": "http://127.0.0.1:9/hosts.txt"}}
	i2pd := i2pdtest.Start(t, cfg)
	if err := i2pd.WaitRouterInfo(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	i2pd.Stop()
	i2pdRI, err := os.ReadFile(i2pd.RouterInfoPath())
	if err != nil {
		t.Fatal(err)
	}
	var rs []*veil.Router
	for range 3 {
		rs = append(rs, startRouter(t, ctx))
	}
	var ris [][]byte
	for i, a := range rs {
		ris = append(ris, a.RouterInfo())
		if err := a.AddPeer(i2pdRI); err != nil {
			t.Fatal(err)
		}
		for j, b := range rs {
			if i != j {
				if err := a.AddPeer(b.RouterInfo()); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	cfg.ReseedZip = filepath.Join(t.TempDir(), "seed.zip")
	if err := i2pdtest.WriteReseedZip(cfg.ReseedZip, ris...); err != nil {
		t.Fatal(err)
	}
	i2pd = i2pdtest.Start(t, cfg)

	shape := []string{"inbound.length=1", "outbound.length=1", "inbound.quantity=2", "outbound.quantity=2"}
	var dests []*veil.Destination
	for _, r := range rs[:2] {
		d, err := r.NewDestination(ctx, veil.DestinationOptions{Options: shape})
		if err != nil {
			t.Fatal(err)
		}
		dests = append(dests, d)
	}
	sw := startSwarm(t, ctx, dests[0], dests[1], 10*time.Second)
	tracker, mi, file, leechDir := sw.tracker, sw.mi, sw.file, t.TempDir()

	// The leecher: anacrolix/torrent over a go-sam-go stream session of i2pd.
	samAddr := "127.0.0.1:" + strconv.Itoa(samPort)
	sam, err := sam3.NewSAM(samAddr)
	if err != nil {
		t.Fatalf("i2pd SAM: %v", err)
	}
	defer sam.Close()
	keys, err := sam.NewKeys("7")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := sam.NewStreamSession(fmt.Sprintf("veil-torrent-%d", os.Getpid()), keys, shape)
	if err != nil {
		t.Fatalf("SAM session: %v", err)
	}
	defer sess.Close()
	t.Logf("SAM session %s", sess.Addr().Base32())
	sn := samNetwork{sess, map[string]string{}}
	for _, d := range dests {
		sn.known[d.Addr().B32()] = d.Addr().Base64()
	}
	for try := range 6 { // i2pd looks the tracker's LeaseSet up; the first dials may miss
		dctx, dcancel := context.WithTimeout(ctx, 20*time.Second)
		t0 := time.Now()
		c, err := sn.DialContext(dctx, "i2p", dests[0].Addr().B32()+":80")
		dcancel()
		t.Logf("SAM dial to the tracker (try %d): %v after %v", try+1, err, time.Since(t0).Round(time.Millisecond))
		if err == nil {
			c.Close()
			break
		}
		if !i2pd.Running() {
			lines := strings.Split(i2pd.Log(), "\n")
			t.Fatalf("i2pd stopped:\n%s", strings.Join(lines[max(0, len(lines)-25):], "\n"))
		}
	}
	leecher, err := torrent.NewClient(torrent.Config{Network: sn, DataDir: leechDir,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	defer leecher.Close()
	start := time.Now()
	lt, err := leecher.AddTorrent(mi)
	if err != nil {
		t.Fatal(err)
	}
	last := time.Now()
	waitFor(t, ctx, "the i2pd SAM leecher complete", func() bool {
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			s, l := tracker.Peers(mi.HashInfoBytes())
			ls := lt.Stats()
			t.Logf("leecher: %d bytes missing, peers %d active %d pending %d half-open; tracker %d seeders %d leechers",
				lt.BytesMissing(), ls.ActivePeers, ls.PendingPeers, ls.HalfOpenPeers, s, l)
		}
		return lt.BytesMissing() == 0
	})
	took := time.Since(start)
	t.Logf("i2pd SAM leecher: 8 MiB from the veil seeder in %v (%.0f KiB/s)", took.Round(time.Millisecond), float64(len(file))/1024/took.Seconds())
	got, err := os.ReadFile(filepath.Join(leechDir, "file.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(file) {
		t.Fatal("downloaded file differs")
	}
	if seeders, leechers := tracker.Peers(mi.HashInfoBytes()); seeders < 1 {
		t.Errorf("tracker: %d seeders, %d leechers", seeders, leechers)
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
