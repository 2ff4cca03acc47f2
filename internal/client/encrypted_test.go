package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/tunnel"
)

// elsNet is a netDb of LeaseSets by key, counting lookups.
type elsNet struct {
	fakeNet
	mu      sync.Mutex
	entries map[data.Hash]*netdb.LeaseSet
	lookups map[data.Hash]int
}

func newELSNet() *elsNet {
	return &elsNet{fakeNet: fakeNet{tun: tunnel.NewTunnels(tunnel.TunnelsConfig{}), store: netdb.New(netdb.Config{NetID: 99})},
		entries: map[data.Hash]*netdb.LeaseSet{}, lookups: map[data.Hash]int{}}
}

func (n *elsNet) LookupLeaseSet(_ context.Context, key data.Hash) (*netdb.LeaseSet, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lookups[key]++
	if l := n.entries[key]; l != nil {
		return l, nil
	}
	return nil, netdb.ErrNotFound
}

// publishTo puts d's store entry for now into n, as a floodfill would
// hold it.
func (n *elsNet) publishFrom(t *testing.T, d *Destination, now time.Time) (data.Hash, *data.LeaseSet2) {
	t.Helper()
	leases := []tunnel.InboundLease{{Gateway: data.Hash{1}, TunnelID: 11, Expires: now.Add(10 * time.Minute)}}
	ls, err := d.buildLeaseSet(leases, now)
	if err != nil {
		t.Fatal(err)
	}
	key, typ, b, err := d.storeEntry(ls, now)
	if err != nil {
		t.Fatal(err)
	}
	l, err := netdb.ParseLeaseSet(data.StoreType(typ), b)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.store.CheckLeaseSet(key, l); err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	n.entries[key] = l
	n.mu.Unlock()
	return key, ls
}

func x25519Pair(t *testing.T) (priv, pub []byte) {
	t.Helper()
	s, p, err := crypto.GenerateX25519(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s[:], p[:]
}

func TestEncryptedLeaseSetPublishAndResolve(t *testing.T) {
	priv, pub := x25519Pair(t)
	psk := bytes.Repeat([]byte{7}, 32)
	for _, tc := range []struct {
		name string
		cfg  EncryptedConfig
		key  []byte // the resolving destination's client key
	}{
		{"none", EncryptedConfig{}, nil},
		{"secret", EncryptedConfig{Secret: "pw"}, nil},
		{"dh", EncryptedConfig{Auth: data.AuthDH, Clients: [][]byte{pub, bytes.Repeat([]byte{9}, 32)}}, priv},
		{"psk", EncryptedConfig{Auth: data.AuthPSK, Clients: [][]byte{psk}}, psk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newELSNet()
			srv, err := New(n, Config{Encrypted: &tc.cfg})
			if err != nil {
				t.Fatal(err)
			}
			cli, err := New(n, Config{ClientKey: tc.key})
			if err != nil {
				t.Fatal(err)
			}
			if cli.B33() != "" || !srv.Encrypted() || cli.Encrypted() {
				t.Fatalf("B33 %q / %q", srv.B33(), cli.B33())
			}
			a, err := data.ParseB33(srv.B33())
			if err != nil || !data.IsB33(srv.B33()) || len(strings.TrimSuffix(srv.B33(), ".b32.i2p")) != 56 {
				t.Fatalf("b33 %q: %v", srv.B33(), err)
			}
			if a.PerClientAuth != (tc.cfg.Auth != data.AuthNone) || a.Secret != (tc.cfg.Secret != "") {
				t.Fatalf("b33 flags %+v for %+v", a.B33Flags, tc.cfg)
			}
			now := time.Now()
			key, ls := n.publishFrom(t, srv, now)
			want, err := data.BlindingOf(srv.keys.Identity, tc.cfg.Secret).DHTKey(now)
			if err != nil || key != want || key == srv.Hash() {
				t.Fatalf("stored under %s, want the blinded key %s (%v)", key, want, err)
			}
			if !ls.BlindedWhenPublished() {
				t.Fatal("inner LeaseSet2 lacks the blinded-when-published flag")
			}

			ctx := context.Background()
			got, err := cli.ResolveB33(ctx, strings.ToUpper(srv.B33()), B33Key{Secret: tc.cfg.Secret})
			if err != nil {
				t.Fatal(err)
			}
			if got != srv.Hash() {
				t.Fatalf("resolved %s, want %s", got, srv.Hash())
			}
			held := n.store.LeaseSet(got)
			if held == nil || !bytes.Equal(held.Bytes(), ls.Bytes()) || held.Stored {
				t.Fatalf("inner LeaseSet2 not kept as a lookup answer: %+v", held)
			}
			// Later lookups of the destination's hash go to the blinded key.
			before := n.lookups[key]
			if l, err := cli.net.LookupLeaseSet(ctx, got); err != nil || l.Key != got {
				t.Fatalf("lookup by hash: %v", err)
			}
			if n.lookups[key] != before+1 || n.lookups[got] != 0 {
				t.Fatalf("lookups %v", n.lookups)
			}
			// The plain LookupB33 needs no destination.
			if in, err := LookupB33(ctx, n, srv.B33(), B33Key{Secret: tc.cfg.Secret, Key: tc.key}, now); err != nil || in.Hash() != srv.Hash() {
				t.Fatalf("LookupB33: %v", err)
			}
			if tc.cfg.Auth != data.AuthNone {
				stranger, err := New(n, Config{ClientKey: bytes.Repeat([]byte{3}, 32)})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := stranger.ResolveB33(ctx, srv.B33(), B33Key{}); !errors.Is(err, data.ErrNotAuthorized) {
					t.Fatalf("unlisted client: %v", err)
				}
				if _, err := LookupB33(ctx, n, srv.B33(), B33Key{}, now); !errors.Is(err, data.ErrClientKeyRequired) {
					t.Fatalf("no client key: %v", err)
				}
			}
			if tc.cfg.Secret != "" {
				if _, err := LookupB33(ctx, n, srv.B33(), B33Key{Secret: "wrong"}, now); err == nil {
					t.Fatal("wrong secret resolved")
				}
			}
		})
	}
}

// TestEncryptedLeaseSetMidnight: the outer expiry stops at midnight UTC,
// and the next UTC day forces a republication under a new blinded key.
func TestEncryptedLeaseSetMidnight(t *testing.T) {
	n := newELSNet()
	d, err := New(n, Config{Encrypted: &EncryptedConfig{}})
	if err != nil {
		t.Fatal(err)
	}
	late := time.Date(2026, 3, 1, 23, 58, 0, 0, time.UTC)
	leases := []tunnel.InboundLease{{Gateway: data.Hash{1}, TunnelID: 11, Expires: late.Add(10 * time.Minute)}}
	ls, err := d.buildLeaseSet(leases, late)
	if err != nil {
		t.Fatal(err)
	}
	k1, typ, b, err := d.storeEntry(ls, late)
	if err != nil || typ != i2np.StoreEncryptedLeaseSet {
		t.Fatal(typ, err)
	}
	els, err := data.ParseEncryptedLeaseSet(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := els.Expiration(); !got.Equal(late.Add(2 * time.Minute)) {
		t.Fatalf("outer expiry %v, want midnight", got)
	}
	next := late.Add(3 * time.Minute)
	if !d.enc.newDay(late, next) || d.enc.newDay(late, late.Add(time.Minute)) {
		t.Fatal("newDay")
	}
	ls2, err := d.buildLeaseSet(leases, next)
	if err != nil {
		t.Fatal(err)
	}
	if k2, _, _, err := d.storeEntry(ls2, next); err != nil || k2 == k1 {
		t.Fatalf("same blinded key after midnight (%v)", err)
	}
	if encryptedExpires(late.Add(time.Minute), late) != 60 || encryptedExpires(late, late) != 0 {
		t.Fatal("encryptedExpires")
	}
}

func TestEncryptedConfigRejects(t *testing.T) {
	n := newELSNet()
	for _, cfg := range []Config{
		{Encrypted: &EncryptedConfig{Auth: data.AuthDH}},
		{Encrypted: &EncryptedConfig{Auth: data.AuthPSK, Clients: [][]byte{{1, 2}}}},
		{Encrypted: &EncryptedConfig{Clients: [][]byte{make([]byte, 32)}}},
		{Encrypted: &EncryptedConfig{Auth: 9, Clients: [][]byte{make([]byte, 32)}}},
		{ClientKey: make([]byte, 31)},
	} {
		if _, err := New(n, cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestParseLeaseSetOptions(t *testing.T) {
	k1, k2 := data.EncodeBase64(bytes.Repeat([]byte{1}, 32)), data.EncodeBase64(bytes.Repeat([]byte{2}, 32))
	o, err := ParseLeaseSetOptions(map[string]string{"inbound.length": "2"})
	if err != nil || o.Encrypted != nil || o.ClientKey != nil {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	o, err = ParseLeaseSetOptions(map[string]string{OptLeaseSetType: "5"})
	if err != nil || o.Encrypted == nil || o.Encrypted.Auth != data.AuthNone {
		t.Fatalf("type 5: %+v %v", o, err)
	}
	o, err = ParseLeaseSetOptions(map[string]string{OptLeaseSetType: "5", OptLeaseSetAuthType: "1",
		"i2cp.leaseSetClient.dh.2": "bob:" + k2, "i2cp.leaseSetClient.dh.1": "alice:" + k1,
		"i2cp.leaseSetClient.psk.1": "carol:" + k1})
	if err != nil || o.Encrypted.Auth != data.AuthDH || len(o.Encrypted.Clients) != 2 ||
		o.Encrypted.Clients[0][0] != 1 || o.Encrypted.Clients[1][0] != 2 {
		t.Fatalf("DH: %+v %v", o.Encrypted, err)
	}
	o, err = ParseLeaseSetOptions(map[string]string{OptLeaseSetType: "5", OptLeaseSetAuthType: "2",
		"i2cp.leaseSetClient.psk.x": "carol:" + k1, OptLeaseSetPrivKey: k2})
	if err != nil || o.Encrypted.Auth != data.AuthPSK || len(o.Encrypted.Clients) != 1 || o.ClientKey[0] != 2 {
		t.Fatalf("PSK: %+v %v", o, err)
	}
	o, err = ParseLeaseSetOptions(map[string]string{OptLeaseSetType: "5", OptLeaseSetSecret: data.EncodeBase64([]byte("pw")),
		OptLeaseSetPrivKey: "ECIES_X25519:" + k1})
	if err != nil || o.Encrypted.Secret != "pw" || o.ClientKey[0] != 1 {
		t.Fatalf("secret, typed key: %+v %v", o, err)
	}
	for _, bad := range []map[string]string{
		{OptLeaseSetType: "1"},
		{OptLeaseSetType: "x"},
		{OptLeaseSetAuthType: "1"}, // without type 5
		{OptLeaseSetType: "5", OptLeaseSetAuthType: "3"},
		{OptLeaseSetType: "5", OptLeaseSetAuthType: "1"}, // no clients
		{OptLeaseSetType: "5", OptLeaseSetAuthType: "1", "i2cp.leaseSetClient.dh.1": k1},
		{OptLeaseSetType: "5", OptLeaseSetAuthType: "2", "i2cp.leaseSetClient.psk.1": "a:AAAA"},
		{OptLeaseSetPrivKey: "not base64!"},
		{OptLeaseSetType: "5", OptLeaseSetSecret: "pw!"},
	} {
		if o, err := ParseLeaseSetOptions(bad); err == nil {
			t.Errorf("%v accepted: %+v", bad, o)
		}
	}
}
