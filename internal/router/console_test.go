package router

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/console"
	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// TestConsoleView: the adapter maps a running router's status onto the
// console's view, and every page renders from it.
func TestConsoleView(t *testing.T) {
	dir := t.TempDir()
	cfg := loopbackConfig(t, dir)
	cfg.AddressBook = &AddressBookConfig{}
	cfg.SAM = &SAMConfig{Address: "127.0.0.1", Port: freePort(t), PortUDP: freePort(t)}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	running(t, r)
	waitStatusFor(t, dir, "running", 10*time.Second, func(st Status) bool { return st.Router.Hash != "" })
	var stops atomic.Int32
	conf := filepath.Join(dir, "i2pd.conf")
	v := r.ConsoleView(ConsoleOptions{ConfFile: conf, Settings: console.Settings{Share: 100}, Shutdown: func() { stops.Add(1) }})
	now := time.Now()
	v.sample(now)
	v.sample(now.Add(sampleEvery))
	if h := v.History(); len(h) != 1 {
		t.Fatalf("history %v", h)
	}
	snap := v.Snapshot()
	if snap.Overview.Hash != r.Hash().String() || snap.Overview.NetID != 99 || len(snap.Bootstrap) != 4 {
		t.Fatalf("snapshot %+v", snap.Overview)
	}
	for end := time.Now().Add(10 * time.Second); snap.SAM == nil && time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		snap = v.Snapshot() // the bridge starts beside Run
	}
	if snap.SAM == nil || snap.SAM.Address != "127.0.0.1:"+strconv.Itoa(cfg.SAM.Port) || snap.SAM.ActiveSessions != 0 {
		t.Errorf("SAM %+v", snap.SAM)
	}
	if snap.Overview.Status != "unknown" {
		t.Errorf("status %q", snap.Overview.Status)
	}
	if err := v.SaveSettings(console.Settings{Bandwidth: "O", Share: 40}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "bandwidth = O\nshare = 40\n") {
		t.Errorf("config file:\n%s", b)
	}
	if v.Settings().Bandwidth != "O" {
		t.Errorf("settings %+v", v.Settings())
	}
	srv, err := console.New(console.Config{Address: "127.0.0.1:7070", StrictHeaders: true}, v)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for _, p := range []string{"/", "/peers", "/tunnels", "/netdb", "/destinations", "/i2ptunnels", "/addressbook", "/config", "/graph.svg", "/api/status"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d: %s", p, resp.StatusCode, b)
		}
	}
	// The addressbook page's operations reach the router's book.
	keys, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !v.AddressBookEnabled() {
		t.Fatal("addressbook off")
	}
	if err := v.AddName("myconsole.i2p", data.EncodeBase64(keys.Identity.Bytes()), false); err != nil {
		t.Fatal(err)
	}
	if names, err := v.Names("", "MYCONSOLE"); err != nil || len(names) != 1 || names[0].B32 != keys.Identity.Hash().B32() || names[0].Book != "private" {
		t.Errorf("names %+v %v", names, err)
	}
	if err := v.AddName("bad.i2p", "AAAA", false); err == nil {
		t.Error("a bad destination added")
	}
	if err := v.RemoveName("myconsole.i2p"); err != nil {
		t.Error(err)
	}
	if err := v.UpdateSubscriptions(); err == nil {
		t.Error("update without subscriptions")
	}
	// A graceful shutdown of a router that carries no transit tunnel
	// stops it at once; with some, it would wait for them (at most
	// gracefulMax).
	v.ShutdownGraceful()
	if o := v.Snapshot().Overview; stops.Load() != 1 || !o.Shutdown || o.ShutdownBy.IsZero() {
		t.Errorf("graceful shutdown: %d stops, overview %+v", stops.Load(), o)
	}
	v.checkGraceful(time.Now().Add(gracefulMax + time.Second)) // past the deadline: stop again
	v.Shutdown()
	if stops.Load() != 3 {
		t.Errorf("Shutdown did not call the router's stop: %d", stops.Load())
	}
}
