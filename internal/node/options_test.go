package node

import (
	"testing"

	"github.com/veil-i2p/veil/internal/config"
)

func TestRouterConfigFromOptions(t *testing.T) {
	o, err := config.Load([]string{"--datadir=" + t.TempDir(), "--ipv6", "--address4=127.0.0.1", "--reservedrange=false",
		"--limits.openfiles=200", "--ntcp2.port=12345"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := routerConfig(o, nil)
	if c.NoIPv4 || !c.IPv6 || c.Address4 != "127.0.0.1" || !c.AllowReserved || c.MaxSessions != 136 || c.Port != 12345 {
		t.Fatalf("%+v", c)
	}
	o, _ = config.Load([]string{"--datadir=" + t.TempDir()}, nil)
	if c := routerConfig(o, nil); c.AllowReserved || c.MaxSessions != 0 || c.NoIPv4 || c.IPv6 {
		t.Fatalf("defaults %+v", c)
	}
}
