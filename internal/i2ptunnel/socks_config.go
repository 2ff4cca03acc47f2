package i2ptunnel

import (
	"fmt"
	"net"
	"strconv"

	"github.com/veil-i2p/veil/internal/config"
)

// SOCKSConfigOf reads a `type = socks` section of tunnels.conf with
// i2pd's keys: port (required), address (127.0.0.1), outproxy (an
// upstream SOCKS5 proxy's host for hosts outside I2P, none if unset)
// and destinationport (its port, as i2pd reads it; 0 or absent: 9050). keys and the inbound./outbound./i2cp. options
// belong to the destination.
func SOCKSConfigOf(t *config.Tunnel) (SOCKSConfig, error) {
	if t.Type != config.TunnelSOCKS {
		return SOCKSConfig{}, fmt.Errorf("i2ptunnel: [%s] is a %s tunnel, not socks", t.Name, t.Type)
	}
	port, err := t.Int("port", 0, 1, 65535)
	if err != nil {
		return SOCKSConfig{}, err
	}
	opPort, err := t.Int("destinationport", 0, 0, 65535)
	if err != nil {
		return SOCKSConfig{}, err
	}
	cfg := SOCKSConfig{Name: t.Name, Address: t.String("address", "127.0.0.1"), Port: port}
	if opPort == 0 {
		opPort = 9050
	}
	if op := t.String("outproxy", ""); op != "" {
		cfg.Outproxy = net.JoinHostPort(op, strconv.Itoa(opPort))
	}
	if _, err := NewSOCKSProxy(cfg, nil, nil, nil); err != nil {
		return SOCKSConfig{}, err
	}
	return cfg, nil
}
