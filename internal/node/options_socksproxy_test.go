package node

import (
	"testing"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/router"
)

// TestSOCKSProxyOptions: [socksproxy] is on by default, as in i2pd, on
// 127.0.0.1:4447 with its own destination and pool; the outproxy only
// with socksproxy.outproxy.enabled; `type = socks` sections.
func TestSOCKSProxyOptions(t *testing.T) {
	o := config.Default()
	dc, err := socksProxy(o)
	if err != nil || dc == nil {
		t.Fatalf("default: %v %v", dc, err)
	}
	want := i2ptunnel.SOCKSConfig{Name: "socksproxy", Address: "127.0.0.1", Port: 4447}
	pool := router.PoolShape{InboundLength: 3, OutboundLength: 3, InboundQuantity: 5, OutboundQuantity: 5}
	if *dc.SOCKSProxy != want || dc.KeysFile != "" || dc.Pool != pool || dc.HTTPProxy != nil {
		t.Errorf("default: %+v %+v", dc, dc.SOCKSProxy)
	}
	o.SOCKSProxy.OutProxyEnabled, o.SOCKSProxy.User, o.SOCKSProxy.Password = true, "u", "p"
	if dc, err := socksProxy(o); err != nil || dc.SOCKSProxy.Outproxy != "127.0.0.1:9050" || dc.SOCKSProxy.User != "u" {
		t.Errorf("outproxy: %+v %v", dc.SOCKSProxy, err)
	}
	o.SOCKSProxy.Enabled = false
	if dc, err := socksProxy(o); dc != nil || err != nil {
		t.Errorf("disabled: %v %v", dc, err)
	}
	ds, err := destinationsOf("[s]\ntype = socks\nport = 4448\noutproxy = 127.0.0.1\ndestinationport = 9150\n")
	if err != nil || len(ds) != 1 || ds[0].SOCKSProxy == nil || ds[0].SOCKSProxy.Port != 4448 || ds[0].SOCKSProxy.Outproxy != "127.0.0.1:9150" {
		t.Fatalf("section: %+v %v", ds, err)
	}
	if ds, err := destinationsOf("[s]\ntype = socks\nport = 4448\n"); err != nil || ds[0].SOCKSProxy.Outproxy != "" {
		t.Fatalf("section without outproxy: %+v %v", ds, err)
	}
}
