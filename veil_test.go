package veil_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil"
)

// privateNet are the options of a router of the tests' private network:
// netid 99 on loopback, no reseeding, one-hop tunnels (two routers are
// each other's only hop), NTCP2 only.
var privateNet = []string{"netid=99", "host=127.0.0.1", "address4=127.0.0.1", "reservedrange=false",
	"floodfill=true", "ssu2.enabled=false", "reseed.threshold=0",
	"exploratory.inbound.length=1", "exploratory.outbound.length=1",
	"exploratory.inbound.quantity=2", "exploratory.outbound.quantity=2"}

var oneHop = []string{"inbound.length=1", "outbound.length=1", "inbound.quantity=2", "outbound.quantity=2"}

// TestEmbedded: two embedded routers of a private network; an HTTP server
// on a destination of one is fetched from a destination of the other
// through the API, and datagrams (repliable and raw) go both ways through
// net.PacketConns. Everything closes and no goroutine is left.
func TestEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("two routers")
	}
	goroutines := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	a, b := startRouter(t, ctx), startRouter(t, ctx)
	for _, p := range [][2]*veil.Router{{a, b}, {b, a}} {
		if err := p[0].AddPeer(p[1].RouterInfo()); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	web, err := a.NewDestination(ctx, veil.DestinationOptions{Name: "web", KeysFile: "web.dat", Options: oneHop})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := b.NewDestination(ctx, veil.DestinationOptions{Options: oneHop})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("destinations published in %v: %s, %s", time.Since(start).Round(time.Millisecond), web.Addr(), cli.Addr())
	if st := a.Status(); st.NetID != 99 || st.Peers == 0 || !hasDestination(st, "web", web.Addr().B32()) {
		t.Errorf("status %+v", st)
	}
	if addr, err := veil.ParseAddr(web.Addr().Base64() + ":80"); err != nil || addr.B32() != web.Addr().B32() || addr.Port() != 80 {
		t.Errorf("ParseAddr(Base64) = %v, %v", addr, err)
	}

	// HTTP over I2P: http.Serve on a Listener, http.Transport dialing
	// through the other destination, by b32 and by Base64 destination.
	l, err := web.Listen()
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprintf(w, "hello %s from %s", req.URL.Path, req.RemoteAddr)
	})}
	go srv.Serve(l)
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{DialContext: cli.DialContext}, Timeout: 20 * time.Second}
	defer hc.CloseIdleConnections()
	start = time.Now()
	body := get(t, hc, "http://"+web.Addr().B32()+"/i2p")
	t.Logf("first GET in %v: %q", time.Since(start).Round(time.Millisecond), body)
	if want := "hello /i2p from " + cli.Addr().B32(); !strings.HasPrefix(body, want) {
		t.Errorf("body %q, want %q…", body, want)
	}
	c, err := cli.DialContext(ctx, "i2p", web.Addr().Base64()+":8080")
	if err != nil {
		t.Fatalf("dial by Base64 destination: %v", err)
	}
	c.Close()
	if _, err := cli.DialContext(ctx, "tcp", "nowhere.i2p:80"); err == nil {
		t.Error("dialed a name without an address book")
	}

	// Datagrams both ways: the server answers the sender ReadFrom names.
	srvPC, err := web.ListenPacket("datagram", 7)
	if err != nil {
		t.Fatal(err)
	}
	defer srvPC.Close()
	cliPC, err := cli.ListenPacket("datagram", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cliPC.Close()
	from := exchange(t, cliPC, srvPC, web.Addr().WithPort(7), "ping")
	if a, ok := from.(veil.Addr); !ok || a.B32() != cli.Addr().B32() || a.Base64() != cli.Addr().Base64() {
		t.Fatalf("datagram from %v", from)
	}
	if back := exchange(t, srvPC, cliPC, from, "pong"); back.String() != web.Addr().WithPort(7).String() {
		t.Fatalf("answer from %v", back)
	}
	rawSrv, err := web.ListenPacket("raw", 9)
	if err != nil {
		t.Fatal(err)
	}
	defer rawSrv.Close()
	rawCli, err := cli.ListenPacket("raw", 3)
	if err != nil {
		t.Fatal(err)
	}
	defer rawCli.Close()
	if from := exchange(t, rawCli, rawSrv, web.Addr().WithPort(9), "raw"); from.(veil.Addr).Port() != 3 || from.(veil.Addr).Base64() != "" {
		t.Fatalf("raw datagram from %v", from)
	}
	// A read deadline ends a read.
	srvPC.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, _, err := srvPC.ReadFrom(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read past deadline: %v", err)
	}

	// Closing: the destination leaves status, reads end, the routers stop.
	if err := web.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := srvPC.ReadFrom(make([]byte, 10)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
	if hasDestination(a.Status(), "web", web.Addr().B32()) {
		t.Error("closed destination in status")
	}
	hc.CloseIdleConnections()
	srv.Close()
	for _, r := range []*veil.Router{a, b} {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine() - goroutines; n > 0 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines left:\n%s", n, buf[:runtime.Stack(buf, true)])
	}
}

func startRouter(t *testing.T, ctx context.Context) *veil.Router {
	t.Helper()
	var logger *slog.Logger
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	r, err := veil.Start(ctx, veil.Config{DataDir: t.TempDir(), Options: privateNet, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func hasDestination(st veil.Status, name, addr string) bool {
	for _, d := range st.Destinations {
		if d.Name == name && d.Address == addr && d.Leases > 0 && !d.Published.IsZero() {
			return true
		}
	}
	return false
}

// get fetches url, trying again while the server's LeaseSet may not be
// found yet.
func get(t *testing.T, hc *http.Client, url string) string {
	t.Helper()
	var err error
	for range 3 {
		var resp *http.Response
		if resp, err = hc.Get(url); err != nil {
			t.Logf("GET: %v", err)
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Fatalf("GET %s: %v", url, err)
	return ""
}

// exchange sends msg from one PacketConn to the address to (again, until
// it arrives or 20 s pass) and returns where the other read it from.
func exchange(t *testing.T, from, at net.PacketConn, to net.Addr, msg string) net.Addr {
	t.Helper()
	buf := make([]byte, 1024)
	for try := range 10 {
		if _, err := from.WriteTo([]byte(msg), to); err != nil {
			t.Logf("WriteTo %v: %v", to, err)
		}
		at.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, addr, err := at.ReadFrom(buf)
		if err == nil && string(buf[:n]) == msg {
			t.Logf("datagram %q after %d tries", msg, try+1)
			return addr
		}
	}
	t.Fatalf("datagram %q to %v never arrived", msg, to)
	return nil
}
