package client

import (
	"bytes"
	"testing"

	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/tunnel"
)

func testDestination(t testing.TB) *Destination {
	t.Helper()
	net := fakeNet{tun: tunnel.NewTunnels(tunnel.TunnelsConfig{}), store: netdb.New(netdb.Config{NetID: 99})}
	d, err := New(net, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDatagram1(t *testing.T) {
	d := testDestination(t)
	b, err := d.AppendDatagram1(nil, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 391+64+5 {
		t.Fatalf("%d bytes", len(b))
	}
	dg, err := ParseDatagram1(b)
	if err != nil || dg.From.Hash() != d.Hash() || !bytes.Equal(dg.Payload, []byte("hello")) {
		t.Fatalf("%+v %v", dg, err)
	}
	// The signing key, the signature, the payload. (Datagram1 signs only
	// the payload: the from address's other bytes are not covered.)
	for _, at := range []int{360, 391 + 3, len(b) - 1} {
		bad := bytes.Clone(b)
		bad[at] ^= 1
		if _, err := ParseDatagram1(bad); err == nil {
			t.Fatalf("flip at %d accepted", at)
		}
	}
	if _, err := ParseDatagram1(b[:400]); err == nil {
		t.Fatal("truncated datagram accepted")
	}
}

func FuzzParseDatagram1(f *testing.F) {
	d := testDestination(f)
	b, _ := d.AppendDatagram1(nil, []byte("seed"))
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) { ParseDatagram1(b) })
}
