package ssu2

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// peerTestNet starts Alice, Bob and Charlie on loopback, sharing a netDb,
// with sessions Alice–Bob and Bob–Charlie.
func peerTestNet(t *testing.T, aliceOpts nodeOptions) (alice, bob, charlie *node) {
	t.Helper()
	db := transporttest.NewNetDb()
	aliceOpts.netdb = db
	alice = newNode(t, aliceOpts)
	bob = newNode(t, nodeOptions{netdb: db})
	charlie = newNode(t, nodeOptions{netdb: db})
	for _, p := range [][2]*node{{alice, bob}, {charlie, bob}} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := p[0].tr.Dial(ctx, p[1].id.RouterInfo())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	return alice, bob, charlie
}

// TestPeerTest runs a peer test through veil Bob and Charlie with Alice
// reachable, then with Alice behind a stateful firewall.
func TestPeerTest(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts nodeOptions
		want Reachability
	}{
		{"reachable", nodeOptions{}, ReachOK},
		{"firewalled", nodeOptions{wrap: func(pc net.PacketConn) net.PacketConn { return transporttest.NewFirewall(pc) }}, ReachFirewalled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			transporttest.LeakCheck(t)
			alice, _, _ := peerTestNet(t, tc.opts)
			start := time.Now()
			r, err := alice.tr.TestReachability(t.Context(), false)
			if err != nil || r != tc.want {
				t.Fatalf("TestReachability = %v, %v; want %v", r, err, tc.want)
			}
			t.Logf("%v in %v", r, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestPeriodicPeerTest checks that Run tests reachability by itself
// with PeerTestInterval and reports it through Reachability.
func TestPeriodicPeerTest(t *testing.T) {
	transporttest.LeakCheck(t)
	alice, _, _ := peerTestNet(t, nodeOptions{mod: func(c *Config) { c.PeerTestInterval = 300 * time.Millisecond }})
	transporttest.Eventually(t, 10*time.Second, "reachability ok", func() bool { return alice.tr.Reachability(false) == ReachOK })
	if r := alice.tr.Reachability(true); r != ReachUnknown {
		t.Errorf("IPv6 reachability %v without an IPv6 address", r)
	}
}

func TestPeerTestNoBob(t *testing.T) {
	transporttest.LeakCheck(t)
	a := newNode(t, nodeOptions{netdb: transporttest.NewNetDb()})
	if _, err := a.tr.TestReachability(t.Context(), false); err != ErrNoPeerTester {
		t.Fatalf("err %v, want ErrNoPeerTester", err)
	}
	if _, err := a.tr.TestReachability(t.Context(), true); err != ErrNoAddress {
		t.Fatalf("IPv6: err %v, want ErrNoAddress", err)
	}
}

// FuzzPeerTestBlock: the Peer Test block decoder takes any bytes, and
// what it accepts re-encodes to the same bytes.
func FuzzPeerTestBlock(f *testing.F) {
	f.Add(appendPeerTest(nil, 2, 0, &data.Hash{1}, ptSigned(7, time.Unix(1700000000, 0), peerAddrPort), make([]byte, 64))[blockHeaderLen:])
	f.Add(appendPeerTest(nil, 5, 0, nil, ptSigned(7, time.Unix(1, 0), peerAddrPort), nil)[blockHeaderLen:])
	f.Fuzz(func(t *testing.T, d []byte) {
		b, err := parsePeerTest(d)
		if err != nil {
			return
		}
		var h *data.Hash
		if b.msg == 2 || b.msg == 4 {
			h = &b.hash
		}
		got := appendPeerTest(nil, b.msg, b.code, h, b.signed, b.sig)[blockHeaderLen:]
		want := append([]byte{d[0], d[1], 0}, d[3:]...)
		if string(got) != string(want) {
			t.Fatalf("%x -> %+v -> %x", d, b, got)
		}
	})
}
