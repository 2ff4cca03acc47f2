package node

import (
	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/router"
)

// samConfig is the [sam] section: the bridge runs when sam.enabled (on
// by default, as in i2pd; off for embedded routers unless asked for).
func samConfig(o *config.Options) *router.SAMConfig {
	if !o.SAM.Enabled {
		return nil
	}
	return &router.SAMConfig{Address: o.SAM.Address, Port: o.SAM.Port, PortUDP: o.SAM.PortUDP}
}
