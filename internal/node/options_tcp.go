package node

import (
	"fmt"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/router"
	"github.com/veil-i2p/veil/internal/streaming"
)

// tcpTunnel reads a section's streaming options (i2p.streaming.*,
// i2cp.accessList, …) and, for a client, server, http, irc or httpproxy
// section, its tunnel. The streaming MTU stays 1812 for destinations that also have
// an ElGamal key: the peer's MAX_PACKET_SIZE lowers it to 1730 where that
// peer is ElGamal-only (proposal 155, case 5).
func tcpTunnel(t *config.Tunnel, dc *router.DestinationConfig) error {
	wrap := func(err error) error { return fmt.Errorf("%s:%d: [%s] %w", t.Source, t.Line, t.Name, err) }
	o, err := streaming.ParseOptions(t.Options)
	if err != nil {
		return wrap(err)
	}
	dc.Streaming = &o
	switch {
	case t.Type == config.TunnelClient || t.IsIRCClient():
		c, err := i2ptunnel.ClientConfigOf(t)
		if err != nil {
			return wrap(err)
		}
		dc.TCPClient = &c
	case t.Type == config.TunnelServer || t.Type == config.TunnelHTTP || t.Type == config.TunnelIRC:
		s, err := i2ptunnel.ServerConfigOf(t)
		if err != nil {
			return wrap(err)
		}
		dc.TCPServer = &s
	case t.Type == config.TunnelHTTPProxy:
		p, err := i2ptunnel.HTTPProxyConfigOf(t)
		if err != nil {
			return wrap(err)
		}
		dc.HTTPProxy = &p
	case t.Type == config.TunnelSOCKS:
		p, err := i2ptunnel.SOCKSConfigOf(t)
		if err != nil {
			return wrap(err)
		}
		dc.SOCKSProxy = &p
	}
	return nil
}
