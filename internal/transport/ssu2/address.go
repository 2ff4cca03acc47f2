package ssu2

import (
	"crypto/subtle"
	"net/netip"
	"strconv"
	"strings"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/transport"
)

// Reading peers' SSU2 addresses (ssu2.rst, "Published Router Info").

// peerAddr is what we need of one of a peer's SSU2 addresses.
type peerAddr struct {
	ap   netip.AddrPort // zero for an address without host and port
	s    [keyLen]byte   // static key
	i    [keyLen]byte   // intro key
	mtu  int            // published mtu, or 0
	cost uint8
	caps string
	v4   bool // the address is (or says, with caps 4) IPv4
	v6   bool
	// intro lists the introducers of an address without host and port.
	intro []introducer
}

// speaksSSU2 reports whether a is an address SSU2 may use: transport
// "SSU2", or "SSU" with a "v" option listing 2.
func speaksSSU2(a *data.RouterAddress) bool {
	return transport.HasVersion(a, "2", "SSU2", "SSU")
}

// parseAddr reads a as an SSU2 address: s and i must be valid; host and
// port are optional (unpublished and introduced addresses have none).
func parseAddr(a *data.RouterAddress) (peerAddr, bool) {
	if !speaksSSU2(a) {
		return peerAddr{}, false
	}
	p := peerAddr{cost: a.Cost, caps: a.Options.Value("caps")}
	if !transport.DecodeKeyOption(a, "s", p.s[:]) || !transport.DecodeKeyOption(a, "i", p.i[:]) || p.s[keyLen-1]&0x80 != 0 {
		return peerAddr{}, false
	}
	if m, err := strconv.Atoi(a.Options.Value("mtu")); err == nil && m >= MinMTU && m <= MaxMTU {
		p.mtu = m
	}
	if ap, ok := transport.DialHost(a); ok {
		p.ap = ap
		p.v4, p.v6 = ap.Addr().Is4(), ap.Addr().Is6()
	}
	if !p.ap.IsValid() {
		p.intro = parseIntroducers(a)
	}
	p.v4 = p.v4 || strings.Contains(p.caps, "4")
	p.v6 = p.v6 || strings.Contains(p.caps, "6")
	return p, true
}

// dialAddrs lists the peer's directly reachable SSU2 addresses (IP
// literal host and port), cheapest first, IPv4 before IPv6 at equal
// cost. Host names are never resolved: that would let a RouterInfo point
// us anywhere.
func dialAddrs(ri *data.RouterInfo, allow4, allow6 bool) []peerAddr {
	var out []peerAddr
	for i := range ri.Addresses {
		p, ok := parseAddr(&ri.Addresses[i])
		if !ok || !p.ap.IsValid() {
			continue
		}
		if p.ap.Addr().Is4() && !allow4 || p.ap.Addr().Is6() && !allow6 {
			continue
		}
		out = append(out, p)
	}
	transport.SortByCost(out, func(p *peerAddr) uint8 { return p.cost }, func(p *peerAddr) netip.AddrPort { return p.ap })
	return out
}

// addrWithStaticKey finds the SSU2 address of ri whose static key is s,
// preferring one of the family the session runs on ("SessionConfirmed",
// notes: Bob must find Alice's s in an SSU2 address with v=2; its i is
// the key of the data phase's header protection towards her).
func addrWithStaticKey(ri *data.RouterInfo, s []byte, v6 bool) (peerAddr, bool) {
	var found peerAddr
	ok := false
	for i := range ri.Addresses {
		p, valid := parseAddr(&ri.Addresses[i])
		if !valid || subtle.ConstantTimeCompare(p.s[:], s) != 1 {
			continue
		}
		if !ok || (v6 && p.v6 && !found.v6) || (!v6 && p.v4 && !found.v4) {
			found, ok = p, true
		}
	}
	return found, ok
}
