package ssu2

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// introducedRI is id's RouterInfo with its SSU2 address replaced by one
// reached through ins: no host or port, caps 4 ("Introducers").
func introducedRI(t *testing.T, id *identity, ins []Introducer) *data.RouterInfo {
	t.Helper()
	return id.Resign(t, func(a *data.RouterAddress) {
		*a = data.RouterAddress{Transport: a.Transport, Cost: a.Cost, Options: transporttest.KeepOptions(a, "s", "i", "v")}
		a.Options.Set("caps", "4")
		SetIntroducers(a, ins)
	})
}

// relayNet starts Bob (who introduces) and Charlie, firewalled, who
// dials Bob and gets a relay tag; Alice shares their netDb. It returns
// Charlie's RouterInfo through Bob.
func relayNet(t *testing.T) (alice, bob, charlie *node, charlieRI *data.RouterInfo) {
	t.Helper()
	db := transporttest.NewNetDb()
	bob = newNode(t, nodeOptions{netdb: db, mod: func(c *Config) { c.Introduce = true }})
	charlie = newNode(t, nodeOptions{netdb: db,
		wrap: func(pc net.PacketConn) net.PacketConn { return transporttest.NewFirewall(pc) },
		mod:  func(c *Config) { c.Firewalled = true }})
	alice = newNode(t, nodeOptions{netdb: db})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := charlie.tr.Dial(ctx, bob.id.RouterInfo()); err != nil {
		t.Fatal(err)
	}
	ins := charlie.tr.Introducers(false)
	if len(ins) != 1 || ins[0].Router != bob.id.RouterInfo().Hash() || ins[0].Tag == 0 {
		t.Fatalf("Charlie's introducers %+v, want Bob with a tag", ins)
	}
	if charlie.tr.Introducers(true) != nil {
		t.Error("IPv6 introducers over an IPv4 session")
	}
	return alice, bob, charlie, introducedRI(t, charlie.id, ins)
}

// TestRelay has Alice reach a firewalled Charlie through Bob: Alice
// dials Bob herself, Bob passes the introduction on, Charlie's Hole
// Punch opens his firewall, and the session carries messages both ways.
func TestRelay(t *testing.T) {
	transporttest.LeakCheck(t)
	alice, _, charlie, charlieRI := relayNet(t)

	// Without an introduction, Charlie's firewall drops Alice.
	short, cancel := context.WithTimeout(t.Context(), time.Second)
	_, err := alice.tr.Dial(short, charlie.id.RouterInfo())
	cancel()
	if err == nil {
		t.Fatal("direct dial through Charlie's firewall succeeded")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	start := time.Now()
	s, err := alice.tr.Dial(ctx, charlieRI)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("introduced in %v", time.Since(start).Round(time.Millisecond))
	if s.Peer() != charlieRI.Hash() {
		t.Fatalf("session with %s, want Charlie", s.Peer())
	}
	cs := transporttest.WaitFor(t, charlie.rec.Sessions, "Charlie's session with Bob")
	if cs.Peer() != alice.id.RouterInfo().Hash() {
		cs = transporttest.WaitFor(t, charlie.rec.Sessions, "Charlie's session with Alice")
	}
	if cs.Direction() != transport.Inbound || cs.Peer() != alice.id.RouterInfo().Hash() {
		t.Fatalf("Charlie's session: %v with %s", cs.Direction(), cs.Peer())
	}
	for i, pair := range []struct {
		from transport.Session
		to   *node
	}{{s, charlie}, {cs, alice}} {
		m := &transport.Message{Type: 1, ID: uint32(100 + i), Payload: bytes.Repeat([]byte{byte(i)}, 3000)}
		if err := pair.from.Send(m, transport.PriorityNormal); err != nil {
			t.Fatal(err)
		}
		got := transporttest.WaitFor(t, pair.to.rec.Messages, "message over the introduced session")
		if got.ID != m.ID || !bytes.Equal(got.Payload, m.Payload) {
			t.Fatalf("message %d: got id %d, %d bytes", i, got.ID, len(got.Payload))
		}
	}
}

// TestRelayRefused: a tag Bob never gave gets code 5 from Bob, at once.
func TestRelayRefused(t *testing.T) {
	transporttest.LeakCheck(t)
	alice, bob, charlie, _ := relayNet(t)
	bad := introducedRI(t, charlie.id, []Introducer{{Router: bob.id.RouterInfo().Hash(), Tag: 12345, Expires: time.Now().Add(time.Hour)}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := alice.tr.Dial(ctx, bad)
	if !errors.Is(err, errRelayRefused) {
		t.Fatalf("dial with a wrong tag: %v, want a refusal", err)
	}
	t.Log(err)
}

// TestIntroducersParse checks SetIntroducers and parseIntroducers agree
// and that expired or incomplete entries go.
func TestIntroducersParse(t *testing.T) {
	var a data.RouterAddress
	exp := time.Unix(time.Now().Add(time.Hour).Unix(), 0)
	SetIntroducers(&a, []Introducer{{Router: data.Hash{1}, Tag: 7, Expires: exp}, {Router: data.Hash{2}, Tag: 9, Expires: exp}})
	a.Options.Set("itag2", "0")
	a.Options.Set("ih2", data.EncodeBase64(make([]byte, 32)))
	got := parseIntroducers(&a)
	if len(got) != 2 || got[0].router != (data.Hash{1}) || got[0].tag != 7 || !got[1].exp.Equal(exp) {
		t.Fatalf("parsed %+v", got)
	}
}

// FuzzRelayBlocks checks the relay block parsers never panic and that
// what they accept re-encodes to the same bytes.
func FuzzRelayBlocks(f *testing.F) {
	ap := netip.MustParseAddrPort("198.18.0.7:12345")
	sig := bytes.Repeat([]byte{9}, 64)
	req := relayReqSigned(5, 6, time.Unix(1700000000, 0), ap)
	f.Add(byte(0), appendRelayReq(nil, nil, req, sig)[blockHeaderLen:])
	f.Add(byte(1), appendRelayReq(nil, &data.Hash{3}, req, sig)[blockHeaderLen:])
	f.Add(byte(2), appendRelayResp(nil, rrAccept, relayRespSigned(5, time.Unix(1700000000, 0), ap), sig, 77)[blockHeaderLen:])
	f.Add(byte(2), appendRelayResp(nil, rrBobNoTag, relayRespSigned(5, time.Unix(1, 0), netip.AddrPort{}), sig, 0)[blockHeaderLen:])
	f.Add(byte(2), []byte{0, 5, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, kind byte, d []byte) {
		switch kind % 3 {
		case 0, 1:
			intro := kind%3 == 1
			r, err := parseRelayReq(d, intro)
			if err != nil {
				return
			}
			var h *data.Hash
			if intro {
				h = &r.alice
			}
			if got := appendRelayReq(nil, h, r.signed, r.sig)[blockHeaderLen:]; !bytes.Equal(got[1:], d[1:]) {
				t.Fatalf("re-encoded %x, want %x", got, d)
			}
		case 2:
			r, err := parseRelayResp(d)
			if err != nil {
				return
			}
			for _, n := range []int{0, 64, len(r.rest)} {
				r.split(n)
			}
		}
	})
}

// TestRequestRelayTags: a session made before we needed introducers
// gets a relay tag when we ask in the data phase.
func TestRequestRelayTags(t *testing.T) {
	transporttest.LeakCheck(t)
	a, b, _, _ := pair(t, nodeOptions{}, nodeOptions{mod: func(c *Config) { c.Introduce = true }})
	if ins := a.tr.Introducers(false); len(ins) != 0 {
		t.Fatalf("introducers %+v before asking", ins)
	}
	a.tr.RequestRelayTags(false)
	transporttest.Eventually(t, 5*time.Second, "a relay tag", func() bool { return len(a.tr.Introducers(false)) == 1 })
	if in := a.tr.Introducers(false)[0]; in.Router != b.id.RouterInfo().Hash() || in.Tag == 0 {
		t.Fatalf("introducer %+v", in)
	}
}
