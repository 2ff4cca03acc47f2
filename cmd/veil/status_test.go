package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/router"
)

func TestWriteStatus(t *testing.T) {
	ratio := 0.75
	st := &router.Status{
		Router: router.RouterStatus{Hash: "HASH=", NetID: 99, Version: "0.9.68", Caps: "LR", Uptime: 3723, Reachability: "unknown"},
		Transports: []router.SessionStatus{{
			Peer: "PEER=", Transport: "NTCP2", Direction: "out", Address: "198.18.0.11:20010", BytesIn: 1536, BytesOut: 12,
		}},
		NetDB:   router.NetDBStatus{Routers: 5, Floodfills: 2},
		Tunnels: router.TunnelsStatus{Transit: 3, BuildSuccess: &ratio},
	}
	var b bytes.Buffer
	writeStatus(&b, st)
	want := `router: HASH=
  netid: 99
  version: 0.9.68
  caps: LR
  uptime: 1 hour, 2 minutes, 3 seconds
  reachability: unknown
  netdb: 5 routers, 2 floodfills, 0 leasesets
  tunnels: 0 inbound, 0 outbound, 3 transit, 75% builds succeed

peer: PEER=
  transport: NTCP2 (out)
  address: 198.18.0.11:20010
  transfer: 1.50 KiB received, 12 B sent
`
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestDurationAndBytes(t *testing.T) {
	for sec, want := range map[int64]string{0: "0 seconds", 1: "1 second", 61: "1 minute, 1 second", 90000: "1 day, 1 hour"} {
		if got := duration(sec); got != want {
			t.Errorf("duration(%d) = %q", sec, got)
		}
	}
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.00 KiB", 5 << 20: "5.00 MiB", 3 << 40: "3.00 TiB"} {
		if got := bytesText(n); got != want {
			t.Errorf("bytesText(%d) = %q", n, got)
		}
	}
}

func TestStatusCommand(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"status", "--datadir=" + dir}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no router running") {
		t.Fatalf("no router: %d %q", code, stderr.String())
	}

	// A port below the ephemeral range, so no outgoing connection of
	// another test takes it before the router binds it.
	port := 0
	for range 200 {
		port = 20000 + rand.IntN(12000)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			l.Close()
			break
		}
	}
	r, err := router.New(router.Config{DataDir: dir, NetID: 99, Host: "127.0.0.1", Port: port, Address4: "127.0.0.1",
		NTCP2Enabled: true, NTCP2Published: true, AllowReserved: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, router.ControlFile)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no control socket")
		}
		time.Sleep(20 * time.Millisecond)
	}

	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"status", "--json", "--datadir=" + dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("status --json: %d %s", code, stderr.String())
	}
	var st router.Status
	if err := json.Unmarshal(stdout.Bytes(), &st); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	if st.Router.Hash != r.Hash().String() || st.Router.NetID != 99 {
		t.Fatalf("%+v", st.Router)
	}

	stdout.Reset()
	if code := run([]string{"status", "--datadir=" + dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("status: %d %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "router: "+r.Hash().String()+"\n") || !strings.Contains(stdout.String(), "  netid: 99\n") {
		t.Fatalf("text:\n%s", stdout.String())
	}

	// A config file naming the data folder finds it too.
	conf := filepath.Join(t.TempDir(), "veil.conf")
	if err := os.WriteFile(conf, []byte("datadir = "+dir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run([]string{"status", "--conf=" + conf}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), r.Hash().String()) {
		t.Fatalf("status --conf: %d %s %s", code, stdout.String(), stderr.String())
	}
}
