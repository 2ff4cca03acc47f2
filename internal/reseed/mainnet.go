package reseed

import (
	"net/url"
	"strings"
)

// mainNetHosts are the hosts of the public network's reseed servers:
// i2pd 2.45.1's default reseed.urls and Java I2P's default list. A
// private network must never reseed from them. The table is never
// written after init.
var mainNetHosts = map[string]bool{
	"reseed2.i2p.net":            true,
	"reseed.diva.exchange":       true,
	"reseed-fr.i2pd.xyz":         true,
	"reseed.memcpy.io":           true,
	"reseed.onion.im":            true,
	"i2pseed.creativecowpat.net": true,
	"reseed.i2pgit.org":          true,
	"i2p.novg.net":               true,
	"banana.incognet.io":         true,
	"reseed-pl.i2pd.xyz":         true,
	"www2.mk16.de":               true,
	"reseed.stormycloud.org":     true,
	"i2p.ghativega.in":           true,
	"reseed.sahil.world":         true,
	"coconut.incognet.io":        true,
	"reseed-backup.i2pd.xyz":     true,
	"reseed.i2p-projekt.de":      true,
	"reseed.i2p.vzaws.com":       true,
	"i2pseed.zcore.xyz":          true,
	"reseed.i2p.net":             true,
	"netdb.i2p2.no":              true,
	"download.xxlspeed.com":      true,
	"reseed-i2p.stormycloud.org": true,
	"reseed.atomike.ninja":       true,
	"i2p.mooo.com":               true,
	"uk.reseed.i2p2.no":          true,
	"us.reseed.i2p2.no":          true,
	"reseed.info":                true,
	"ieb9oopo.mooo.com":          true,
}

// IsMainNetURL reports whether u names one of the public network's
// reseed servers.
func IsMainNetURL(u string) bool {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil {
		return false
	}
	return mainNetHosts[strings.TrimSuffix(strings.ToLower(p.Hostname()), ".")]
}
