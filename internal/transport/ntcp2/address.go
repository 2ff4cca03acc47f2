package ntcp2

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/veil-i2p/veil/internal/data"
)

// Reading peers' NTCP2 addresses (ntcp2.rst, "Published Router Info").

// peerAddr is one dialable NTCP2 address of a peer.
type peerAddr struct {
	ap   netip.AddrPort
	s    [keyLen]byte
	i    [ivLen]byte
	cost uint8
}

// speaksNTCP2 reports whether a is an address NTCP2 may use: transport
// "NTCP2", or "NTCP" with a "v" option listing 2 (both forms carry s, i,
// v).
func speaksNTCP2(a *data.RouterAddress) bool {
	if a.Transport != "NTCP2" && a.Transport != "NTCP" {
		return false
	}
	for v := range strings.SplitSeq(a.Options.Value("v"), ",") {
		if strings.TrimSpace(v) == "2" {
			return true
		}
	}
	return false
}

// decodeOption decodes an I2P-Base64 option of exactly len(dst) bytes.
func decodeOption(a *data.RouterAddress, key string, dst []byte) bool {
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

// dialAddrs lists the peer's reachable NTCP2 addresses, cheapest first,
// IPv4 before IPv6 at equal cost. Only IP literals are used: resolving
// host names from a RouterInfo would let peers point us anywhere.
func dialAddrs(ri *data.RouterInfo, allow4, allow6 bool) []peerAddr {
	var out []peerAddr
	for i := range ri.Addresses {
		a := &ri.Addresses[i]
		if !speaksNTCP2(a) {
			continue
		}
		ip, err := netip.ParseAddr(a.Host())
		if err != nil || ip.IsUnspecified() || ip.Zone() != "" {
			continue
		}
		ip = ip.Unmap()
		if ip.Is4() && !allow4 || ip.Is6() && !allow6 {
			continue
		}
		port := a.Port()
		if port == 0 {
			continue
		}
		p := peerAddr{ap: netip.AddrPortFrom(ip, uint16(port)), cost: a.Cost}
		if !decodeOption(a, "s", p.s[:]) || !decodeOption(a, "i", p.i[:]) || !validPublicKey(p.s[:]) {
			continue
		}
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(x, y peerAddr) int {
		if c := cmp.Compare(x.cost, y.cost); c != 0 {
			return c
		}
		if x.ap.Addr().Is4() != y.ap.Addr().Is4() {
			if x.ap.Addr().Is4() {
				return -1
			}
			return 1
		}
		return 0
	})
	return out
}

// hasStaticKey reports whether ri publishes s in an NTCP2-capable address,
// published or not ("SessionConfirmed", notes: Bob must find Alice's
// static key in an NTCP or NTCP2 address with a matching v).
func hasStaticKey(ri *data.RouterInfo, s []byte) bool {
	found := false
	for i := range ri.Addresses {
		a := &ri.Addresses[i]
		var k [keyLen]byte
		if speaksNTCP2(a) && decodeOption(a, "s", k[:]) && equalKeys(k[:], s) {
			found = true
		}
	}
	return found
}
