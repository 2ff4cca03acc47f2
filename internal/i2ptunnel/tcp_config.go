package i2ptunnel

import (
	"fmt"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/data"
)

// ClientConfigOf reads a `type = client` section of tunnels.conf with
// i2pd 2.45's keys and defaults: port and destination (required),
// address (127.0.0.1), destinationport (0), connecttimeout (seconds, 0
// for the default); and an IRC client tunnel (`type = irc` with a
// destination), filtered, passing DCC with enabledcc = true. keys and the inbound./outbound./i2cp. options belong
// to the destination.
func ClientConfigOf(t *config.Tunnel) (ClientConfig, error) {
	if t.Type != config.TunnelClient && !t.IsIRCClient() {
		return ClientConfig{}, fmt.Errorf("i2ptunnel: [%s] is a %s tunnel, not client", t.Name, t.Type)
	}
	dcc, err := t.Bool("enabledcc", false)
	if err != nil {
		return ClientConfig{}, err
	}
	port, err := t.Int("port", 0, 1, 65535)
	if err != nil {
		return ClientConfig{}, err
	}
	dport, err := t.Int("destinationport", 0, 0, 65535)
	if err != nil {
		return ClientConfig{}, err
	}
	timeout, err := t.Int("connecttimeout", 0, 0, 3600)
	if err != nil {
		return ClientConfig{}, err
	}
	dest := t.String("destination", "")
	if dest == "" {
		return ClientConfig{}, fmt.Errorf("i2ptunnel: [%s] needs a destination", t.Name)
	}
	return ClientConfig{Name: t.Name, Address: t.String("address", "127.0.0.1"), Port: port, Destination: dest,
		DestinationPort: uint16(dport), ConnectTimeout: time.Duration(timeout) * time.Second,
		IRC: t.IsIRCClient(), AllowDCC: dcc}, nil
}

// ServerConfigOf reads a `type = server|http|irc` section of tunnels.conf
// with i2pd 2.45's keys and defaults: host, port and keys (required),
// inport (0: every port), accesslist (or whitelist: comma-separated
// ….b32.i2p or Base64 hashes), hostoverride, webircpassword, address,
// enableuniquelocal (true).
func ServerConfigOf(t *config.Tunnel) (ServerConfig, error) {
	switch t.Type {
	case config.TunnelServer, config.TunnelHTTP, config.TunnelIRC:
	default:
		return ServerConfig{}, fmt.Errorf("i2ptunnel: [%s] is a %s tunnel, not a server", t.Name, t.Type)
	}
	port, err := t.Int("port", 0, 1, 65535)
	if err != nil {
		return ServerConfig{}, err
	}
	inport, err := t.Int("inport", 0, 0, 65535)
	if err != nil {
		return ServerConfig{}, err
	}
	unique, err := t.Bool("enableuniquelocal", true)
	if err != nil {
		return ServerConfig{}, err
	}
	list := t.String("accesslist", "")
	if list == "" {
		list = t.String("whitelist", "")
	}
	access, err := parseAccessList(list)
	if err != nil {
		return ServerConfig{}, fmt.Errorf("i2ptunnel: [%s] accesslist: %w", t.Name, err)
	}
	cfg := ServerConfig{Name: t.Name, Type: t.Type, Host: t.String("host", ""), Port: port, InPort: uint16(inport),
		AccessList: access, HostOverride: t.String("hostoverride", ""), WebIRCPassword: t.String("webircpassword", ""),
		Address: t.String("address", ""), UniqueLocal: unique}
	if _, err := NewServer(cfg, nil, nil); err != nil {
		return ServerConfig{}, err
	}
	return cfg, nil
}

// parseAccessList reads i2pd's accesslist: identity hashes, comma
// separated, as ….b32.i2p addresses, their 52 Base32 characters, or
// Base64.
func parseAccessList(s string) ([]data.Hash, error) {
	var out []data.Hash
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		var raw []byte
		var err error
		if b, ok := strings.CutSuffix(strings.ToLower(f), ".b32.i2p"); ok || len(f) == 52 {
			if !ok {
				b = strings.ToLower(f)
			}
			raw, err = data.DecodeBase32(b)
		} else {
			raw, err = data.DecodeBase64(f)
		}
		if err != nil || len(raw) != len(data.Hash{}) {
			return nil, fmt.Errorf("%q is no destination hash", f)
		}
		out = append(out, data.Hash(raw))
	}
	return out, nil
}
