package client

import (
	"context"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/tunnel"
)

type fakeNet struct {
	tun   *tunnel.Tunnels
	store *netdb.Store
}

func (f fakeNet) Tunnels() *tunnel.Tunnels { return f.tun }
func (f fakeNet) Store() *netdb.Store      { return f.store }
func (f fakeNet) LookupLeaseSet(context.Context, data.Hash) (*netdb.LeaseSet, error) {
	return nil, netdb.ErrNotFound
}

func TestLeaseSet(t *testing.T) {
	net := fakeNet{tun: tunnel.NewTunnels(tunnel.TunnelsConfig{}), store: netdb.New(netdb.Config{NetID: 99})}
	d, err := New(net, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Pool().Name() != d.B32() {
		t.Fatalf("pool %q", d.Pool().Name())
	}
	now := time.Unix(1_800_000_000, 0)
	leases := []tunnel.InboundLease{
		{Gateway: data.Hash{1}, TunnelID: 11, Expires: now.Add(9 * time.Minute)},
		{Gateway: data.Hash{2}, TunnelID: 22, Expires: now.Add(10 * time.Minute)},
	}
	ls, err := d.buildLeaseSet(leases, now)
	if err != nil {
		t.Fatal(err)
	}
	back, err := data.ParseLeaseSet2(ls.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(); err != nil {
		t.Fatal(err)
	}
	if back.Hash() != d.Hash() || len(back.Leases) != 2 || back.Leases[1].TunnelID != 22 || back.Expires != 601 ||
		len(back.Keys) != 3 || back.Keys[0].Type != 6 || back.Keys[1].Type != 4 || back.Keys[2].Type != 0 || len(back.Keys[2].Key) != 256 {
		t.Fatalf("LeaseSet2 %+v", back)
	}
	if _, err := d.buildLeaseSet(nil, now); err == nil {
		t.Fatal("LeaseSet without leases")
	}
	// Nothing to publish without inbound tunnels.
	if d.Maintain() {
		t.Fatal("published without tunnels")
	}
}
