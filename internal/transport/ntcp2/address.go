package ntcp2

import (
	"net/netip"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/transport"
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
	return transport.HasVersion(a, "2", "NTCP2", "NTCP")
}

// dialAddrs lists the peer's reachable NTCP2 addresses, cheapest first,
// IPv4 before IPv6 at equal cost. Only IP literals are used.
func dialAddrs(ri *data.RouterInfo, allow4, allow6 bool) []peerAddr {
	var out []peerAddr
	for i := range ri.Addresses {
		a := &ri.Addresses[i]
		if !speaksNTCP2(a) {
			continue
		}
		ap, ok := transport.DialHost(a)
		if !ok || ap.Addr().Is4() && !allow4 || ap.Addr().Is6() && !allow6 {
			continue
		}
		p := peerAddr{ap: ap, cost: a.Cost}
		if !transport.DecodeKeyOption(a, "s", p.s[:]) || !transport.DecodeKeyOption(a, "i", p.i[:]) || !validPublicKey(p.s[:]) {
			continue
		}
		out = append(out, p)
	}
	transport.SortByCost(out, func(p *peerAddr) uint8 { return p.cost }, func(p *peerAddr) netip.AddrPort { return p.ap })
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
		if speaksNTCP2(a) && transport.DecodeKeyOption(a, "s", k[:]) && equalKeys(k[:], s) {
			found = true
		}
	}
	return found
}
