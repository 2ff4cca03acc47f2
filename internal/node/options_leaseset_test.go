package node

import (
	"strings"
	"testing"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/data"
)

// TestDestinationsLeaseSetOptions: tunnels.conf's i2cp.leaseSet* keys
// reach the destination config, and bad ones name the tunnel.
func TestDestinationsLeaseSetOptions(t *testing.T) {
	key := data.EncodeBase64(make([]byte, 32))
	conf := "[plain]\ntype = server\nhost = 127.0.0.1\nport = 80\nkeys = a.dat\n" +
		"[hidden]\ntype = server\nhost = 127.0.0.1\nport = 81\nkeys = b.dat\n" +
		"i2cp.leaseSetType = 5\ni2cp.leaseSetAuthType = 2\ni2cp.leaseSetClient.psk.1 = alice:" + key + "\n"
	tunnels, err := config.ParseTunnels("t.conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := destinations(tunnels)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].LeaseSet.Encrypted != nil || ds[1].LeaseSet.Encrypted == nil ||
		ds[1].LeaseSet.Encrypted.Auth != data.AuthPSK || len(ds[1].LeaseSet.Encrypted.Clients) != 1 {
		t.Fatalf("%+v", ds)
	}
	tunnels, err = config.ParseTunnels("t.conf", []byte(conf+"i2cp.leaseSetClient.psk.2 = bob:short\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := destinations(tunnels); err == nil || !strings.Contains(err.Error(), "[hidden]") {
		t.Fatalf("bad client key: %v", err)
	}
}
