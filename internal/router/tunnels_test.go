package router

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/crypto"
)

// TestVeilOnlyTunnels: five veil routers on loopback, each knowing the
// others from its netDb folder, build their exploratory tunnels through
// each other (2 hops, 2 each way) and their test messages come back
// (issue 6: "A network of only veil routers ... builds and uses tunnels").
func TestVeilOnlyTunnels(t *testing.T) {
	if testing.Short() {
		t.Skip("five routers")
	}
	const n = 5
	shape := PoolShape{InboundLength: 2, OutboundLength: 2, InboundQuantity: 2, OutboundQuantity: 2}
	rs, dirs := startVeilNet(t, n, func(i int, cfg *Config) {
		switch i {
		case n - 1:
			cfg.Destinations = []DestinationConfig{{Name: "web", KeysFile: "web.dat", Pool: shape}}
		case n - 2:
			cfg.Destinations = []DestinationConfig{{Name: "chat", Pool: shape}}
		}
	})
	for i, dir := range dirs {
		st := waitStatusFor(t, dir, "status", time.Second, func(Status) bool { return true })
		for _, tt := range append(st.Tunnels.Inbound, st.Tunnels.Outbound...) {
			for _, p := range tt.Peers {
				if p == st.Router.Hash {
					t.Fatalf("router %d is a hop of its own tunnel", i)
				}
			}
		}
		t.Logf("router %d: %d+%d tunnels, builds %d ok / %d failed, tests %d ok, transit %d", i,
			len(st.Tunnels.Inbound), len(st.Tunnels.Outbound), st.Tunnels.BuiltOK, st.Tunnels.BuildsFailed, st.Tunnels.TestsOK, st.Tunnels.Transit)
	}
	checkLeaseSetStored(t, dirs)
	if _, err := os.Stat(filepath.Join(dirs[n-1], "web.dat")); err != nil {
		t.Fatalf("destination keys not saved: %v", err)
	}
	checkDestinationsTalk(t, rs[n-1].Destination("web"), rs[n-2].Destination("chat"), dirs[n-2])
}

// checkDestinationsTalk: web sends chat a raw datagram (finding chat's
// LeaseSet by a lookup through its tunnels), chat answers with web's
// LeaseSet that came bundled in the garlic; both arrive.
func checkDestinationsTalk(t *testing.T, web, chat *client.Destination, chatDir string) {
	t.Helper()
	waitStatusFor(t, chatDir, "chat's LeaseSet", 30*time.Second, func(st Status) bool {
		return len(st.Destinations) == 1 && st.Destinations[0].Stores > 0
	})
	got := make(chan client.Received, 4)
	chat.SetHandler(func(r client.Received) { got <- r })
	back := make(chan client.Received, 4)
	web.SetHandler(func(r client.Received) { t.Errorf("web: protocol %d reached the default handler", r.Protocol) })
	web.HandleProtocol(client.ProtoDatagram, func(r client.Received) { back <- r })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := web.Send(ctx, chat.Hash(), client.Payload{Protocol: client.ProtoRaw, SrcPort: 7, DstPort: 9, Data: []byte("hello chat")}); err != nil {
		t.Fatal(err)
	}
	var r client.Received
	select {
	case r = <-got:
	case <-ctx.Done():
		t.Fatal("chat received nothing")
	}
	if string(r.Data) != "hello chat" || r.SrcPort != 7 || r.DstPort != 9 || r.Protocol != client.ProtoRaw || !r.Bound {
		t.Fatalf("chat got %+v", r)
	}
	// A repliable datagram back: web learns who sent it.
	if err := chat.SendDatagram(ctx, web.Hash(), 9, 7, []byte("hello web")); err != nil {
		t.Fatal(err)
	}
	select {
	case r = <-back:
	case <-ctx.Done():
		t.Fatal("web received nothing back")
	}
	if string(r.Data) != "hello web" || r.Protocol != client.ProtoDatagram || r.Sender != chat.Hash() {
		t.Fatalf("web got %+v", r)
	}
	// Both publish the ML-KEM-768 hybrid first: the session used it.
	if s, ok := web.Session(chat.EncryptionKey()); !ok || !s.Established || s.Type != crypto.EncMLKEM768X25519 {
		t.Fatalf("web's session with chat: %+v %v", s, ok)
	}
}

// TestVeilOnlyTunnels continued: the last router's destination published
// its LeaseSet2 through its tunnels, garlic-encrypted to the floodfills,
// which stored it.
func checkLeaseSetStored(t *testing.T, dirs []string) {
	t.Helper()
	st := waitStatusFor(t, dirs[len(dirs)-1], "LeaseSet published", 30*time.Second, func(st Status) bool {
		return len(st.Destinations) == 1 && st.Destinations[0].Leases == 2 && st.Destinations[0].Stores > 0
	})
	t.Logf("destination %s: %+v", st.Destinations[0].Address, st.Destinations[0])
	for i := range 2 { // the floodfills
		waitStatusFor(t, dirs[i], fmt.Sprintf("floodfill %d stores the LeaseSet", i), 30*time.Second, func(st Status) bool {
			return st.NetDB.LeaseSets >= 1
		})
	}
}

func countEstablished(ts []TunnelStatus, hops int) int {
	n := 0
	for _, t := range ts {
		if t.State == "established" && t.Hops == hops {
			n++
		}
	}
	return n
}

// TestProfilesSaved: a router writes its peer profiles when it stops and
// reads them at the next start.
func TestProfilesSaved(t *testing.T) {
	dir := t.TempDir()
	r, err := New(loopbackConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	runUntilUp(t, r, dir)
	b, err := os.ReadFile(filepath.Join(dir, ProfilesFile))
	if err != nil || string(b) != "{}" {
		t.Fatalf("profiles file %q, %v", b, err)
	}
	if p := r.loadProfiles(); p == nil {
		t.Fatal("profiles not loaded")
	}
}
