package router

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Address costs as i2pd publishes them: a published NTCP2 address is
// cheap, an outbound-only one expensive so peers prefer others.
const (
	costNTCP2Published   = 3
	costNTCP2Unpublished = 14
)

// buildRouterInfo makes our RouterInfo from the configuration and keys.
func buildRouterInfo(cfg *Config, keys *keyfile.PrivateKeys, ntcp2 *keyfile.StaticKeys, port int) (*data.RouterInfo, error) {
	ri := &data.RouterInfo{
		Identity:  keys.Identity,
		Published: data.DateOf(cfg.now()),
	}
	reachable := false
	if cfg.NTCP2Enabled && ntcp2 != nil {
		hosts := publishedHosts(cfg)
		if !cfg.NTCP2Published {
			hosts = nil
		}
		for _, host := range hosts {
			a := ntcp2Address(ntcp2)
			a.Cost = costNTCP2Published
			a.Options.Set("host", host)
			a.Options.Set("port", strconv.Itoa(port))
			a.Options.Set("i", data.EncodeBase64(ntcp2.Extra))
			ri.Addresses = append(ri.Addresses, a)
			reachable = true
		}
		if len(hosts) == 0 {
			// Outbound only: peers still need s and v to check our
			// SessionConfirmed (ntcp2.rst, "Published Addresses").
			a := ntcp2Address(ntcp2)
			a.Cost = costNTCP2Unpublished
			a.Options.Set("caps", outboundCaps(cfg))
			ri.Addresses = append(ri.Addresses, a)
		}
	}
	ssu2Reachable, err := addSSU2Addresses(cfg, ri, port)
	if err != nil {
		return nil, err
	}
	ri.Options.Set("caps", routerCaps(cfg, reachable || ssu2Reachable))
	ri.Options.Set("netId", strconv.Itoa(cfg.NetID))
	ri.Options.Set("router.version", RouterVersion)
	signer, err := keys.Signer()
	if err != nil {
		return nil, fmt.Errorf("router: signer: %w", err)
	}
	if err := ri.Sign(signer); err != nil {
		return nil, err
	}
	return ri, nil
}

// ntcp2Address is an NTCP2 address with our static key and version.
func ntcp2Address(keys *keyfile.StaticKeys) data.RouterAddress {
	a := data.RouterAddress{Transport: "NTCP2"}
	a.Options.Set("s", data.EncodeBase64(keys.Public[:]))
	a.Options.Set("v", "2")
	return a
}

// publishedHosts are the addresses to publish, one per enabled family, as
// i2pd does: IPv4 from host; IPv6 from ntcp2.addressv6, else address6,
// else host when host is IPv6.
func publishedHosts(cfg *Config) []string {
	var v4, v6 string
	if ip, err := netip.ParseAddr(cfg.Host); err == nil {
		if ip.Unmap().Is4() {
			v4 = ip.Unmap().String()
		} else {
			v6 = ip.String()
		}
	}
	for _, h := range []string{cfg.Address6, cfg.NTCP2AddressV6} {
		if ip, err := netip.ParseAddr(h); err == nil && ip.Is6() && !ip.Is4In6() && !ip.IsUnspecified() {
			v6 = ip.String()
		}
	}
	var out []string
	if v4 != "" && !cfg.NoIPv4 {
		out = append(out, v4)
	}
	if v6 != "" && cfg.IPv6 {
		out = append(out, v6)
	}
	return out
}

// outboundCaps is the caps of an unpublished address: the families we
// can dial from ("4", "6" or "46").
func outboundCaps(cfg *Config) string {
	caps := ""
	if !cfg.NoIPv4 {
		caps += "4"
	}
	if cfg.IPv6 {
		caps += "6"
	}
	if caps == "" {
		caps = "4"
	}
	return caps
}

// routerCaps builds the caps option (network-database.html, "RouterInfo"
// and proposal 162): a bandwidth letter, f for floodfill, then R or U.
func routerCaps(cfg *Config, reachable bool) string {
	var b strings.Builder
	b.WriteString(bandwidthCaps(cfg.Bandwidth))
	if cfg.Floodfill {
		b.WriteByte('f')
	}
	if reachable {
		b.WriteByte('R')
	} else {
		b.WriteByte('U')
	}
	if cfg.NoTransit {
		// Proposal 162: "rejecting all tunnels", so builders skip us
		// instead of collecting our refusals.
		b.WriteByte('G')
	}
	return b.String()
}

// bandwidthCaps maps i2pd's "bandwidth" option, a letter or a number of
// KBps, to the letters to publish. P and X are published with O as well,
// as i2pd and Java do, for peers older than 0.9.20.
func bandwidthCaps(bw string) string {
	letter := "L"
	if len(bw) == 1 && strings.Contains("KLMNOPX", strings.ToUpper(bw)) {
		letter = strings.ToUpper(bw)
	} else if kbps, err := strconv.Atoi(bw); err == nil {
		switch {
		case kbps < 12:
			letter = "K"
		case kbps < 48:
			letter = "L"
		case kbps < 64:
			letter = "M"
		case kbps < 128:
			letter = "N"
		case kbps < 256:
			letter = "O"
		case kbps < 2000:
			letter = "P"
		default:
			letter = "X"
		}
	}
	if letter == "P" || letter == "X" {
		return "O" + letter
	}
	return letter
}

// bandwidthKBps is the limit the bandwidth option sets, in KB/s: a
// number as it is, a letter the top of its class as i2pd reads them (K 12,
// L 48, M 64, N 128, O 256, P 2048); X and an unset option mean no limit
// (i2pd does not enforce any, i2pd#2323).
func bandwidthKBps(bw string) int {
	if kbps, err := strconv.Atoi(bw); err == nil && kbps > 0 {
		return kbps
	}
	switch strings.ToUpper(bw) {
	case "K":
		return 12
	case "L":
		return 48
	case "M":
		return 64
	case "N":
		return 128
	case "O":
		return 256
	case "P":
		return 2048
	}
	return 0
}

// choosePort returns the configured port, else the one our previous
// RouterInfo published, else a random one in the range i2pd uses, so
// peers find us on the same port across restarts.
func choosePort(cfg *Config, previous *data.RouterInfo) int {
	if cfg.Port != 0 {
		return cfg.Port
	}
	if previous != nil {
		for _, a := range previous.Addresses {
			if p := a.Port(); p != 0 {
				return p
			}
		}
	}
	var seed [16]byte
	if _, err := cfg.rand().Read(seed[:]); err != nil {
		return 9111
	}
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	return 9111 + r.IntN(30777-9111)
}

// loadPreviousRouterInfo reads our last router.info, if any parses.
func loadPreviousRouterInfo(dir string) *data.RouterInfo {
	b, err := os.ReadFile(filepath.Join(dir, RouterInfoFile))
	if err != nil {
		return nil
	}
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		return nil
	}
	return ri
}
