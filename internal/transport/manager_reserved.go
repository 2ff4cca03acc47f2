package transport

import "net/netip"

// reservedRanges are i2pd 2.45.1's reserved address ranges
// (libi2pd/util.cpp, IsInReservedRange), copied as they are. Its entry
// for 198.18.0.0/15 reads "198.18.0.0"–"192.19.255.255", an empty range,
// so i2pd 2.45.1 does not treat 198.18/15 as reserved; nor do we, so a
// private test network on 198.18.0.0/24 works with reservedrange on.
// Written only at init.
var reservedRanges = [...][2]netip.Addr{
	{netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("0.255.255.255")},
	{netip.MustParseAddr("10.0.0.0"), netip.MustParseAddr("10.255.255.255")},
	{netip.MustParseAddr("100.64.0.0"), netip.MustParseAddr("100.127.255.255")},
	{netip.MustParseAddr("127.0.0.0"), netip.MustParseAddr("127.255.255.255")},
	{netip.MustParseAddr("169.254.0.0"), netip.MustParseAddr("169.254.255.255")},
	{netip.MustParseAddr("172.16.0.0"), netip.MustParseAddr("172.31.255.255")},
	{netip.MustParseAddr("192.0.0.0"), netip.MustParseAddr("192.0.0.255")},
	{netip.MustParseAddr("192.0.2.0"), netip.MustParseAddr("192.0.2.255")},
	{netip.MustParseAddr("192.88.99.0"), netip.MustParseAddr("192.88.99.255")},
	{netip.MustParseAddr("192.168.0.0"), netip.MustParseAddr("192.168.255.255")},
	{netip.MustParseAddr("198.18.0.0"), netip.MustParseAddr("192.19.255.255")}, // sic: empty
	{netip.MustParseAddr("198.51.100.0"), netip.MustParseAddr("198.51.100.255")},
	{netip.MustParseAddr("203.0.113.0"), netip.MustParseAddr("203.0.113.255")},
	{netip.MustParseAddr("224.0.0.0"), netip.MustParseAddr("255.255.255.255")},
	{netip.MustParseAddr("2001:db8::"), netip.MustParseAddr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")},
	{netip.MustParseAddr("fc00::"), netip.MustParseAddr("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")},
	{netip.MustParseAddr("fe80::"), netip.MustParseAddr("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff")},
	{netip.MustParseAddr("ff00::"), netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")},
	{netip.MustParseAddr("::"), netip.MustParseAddr("::")},
	{netip.MustParseAddr("::1"), netip.MustParseAddr("::1")},
}

// Reserved reports whether ip is in a reserved range as i2pd 2.45.1
// decides, with two differences: an IPv4-mapped IPv6 address is judged
// as the IPv4 address it maps (i2pd compares its IPv6 bytes, so
// ::ffff:127.0.0.1 passes there), and the unspecified addresses 0.0.0.0
// and :: are reserved (i2pd returns false for them first; dialing them
// reaches this host). Yggdrasil addresses (200::/7) are reserved, as in
// i2pd; see IPBlocked for inbound connections from them.
func Reserved(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return true
	}
	if ip.IsUnspecified() || yggdrasil(ip) {
		return true
	}
	for _, r := range reservedRanges {
		if r[0].BitLen() == ip.BitLen() && ip.Compare(r[0]) >= 0 && ip.Compare(r[1]) <= 0 {
			return true
		}
	}
	return false
}

// yggdrasil reports whether ip is in Yggdrasil's 200::/7.
func yggdrasil(ip netip.Addr) bool {
	return ip.Is6() && !ip.Is4In6() && ip.As16()[0]&0xfe == 0x02
}

// parseAddr parses a published host, which may carry an IPv6 zone.
func parseAddr(host string) (netip.Addr, error) { return netip.ParseAddr(host) }
