package i2ptunnel

import (
	"fmt"

	"github.com/veil-i2p/veil/internal/config"
)

// UDPClientConfigOf reads a `type = udpclient` section of tunnels.conf
// with i2pd 2.45's keys and defaults: destination and port (required),
// address (127.0.0.1), destinationport (0), gzip (true). keys and the
// inbound./outbound./i2cp. options belong to the destination.
func UDPClientConfigOf(t *config.Tunnel) (UDPClientConfig, error) {
	if t.Type != config.TunnelUDPClient {
		return UDPClientConfig{}, fmt.Errorf("i2ptunnel: [%s] is a %s tunnel, not udpclient", t.Name, t.Type)
	}
	port, err := t.Int("port", 0, 1, 65535)
	if err != nil {
		return UDPClientConfig{}, err
	}
	dport, err := t.Int("destinationport", 0, 0, 65535)
	if err != nil {
		return UDPClientConfig{}, err
	}
	gzip, err := t.Bool("gzip", true)
	if err != nil {
		return UDPClientConfig{}, err
	}
	return UDPClientConfig{Name: t.Name, Address: t.String("address", "127.0.0.1"), Port: port,
		Destination: t.String("destination", ""), DestinationPort: uint16(dport), Gzip: gzip}, nil
}

// UDPServerConfigOf reads a `type = udpserver` section of tunnels.conf
// with i2pd 2.45's keys and defaults: host, port and keys (required),
// address (127.0.0.1, or ::1 for an IPv6 host), gzip (false),
// enableuniquelocal (true). i2pd ignores inport for UDP, and so does
// veil: every datagram to the destination goes to the service.
func UDPServerConfigOf(t *config.Tunnel) (UDPServerConfig, error) {
	if t.Type != config.TunnelUDPServer {
		return UDPServerConfig{}, fmt.Errorf("i2ptunnel: [%s] is a %s tunnel, not udpserver", t.Name, t.Type)
	}
	port, err := t.Int("port", 0, 1, 65535)
	if err != nil {
		return UDPServerConfig{}, err
	}
	gzip, err := t.Bool("gzip", false)
	if err != nil {
		return UDPServerConfig{}, err
	}
	unique, err := t.Bool("enableuniquelocal", true)
	if err != nil {
		return UDPServerConfig{}, err
	}
	cfg := UDPServerConfig{Name: t.Name, Host: t.String("host", ""), Port: port, Address: t.String("address", ""),
		UniqueLocal: unique, Gzip: gzip}
	// The addresses are checked now, so a typo fails at start.
	if _, err := NewUDPServer(cfg, nil, nil); err != nil {
		return UDPServerConfig{}, err
	}
	return cfg, nil
}
