package i2ptunnel

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/data"
)

func TestTCPConfigOf(t *testing.T) {
	h := data.Hash{1, 2, 3}
	c, err := ClientConfigOf(&config.Tunnel{Name: "irc", Type: config.TunnelClient, Options: map[string]string{
		"port": "6668", "destination": "irc.postman.i2p", "destinationport": "6667", "connecttimeout": "30"}})
	want := ClientConfig{Name: "irc", Address: "127.0.0.1", Port: 6668, Destination: "irc.postman.i2p", DestinationPort: 6667, ConnectTimeout: 30 * time.Second}
	if err != nil || !reflect.DeepEqual(c, want) {
		t.Errorf("client: %v\n%+v\n%+v", err, c, want)
	}
	s, err := ServerConfigOf(&config.Tunnel{Name: "web", Type: config.TunnelHTTP, Options: map[string]string{
		"host": "127.0.0.1", "port": "8080", "keys": "web.dat", "inport": "80", "hostoverride": "site.i2p",
		"accesslist": h.B32() + ", " + data.EncodeBase64(h[:]), "enableuniquelocal": "false"}})
	wantS := ServerConfig{Name: "web", Type: TypeHTTP, Host: "127.0.0.1", Port: 8080, InPort: 80, HostOverride: "site.i2p",
		AccessList: []data.Hash{h, h}}
	if err != nil || !reflect.DeepEqual(s, wantS) {
		t.Errorf("server: %v\n%+v\n%+v", err, s, wantS)
	}
	for _, bad := range []config.Tunnel{
		{Name: "a", Type: config.TunnelClient, Options: map[string]string{"port": "1"}},
		{Name: "b", Type: config.TunnelClient, Options: map[string]string{"port": "0", "destination": "x.i2p"}},
		{Name: "c", Type: config.TunnelServer, Options: map[string]string{"port": "80"}},
		{Name: "d", Type: config.TunnelServer, Options: map[string]string{"host": "h", "port": "80", "accesslist": "nope"}},
		{Name: "e", Type: config.TunnelUDPServer, Options: map[string]string{"host": "h", "port": "80"}},
	} {
		_, cerr := ClientConfigOf(&bad)
		_, serr := ServerConfigOf(&bad)
		if cerr == nil || serr == nil {
			t.Errorf("[%s] accepted: %v %v", bad.Name, cerr, serr)
		}
	}
	if _, err := parseAccessList(strings.Repeat("a", 52)); err != nil {
		t.Errorf("bare Base32: %v", err)
	}
}
