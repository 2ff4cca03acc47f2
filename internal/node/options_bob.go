package node

import (
	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/router"
)

// bobConfig is the [bob] section: the bridge runs when bob.enabled (off
// by default, as in i2pd).
func bobConfig(o *config.Options) *router.BOBConfig {
	if !o.BOB.Enabled {
		return nil
	}
	return &router.BOBConfig{Address: o.BOB.Address, Port: o.BOB.Port}
}
