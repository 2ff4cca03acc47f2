package node

import (
	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/router"
)

// addressBookConfig is the [addressbook] section, nil when
// addressbook.enabled is false. On a private network (netid other than
// 2) the default subscriptions and default URL, which name the public
// network's registries, are dropped: only URLs given explicitly are
// fetched, so a test network never tries to reach the live one.
func addressBookConfig(o *config.Options) *router.AddressBookConfig {
	ab := &o.AddressBook
	if !ab.Enabled {
		return nil
	}
	c := &router.AddressBookConfig{Subscriptions: ab.Subscriptions, DefaultURL: ab.DefaultURL, HostsFile: ab.HostsFile}
	if o.NetID != router.MainNetID {
		if !o.IsSet("addressbook.subscriptions") {
			c.Subscriptions = nil
		}
		if !o.IsSet("addressbook.defaulturl") {
			c.DefaultURL = ""
		}
	}
	var subs []string
	for _, s := range c.Subscriptions {
		if s != "" {
			subs = append(subs, s)
		}
	}
	c.Subscriptions = subs
	return c
}
