package router

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/ssu2"
)

// SSU2Config is the SSU2 part of Config: i2pd's [ssu2] options.
type SSU2Config struct {
	Enabled   bool
	Published bool
	Port      int // 0: the router's port (Config.Port or the one it keeps)
	// MTU4 and MTU6 are our MTUs per family, 1280..1500; 0 means 1500.
	// A non-default MTU is published ("MTU": routers must).
	MTU4, MTU6 int
}

// SSU2KeysFile holds the SSU2 static key pair and intro key, in i2pd's
// layout.
const SSU2KeysFile = "ssu2.keys"

// Address costs as i2pd publishes them (RouterInfo.h: COST_SSU2_DIRECT,
// COST_SSU2_NON_PUBLISHED). A published NTCP2 address costs 3, so peers
// that pick by cost, as veil's Manager does, prefer NTCP2.
const (
	costSSU2Published   = 8
	costSSU2Unpublished = 15
)

// ssu2PublishedCaps are a published address's caps, as i2pd's: B, we
// test peers (as Bob and Charlie); C, we introduce (relay Bob).
const ssu2PublishedCaps = "BC"

// ssu2PeerTestInterval is how often we test our published SSU2
// addresses' reachability once a test was conclusive.
const ssu2PeerTestInterval = 20 * time.Minute

// ssu2Keys loads ssu2.keys, creating it on first use; nil when SSU2 is
// off.
func ssu2Keys(cfg *Config) (*keyfile.StaticKeys, error) {
	if !cfg.SSU2.Enabled {
		return nil, nil
	}
	k, _, err := keyfile.LoadOrCreateStatic(filepath.Join(cfg.DataDir, SSU2KeysFile), keyfile.SSU2IntroLen, cfg.rand())
	if err != nil {
		return nil, fmt.Errorf("router: ssu2 keys: %w", err)
	}
	return k, nil
}

// addSSU2Addresses adds our SSU2 addresses to ri, as i2pd publishes them
// (ssu2.rst, "Published Router Info"): one per family with a known host
// (host, port, s, i, v=2, and mtu when not 1500), or, when unpublished,
// one with s, i, v=2 and caps 4/6 only, which peers need to check our
// Session Confirmed. It reports whether an address was published.
func addSSU2Addresses(cfg *Config, ri *data.RouterInfo, port int) (bool, error) {
	keys, err := ssu2Keys(cfg)
	if keys == nil || err != nil {
		return false, err
	}
	if cfg.SSU2.Port != 0 {
		port = cfg.SSU2.Port
	}
	var hosts []string
	if cfg.SSU2.Published {
		hosts = publishedHosts(cfg)
	}
	for _, host := range hosts {
		a := ssu2Address(keys)
		a.Cost = costSSU2Published
		a.Options.Set("host", host)
		a.Options.Set("port", strconv.Itoa(port))
		a.Options.Set("caps", ssu2PublishedCaps)
		mtu := cfg.SSU2.MTU4
		if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
			mtu = cfg.SSU2.MTU6
		}
		if mtu != 0 && mtu != ssu2.DefaultMTU {
			a.Options.Set("mtu", strconv.Itoa(mtu))
		}
		ri.Addresses = append(ri.Addresses, a)
	}
	if len(hosts) == 0 {
		a := ssu2Address(keys)
		a.Cost = costSSU2Unpublished
		a.Options.Set("caps", outboundCaps(cfg))
		ri.Addresses = append(ri.Addresses, a)
	}
	return len(hosts) > 0, nil
}

// ssu2Address is an SSU2 address with our static key, intro key and
// version.
func ssu2Address(keys *keyfile.StaticKeys) data.RouterAddress {
	a := data.RouterAddress{Transport: "SSU2"}
	a.Options.Set("s", data.EncodeBase64(keys.Public[:]))
	a.Options.Set("i", data.EncodeBase64(keys.Extra))
	a.Options.Set("v", "2")
	return a
}

// newSSU2 creates the SSU2 transport if it is enabled: it listens on the
// published port (every interface of each enabled family, unless
// address4/address6 say otherwise), or on random ports for outbound
// sessions only.
func (r *Router) newSSU2(mgr *transport.Manager) (transport.Transport, error) {
	keys, err := ssu2Keys(&r.cfg)
	if keys == nil || err != nil {
		return nil, err
	}
	r.mu.Lock()
	rkeys, store := r.keys, r.netdb
	r.mu.Unlock()
	signer, err := rkeys.Signer()
	if err != nil {
		return nil, fmt.Errorf("router: signer: %w", err)
	}
	var lookup func(data.Hash) *data.RouterInfo
	if store != nil {
		lookup = store.Get
	}
	t, err := ssu2.New(ssu2.Config{
		NetID:       r.cfg.NetID,
		StaticKeys:  keys,
		RouterInfo:  r.RouterInfo,
		Handler:     mgr,
		ListenAddrs: r.listenAddrs("SSU2"),
		MTU4:        r.cfg.SSU2.MTU4,
		MTU6:        r.cfg.SSU2.MTU6,
		Logger:      r.log.With("transport", "SSU2"),
		Now:         r.cfg.Now,
		Rand:        r.cfg.Rand,
		Banned:      mgr.IPBlocked,
		Ban:         mgr.BanIP,
		NoIPv4:      r.cfg.NoIPv4,
		NoIPv6:      !r.cfg.IPv6,
		KeepAlive:   sessionKeepAlive,

		Signer:           signer,
		LookupRouterInfo: lookup,
		PeerTestInterval: ssu2PeerTestInterval,
		Introduce:        r.cfg.SSU2.Published,
	})
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	return t, nil
}

// ssu2Reachability puts the SSU2 peer tests' verdict on our published
// addresses into rs, IPv4's first, when one was conclusive.
func (r *Router) ssu2Reachability(rs *RouterStatus) {
	r.mu.Lock()
	trs := r.trs
	r.mu.Unlock()
	if rs.Reachability == ReachUnpublished {
		return
	}
	for _, t := range trs {
		if s, ok := t.(*ssu2.Transport); ok {
			for _, v6 := range []bool{false, true} {
				if v := s.Reachability(v6); v != ssu2.ReachUnknown {
					rs.Reachability = v.String()
					return
				}
			}
		}
	}
}
