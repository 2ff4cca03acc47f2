//go:build interop && linux

package ssu2

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// TestInteropPeerTest runs peer tests with i2pd 2.45.1 (NTCP2 off) in
// network namespaces: veil is Alice, i2pd r1 Bob and i2pd r2 Charlie
// (r1 and r2 know each other and hold a session); veil, reachable, must
// hear Charlie's message 5 and conclude OK. Then veil's socket is put
// behind a stateful firewall (packets only from addresses it sent to):
// message 5 is lost, message 7 answers veil's message 6, and veil
// concludes firewalled.
func TestInteropPeerTest(t *testing.T) {
	i2pdtest.Require(t)
	transporttest.LeakCheck(t)
	n := i2pdtest.NewNetwork(t, i2pdtest.NetworkConfig{})
	const netID = 96
	var ris [][]byte
	routers := make([]*i2pdtest.Router, 3)
	cfgs := make([]i2pdtest.Config, 3)
	for i := 1; i <= 2; i++ {
		ns, addr := n.Add("r"+strconv.Itoa(i), 10+i)
		cfgs[i] = i2pdtest.Config{DataDir: t.TempDir(), NetID: netID, Netns: ns, Host: addr, Floodfill: true, LogLevel: "debug",
			Options: map[string]string{"ntcp2.enabled": "false", "ntcp2.published": "false"}}
		r := i2pdtest.Start(t, cfgs[i])
		if err := r.WaitRouterInfo(30 * time.Second); err != nil {
			t.Fatal(err)
		}
		r.Stop()
		ris = append(ris, readI2pdRouterInfo(t, r).Bytes())
	}
	for i := 1; i <= 2; i++ {
		if _, err := i2pdtest.InstallRouterInfo(filepath.Join(cfgs[i].DataDir, "netDb"), ris[2-i]); err != nil {
			t.Fatal(err)
		}
		routers[i] = i2pdtest.Start(t, cfgs[i])
	}
	bob, charlie := readI2pdRouterInfo(t, routers[1]), readI2pdRouterInfo(t, routers[2])
	// i2pd connects to the other router a minute or so after it starts;
	// until then Bob has no Charlie (code 2).
	if _, err := routers[1].WaitLog("SSU2: PeerTest msg=1 sent to", 120*time.Second); err != nil {
		t.Logf("Bob and Charlie: %v", err)
	}

	for _, tc := range []struct {
		name     string
		host     int
		firewall bool
		want     Reachability
	}{{"reachable", 200, false, ReachOK}, {"firewalled", 201, true, ReachFirewalled}} {
		t.Run(tc.name, func(t *testing.T) {
			ns, addr := n.Add("veil"+strconv.Itoa(tc.host), tc.host)
			const port = 12345
			db := newFakeNetDb()
			db.put(bob)
			db.put(charlie)
			id := newIdentity(t, riOptions{NetID: netID, Host: addr, Port: port})
			pc, err := n.ListenPacket(ns, "udp4", net.JoinHostPort(addr, strconv.Itoa(port)))
			if err != nil {
				t.Fatal(err)
			}
			conn := pc
			fw := &firewallConn{PacketConn: pc, open: map[string]bool{}}
			if tc.firewall {
				conn = fw
			}
			signer, err := id.Keys.Signer()
			if err != nil {
				t.Fatal(err)
			}
			rec := transporttest.NewRecorder()
			tr, err := New(Config{NetID: netID, StaticKeys: id.Static, RouterInfo: id.RouterInfo, Handler: rec,
				Signer: signer, LookupRouterInfo: db.get, ListenAddrs: []string{pc.LocalAddr().String()},
				ListenPacket: func(context.Context, string, string) (net.PacketConn, error) { return conn, nil },
				Logger:       slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			transporttest.Run(t, tr)
			dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := tr.Dial(dctx, bob); err != nil {
				t.Fatal(err)
			}
			var r Reachability
			bobAP, _ := dialAddrs(bob, true, false)[0].ap, 0
			for try := range 10 { // Bob picks a Charlie only once it has a session with one
				// i2pd may have picked us as Charlie for its own tests,
				// and our message 5 opened the firewall to Charlie:
				// close it again, as a NAT's mapping would expire.
				fw.close(bobAP.String())
				r, err = tr.TestReachability(t.Context(), false)
				t.Logf("peer test %d through i2pd Bob: %v, %v", try, r, err)
				if err == nil && r != ReachUnknown {
					break
				}
				time.Sleep(3 * time.Second)
			}
			if err != nil || r != tc.want {
				t.Fatalf("got %v, %v; want %v\nBob's log:\n%s\nCharlie's log:\n%s", r, err, tc.want,
					grepLines(routers[1].Log(), "PeerTest"), grepLines(routers[2].Log(), "PeerTest"))
			}
			t.Logf("Charlie's log:\n%s", grepLines(routers[2].Log(), "PeerTest"))
		})
	}
}
