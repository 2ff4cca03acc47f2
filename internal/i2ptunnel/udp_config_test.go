package i2ptunnel

import (
	"testing"

	"github.com/veil-i2p/veil/internal/config"
)

func TestUDPConfigOf(t *testing.T) {
	ts, err := config.ParseTunnels("tunnels.conf", []byte(`
[cli]
type = udpclient
destination = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b32.i2p
destinationport = 53
port = 5353

[srv]
type = udpserver
host = ::1
port = 53
keys = srv.dat
gzip = true
enableuniquelocal = false
inbound.length = 1
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := UDPClientConfigOf(&ts[0])
	if err != nil || c.Address != "127.0.0.1" || c.Port != 5353 || c.DestinationPort != 53 || !c.Gzip || c.Name != "cli" {
		t.Fatalf("%+v %v", c, err)
	}
	s, err := UDPServerConfigOf(&ts[1])
	if err != nil || s.Host != "::1" || s.Port != 53 || !s.Gzip || s.UniqueLocal || s.Address != "" {
		t.Fatalf("%+v %v", s, err)
	}
	if _, err := UDPClientConfigOf(&ts[1]); err == nil {
		t.Fatal("server read as client")
	}
	bad, err := config.ParseTunnels("t", []byte("[s]\ntype = udpserver\nhost = localhost\nport = 1\nkeys = k\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UDPServerConfigOf(&bad[0]); err == nil {
		t.Fatal("host name accepted (i2pd takes addresses only)")
	}
}
