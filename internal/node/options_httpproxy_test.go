package node

import (
	"strings"
	"testing"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/router"
)

// TestHTTPProxyOptions: [httpproxy] is on by default, as in i2pd, on
// 127.0.0.1:4444 with a transient destination and its own pool; off
// with httpproxy.enabled = false; an outproxy veil cannot use is refused;
// a `type = httpproxy` section becomes a proxy on its destination.
func TestHTTPProxyOptions(t *testing.T) {
	o := config.Default()
	dc, err := httpProxy(o)
	if err != nil || dc == nil {
		t.Fatalf("default: %v %v", dc, err)
	}
	want := i2ptunnel.HTTPProxyConfig{Name: "httpproxy", Address: "127.0.0.1", Port: 4444, AddressHelper: true}
	pool := router.PoolShape{InboundLength: 3, OutboundLength: 3, InboundQuantity: 5, OutboundQuantity: 5}
	if *dc.HTTPProxy != want || dc.KeysFile != "" || dc.Pool != pool || len(dc.EncTypes) != 2 {
		t.Errorf("default: %+v %+v", dc, dc.HTTPProxy)
	}
	o.HTTPProxy.Enabled = false
	if dc, err := httpProxy(o); dc != nil || err != nil {
		t.Errorf("disabled: %v %v", dc, err)
	}
	o = config.Default()
	o.HTTPProxy.OutProxy = "socks://127.0.0.1:9050"
	if _, err := httpProxy(o); err == nil {
		t.Error("socks outproxy taken")
	}
	ds, err := destinationsOf("[p]\ntype = httpproxy\nport = 4445\nkeys = proxy.dat\noutproxy = http://" +
		strings.Repeat("a", 52) + ".b32.i2p\ninbound.length = 1\n")
	if err != nil || len(ds) != 1 || ds[0].HTTPProxy == nil || ds[0].HTTPProxy.Port != 4445 || ds[0].KeysFile != "proxy.dat" ||
		ds[0].Pool.InboundLength != 1 {
		t.Fatalf("section: %+v %v", ds, err)
	}
}
