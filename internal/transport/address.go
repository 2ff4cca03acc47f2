package transport

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/veil-i2p/veil/internal/data"
)

// Helpers for reading peers' transport addresses, shared by NTCP2 and
// SSU2 (ntcp2.rst and ssu2.rst, "Published Router Info").

// HasVersion reports whether a is of one of the given transport styles
// and its "v" option (a comma-separated list) names version v.
func HasVersion(a *data.RouterAddress, v string, styles ...string) bool {
	if !slices.Contains(styles, a.Transport) {
		return false
	}
	for x := range strings.SplitSeq(a.Options.Value("v"), ",") {
		if strings.TrimSpace(x) == v {
			return true
		}
	}
	return false
}

// DecodeKeyOption decodes the I2P-Base64 option key of a into dst,
// which it must fill exactly.
func DecodeKeyOption(a *data.RouterAddress, key string, dst []byte) bool {
	v := a.Options.Value(key)
	if v == "" {
		return false
	}
	b, err := data.DecodeBase64(v)
	if err != nil || len(b) != len(dst) {
		return false
	}
	copy(dst, b)
	return true
}

// DialHost returns a's host as an IP literal with its port, if it has
// both: host names are never resolved, since that would let a
// RouterInfo point us anywhere.
func DialHost(a *data.RouterAddress) (netip.AddrPort, bool) {
	ip, err := netip.ParseAddr(a.Host())
	if err != nil || ip.IsUnspecified() || ip.Zone() != "" {
		return netip.AddrPort{}, false
	}
	port := a.Port()
	if port <= 0 || port >= 1<<16 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), true
}

// SortByCost orders dialable addresses cheapest first, IPv4 before IPv6
// at equal cost, keeping the RouterInfo's order otherwise.
func SortByCost[T any](s []T, cost func(*T) uint8, addr func(*T) netip.AddrPort) {
	slices.SortStableFunc(s, func(x, y T) int {
		if c := cmp.Compare(cost(&x), cost(&y)); c != 0 {
			return c
		}
		x4, y4 := addr(&x).Addr().Is4(), addr(&y).Addr().Is4()
		switch {
		case x4 && !y4:
			return -1
		case y4 && !x4:
			return 1
		}
		return 0
	})
}
