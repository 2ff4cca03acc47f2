package node

import (
	"slices"
	"strings"
	"testing"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/crypto"
)

// TestDestinationsUDPTunnels: udpclient and udpserver sections become UDP
// tunnels on their destinations, with i2pd's keys and defaults;
// i2cp.leaseSetEncType picks the LeaseSet's keys; transient keys make a
// transient destination.
func TestDestinationsUDPTunnels(t *testing.T) {
	conf := "[dns]\ntype = udpclient\ndestination = " + strings.Repeat("a", 52) + ".b32.i2p\nport = 5353\ndestinationport = 53\n" +
		"keys = transient-dns\ni2cp.leaseSetEncType = 0,4\n" +
		"[srv]\ntype = udpserver\nhost = 127.0.0.1\nport = 53\nkeys = srv.dat\n"
	tunnels, err := config.ParseTunnels("t.conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := destinations(tunnels)
	if err != nil {
		t.Fatal(err)
	}
	c, s := ds[0], ds[1]
	if c.UDPClient == nil || c.UDPClient.Port != 5353 || c.UDPClient.DestinationPort != 53 || !c.UDPClient.Gzip ||
		c.KeysFile != "" || !slices.Equal(c.EncTypes, []crypto.EncType{0, 4}) || c.UDPServer != nil {
		t.Fatalf("udpclient %+v", c)
	}
	if s.UDPServer == nil || s.UDPServer.Port != 53 || s.UDPServer.Gzip || !s.UDPServer.UniqueLocal || s.KeysFile != "srv.dat" || s.EncTypes != nil {
		t.Fatalf("udpserver %+v", s)
	}
	for _, bad := range []string{"i2cp.leaseSetEncType = 1\n", "address = nowhere\n"} {
		tunnels, err := config.ParseTunnels("t.conf", []byte(conf+bad))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := destinations(tunnels); err == nil || !strings.Contains(err.Error(), "[srv]") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
