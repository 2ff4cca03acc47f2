//go:build interop && linux

package ssu2

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestInteropPeerTest runs peer tests with i2pd 2.45.1 (NTCP2 off) in
// network namespaces: veil is Alice, i2pd r1 Bob and i2pd r2 Charlie
// (r1 and r2 know each other and hold a session); veil, reachable, must
// hear Charlie's message 5 and conclude OK. Then veil's socket is put
// behind a stateful firewall (packets only from addresses it sent to):
// message 5 is lost, message 7 answers veil's message 6, and veil
// concludes firewalled.
func TestInteropPeerTest(t *testing.T) {
	n := interopNetwork(t)
	const netID = 96
	bobCfg, bob := newI2pd(t, n, "r1", 11, netID, true)
	charlieCfg, charlie := newI2pd(t, n, "r2", 12, netID, true)
	bobR, charlieR := startI2pd(t, bobCfg, charlie), startI2pd(t, charlieCfg, bob)
	// i2pd connects to the other router a minute or so after it starts;
	// until then Bob has no Charlie (code 2).
	if _, err := bobR.WaitLog("SSU2: PeerTest msg=1 sent to", 120*time.Second); err != nil {
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
			var fw *firewallConn
			wrap := behindFirewall(&fw)
			if !tc.firewall {
				wrap = nil
			}
			v := startNetnsNode(t, n, ns, addr, 12345, netID, "", wrap, nil)
			v.db.put(bob)
			v.db.put(charlie)
			tr := v.tr
			dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := tr.Dial(dctx, bob); err != nil {
				t.Fatal(err)
			}
			var r Reachability
			var err error
			bobAP := dialAddrs(bob, true, false)[0].ap
			for try := range 10 { // Bob picks a Charlie only once it has a session with one
				// i2pd may have picked us as Charlie for its own tests,
				// and our message 5 opened the firewall to Charlie:
				// close it again, as a NAT's mapping would expire.
				if fw != nil {
					fw.close(bobAP.String())
				}
				r, err = tr.TestReachability(t.Context(), false)
				t.Logf("peer test %d through i2pd Bob: %v, %v", try, r, err)
				if err == nil && r != ReachUnknown {
					break
				}
				time.Sleep(3 * time.Second)
			}
			if err != nil || r != tc.want {
				t.Fatalf("got %v, %v; want %v\nBob's log:\n%s\nCharlie's log:\n%s", r, err, tc.want,
					grepLines(bobR.Log(), "PeerTest"), grepLines(charlieR.Log(), "PeerTest"))
			}
			t.Logf("Charlie's log:\n%s", grepLines(charlieR.Log(), "PeerTest"))
		})
	}
}
