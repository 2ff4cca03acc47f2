package i2pdtest

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Reading i2pd 2.45.1's web console: the sessions on ?page=transports and
// the netDb counts on the main page. Formats are those of
// daemon/HTTPServer.cpp at tag 2.45.1 (ShowTransportSessions,
// ShowStatus).

// ConsoleSession is one established session listed on ?page=transports.
type ConsoleSession struct {
	// Transport is the section: "NTCP2", "SSU2", "NTCP2v6" or "SSU2v6".
	Transport string
	// Peer is what the console shows of the peer's identity hash: its
	// first 4 characters in I2P Base64 (GetIdentHashAbbreviation).
	Peer string
	// Remote is the peer's endpoint: for an outgoing session the address
	// i2pd dialled, for an incoming one the peer's source address and port.
	Remote netip.AddrPort
	// Outgoing is true when i2pd dialled the peer (the console puts
	// "&#8658;" before the peer), false when the peer dialled i2pd (the
	// arrow follows the address).
	Outgoing bool
	// Sent and Received count bytes on this session, as i2pd shows them.
	Sent, Received uint64
}

// Matches reports whether s is a session with the router whose full I2P
// Base64 hash is hash at address ip.
func (s ConsoleSession) Matches(hash string, ip netip.Addr) bool {
	return strings.HasPrefix(hash, s.Peer) && len(s.Peer) == 4 && s.Remote.Addr() == ip
}

// sectionLabel matches a transport section's heading:
//
//	<label for='slide_ntcp2'><b>NTCP2</b> ( 3 )</label>
var sectionLabel = regexp.MustCompile(`<label for='slide_[a-z0-9]+'><b>([A-Za-z0-9]+)</b> \( ([0-9]+) \)</label>`)

// sessionItem matches one session (HTML entities as i2pd writes them):
//
//	<div class="listitem">\r\n &#8658; AbCd: 198.18.0.12:20000 [123:456]</div>   outgoing
//	<div class="listitem">\r\nAbCd: 198.18.0.200:40312 &#8658;  [123:456]</div>  incoming
//
// followed by optional "[itag:N]" and "[queue:N]".
var sessionItem = regexp.MustCompile(`<div class="listitem">\s*(&#8658;)?\s*([A-Za-z0-9~-]{4}): (\S+):([0-9]+)\s*(&#8658;)?\s*\[([0-9]+):([0-9]+)\]`)

// ParseTransports reads the sessions listed on i2pd's ?page=transports. It
// checks each section's count against the sessions found in it.
func ParseTransports(page string) ([]ConsoleSession, error) {
	labels := sectionLabel.FindAllStringSubmatchIndex(page, -1)
	var out []ConsoleSession
	for i, l := range labels {
		name := page[l[2]:l[3]]
		want, _ := strconv.Atoi(page[l[4]:l[5]])
		end := len(page)
		if i+1 < len(labels) {
			end = labels[i+1][0]
		}
		items := sessionItem.FindAllStringSubmatch(page[l[1]:end], -1)
		if len(items) != want {
			return nil, fmt.Errorf("i2pdtest: transports page: section %s says %d sessions, %d parsed", name, want, len(items))
		}
		for _, m := range items {
			host := strings.TrimSuffix(strings.TrimPrefix(m[3], "["), "]")
			ip, err := netip.ParseAddr(host)
			if err != nil {
				return nil, fmt.Errorf("i2pdtest: transports page: %s: %w", m[0], err)
			}
			port, err := strconv.ParseUint(m[4], 10, 16)
			if err != nil {
				return nil, fmt.Errorf("i2pdtest: transports page: %s: %w", m[0], err)
			}
			if (m[1] == "") == (m[5] == "") {
				return nil, fmt.Errorf("i2pdtest: transports page: %q: want exactly one arrow", m[0])
			}
			sent, _ := strconv.ParseUint(m[6], 10, 64)
			recv, _ := strconv.ParseUint(m[7], 10, 64)
			out = append(out, ConsoleSession{
				Transport: name, Peer: m[2], Remote: netip.AddrPortFrom(ip, uint16(port)),
				Outgoing: m[1] != "", Sent: sent, Received: recv,
			})
		}
	}
	if len(labels) == 0 && strings.Contains(page, `class="listitem"`) && strings.Contains(page, "&#8658;") {
		return nil, fmt.Errorf("i2pdtest: transports page: sessions listed but no section heading recognised")
	}
	return out, nil
}

// Transports fetches ?page=transports and parses it.
func (r *Router) Transports() ([]ConsoleSession, error) {
	page, err := r.ConsoleGet("/?page=transports")
	if err != nil {
		return nil, err
	}
	return ParseTransports(page)
}

// NetDbCounts are the netDb sizes on i2pd's main console page. i2pd's own
// RouterInfo is in its netDb, so Routers counts i2pd itself (and
// Floodfills does, on a floodfill).
type NetDbCounts struct {
	Routers, Floodfills, LeaseSets int
}

// netDbLine matches the main page's
//
//	<b>Routers:</b> 3 <b>Floodfills:</b> 2 <b>LeaseSets:</b> 0<br>
var netDbLine = regexp.MustCompile(`<b>Routers:</b> ([0-9]+) <b>Floodfills:</b> ([0-9]+) <b>LeaseSets:</b> ([0-9]+)`)

// ParseNetDbCounts reads the netDb counts from i2pd's main console page.
func ParseNetDbCounts(page string) (NetDbCounts, error) {
	m := netDbLine.FindStringSubmatch(page)
	if m == nil {
		return NetDbCounts{}, fmt.Errorf("i2pdtest: main page: no Routers/Floodfills/LeaseSets line")
	}
	var c NetDbCounts
	c.Routers, _ = strconv.Atoi(m[1])
	c.Floodfills, _ = strconv.Atoi(m[2])
	c.LeaseSets, _ = strconv.Atoi(m[3])
	return c, nil
}

// NetDbCounts fetches the main console page and parses its netDb counts.
func (r *Router) NetDbCounts() (NetDbCounts, error) {
	page, err := r.ConsoleGet("/")
	if err != nil {
		return NetDbCounts{}, err
	}
	return ParseNetDbCounts(page)
}
