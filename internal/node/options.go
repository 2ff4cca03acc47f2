package node

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/router"
)

// reservedFiles is how many of limits.openfiles the router keeps for
// files other than sessions (logs, netDb writes, the control socket).
const reservedFiles = 64

// routerConfig picks what the router uses out of the options.
func routerConfig(o *config.Options, logger *slog.Logger) router.Config {
	port := o.Port
	if o.NTCP2.Port != 0 {
		port = o.NTCP2.Port
	}
	maxSessions := 0 // the transport's default
	if o.Limits.OpenFiles > 0 {
		// Each session holds a socket: stay under the file limit.
		maxSessions = max(o.Limits.OpenFiles-reservedFiles, 16)
	}
	return router.Config{
		DataDir:        o.DataDir,
		NetID:          o.NetID,
		Host:           o.Host,
		Port:           port,
		Floodfill:      o.Floodfill,
		Bandwidth:      o.Bandwidth,
		Share:          o.Share,
		NTCP2Enabled:   o.NTCP2.Enabled,
		NTCP2Published: o.NTCP2.Published,
		SSU2:           ssu2Config(o),
		NoIPv4:         !o.IPv4,
		IPv6:           o.IPv6,
		Address4:       o.Address4,
		Address6:       o.Address6,
		NTCP2AddressV6: o.NTCP2.AddressV6,
		AllowReserved:  !o.ReservedRange,
		MaxSessions:    maxSessions,
		NoTransit:      o.NoTransit || o.Share == 0, // sharing 0% carries nothing
		MaxTransit:     o.Limits.TransitTunnels,
		Exploratory: router.PoolShape{
			InboundLength: o.Exploratory.InboundLength, OutboundLength: o.Exploratory.OutboundLength,
			InboundQuantity: o.Exploratory.InboundQuantity, OutboundQuantity: o.Exploratory.OutboundQuantity,
		},
		Reseed: router.ReseedConfig{
			Threshold: o.Reseed.Threshold, Verify: o.Reseed.Verify, URLs: o.Reseed.URLs,
			File: o.Reseed.File, ZipFile: o.Reseed.ZipFile, Proxy: o.Reseed.Proxy, CertsDir: o.CertsDir,
		},
		AddressBook: addressBookConfig(o),
		SAM:         samConfig(o),
		BOB:         bobConfig(o),
		Logger:      logger,
	}
}

// ssu2Config picks the [ssu2] options (on by default, as in i2pd).
func ssu2Config(o *config.Options) router.SSU2Config {
	port := o.SSU2.Port
	if port == 0 {
		port = o.Port // i2pd: ssu2.port, else port
	}
	return router.SSU2Config{
		Enabled:   o.SSU2.Enabled,
		Published: o.SSU2.Published,
		Port:      port,
		MTU4:      o.SSU2.MTU4,
		MTU6:      o.SSU2.MTU6,
	}
}

// destinations are the local destinations of tunnels.conf: one per
// tunnel, keys from its keys= file (transient when absent), tunnel pool
// from its inbound./outbound. options with i2pd's defaults, encrypted
// LeaseSet from its i2cp.leaseSet* options.
func destinations(tunnels []config.Tunnel) ([]router.DestinationConfig, error) {
	var out []router.DestinationConfig
	for _, t := range tunnels {
		dc, err := destination(&t)
		if err != nil {
			return nil, err
		}
		out = append(out, dc)
	}
	return out, nil
}

// destination is the local destination of one tunnels.conf section.
func destination(t *config.Tunnel) (router.DestinationConfig, error) {
	var p router.PoolShape
	for _, f := range []struct {
		key      string
		def, max int
		v        *int
	}{
		{"inbound.length", 3, 7, &p.InboundLength}, {"outbound.length", 3, 7, &p.OutboundLength},
		{"inbound.quantity", 5, 16, &p.InboundQuantity}, {"outbound.quantity", 5, 16, &p.OutboundQuantity},
	} {
		n, err := t.Int(f.key, f.def, 0, f.max)
		if err != nil {
			return router.DestinationConfig{}, err
		}
		*f.v = n
	}
	ls, err := client.ParseLeaseSetOptions(t.Options)
	if err != nil {
		return router.DestinationConfig{}, fmt.Errorf("%s:%d: [%s] %w", t.Source, t.Line, t.Name, err)
	}
	dc := router.DestinationConfig{Name: t.Name, KeysFile: keysFile(t.String("keys", "")), Pool: p, LeaseSet: ls}
	if err := udpTunnel(t, &dc); err != nil {
		return router.DestinationConfig{}, err
	}
	if err := tcpTunnel(t, &dc); err != nil {
		return router.DestinationConfig{}, err
	}
	return dc, nil
}

// keysFile is a tunnel's keys file: "" for i2pd's transient keys
// ("transient", or "transient-…" to share one among tunnels; veil makes
// each transient destination anew).
func keysFile(k string) string {
	if strings.HasPrefix(k, "transient") {
		return ""
	}
	return k
}

// udpTunnel reads a section's i2cp.leaseSetEncType and, for a udpclient
// or udpserver, its tunnel.
func udpTunnel(t *config.Tunnel, dc *router.DestinationConfig) error {
	wrap := func(err error) error { return fmt.Errorf("%s:%d: [%s] %w", t.Source, t.Line, t.Name, err) }
	if v, ok := t.Options[client.OptLeaseSetEncType]; ok {
		types, err := client.ParseEncTypes(v)
		if err != nil {
			return wrap(err)
		}
		dc.EncTypes = types
	}
	switch t.Type {
	case config.TunnelUDPClient:
		c, err := i2ptunnel.UDPClientConfigOf(t)
		if err != nil {
			return wrap(err)
		}
		dc.UDPClient = &c
	case config.TunnelUDPServer:
		s, err := i2ptunnel.UDPServerConfigOf(t)
		if err != nil {
			return wrap(err)
		}
		dc.UDPServer = &s
	}
	return nil
}
