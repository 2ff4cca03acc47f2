package router

import (
	"math"

	"github.com/veil-i2p/veil/internal/client"

	"github.com/veil-i2p/veil/internal/tunnel"
	"slices"
	"strings"
	"time"
)

// Status is what `veil status` shows: the router's state, as one JSON
// object (README, "veil status"). Lists are never null.
type Status struct {
	Router       RouterStatus        `json:"router"`
	Transports   []SessionStatus     `json:"transports"`
	NetDB        NetDBStatus         `json:"netdb"`
	Tunnels      TunnelsStatus       `json:"tunnels"`
	Destinations []DestinationStatus `json:"destinations"`
	UDPTunnels   []UDPTunnelStatus   `json:"udp_tunnels"`
	TCPTunnels   []TCPTunnelStatus   `json:"tcp_tunnels"`
	// AddressBook is absent when addressbook.enabled is false
	// (addressbook.go).
	AddressBook *AddressBookStatus `json:"addressbook,omitempty"`
}

// DestinationStatus is one local destination.
type DestinationStatus struct {
	Name    string `json:"name"`    // its tunnels.conf section
	Address string `json:"address"` // ….b32.i2p
	// Leases is the number of leases of the LeaseSet2 published last (0:
	// none yet), Published when (RFC 3339), Stores how many stores of it
	// went to floodfills.
	Leases    int    `json:"leases"`
	Published string `json:"published,omitempty"`
	Stores    uint64 `json:"stores"`
	// B33 is the address of a destination that publishes an encrypted
	// LeaseSet (its only usable address then).
	B33 string `json:"b33,omitempty"`
	// Sent and Received count end-to-end messages.
	Sent     uint64 `json:"sent"`
	Received uint64 `json:"received"`
	// SentBy and ReceivedBy count I2CP payloads by protocol number (17
	// repliable datagram, 18 raw, …); GarlicSent and GarlicReceived the
	// garlic messages by kind ("NS", "ES", "ElGamal NS", "ElGamal ES", …).
	SentBy         map[uint8]uint64  `json:"sent_by_protocol,omitempty"`
	ReceivedBy     map[uint8]uint64  `json:"received_by_protocol,omitempty"`
	GarlicSent     map[string]uint64 `json:"garlic_sent,omitempty"`
	GarlicReceived map[string]uint64 `json:"garlic_received,omitempty"`
}

// RouterStatus describes the router itself.
type RouterStatus struct {
	Hash         string `json:"hash"` // I2P Base64 of the identity hash
	NetID        int    `json:"netid"`
	Version      string `json:"version"` // router.version we publish
	Caps         string `json:"caps"`
	Uptime       int64  `json:"uptime"` // seconds since Run started
	Reachability string `json:"reachability"`
}

// SessionStatus is one transport session.
type SessionStatus struct {
	Peer      string `json:"peer"`      // the peer's hash, I2P Base64
	Transport string `json:"transport"` // "NTCP2", later "SSU2"
	Direction string `json:"direction"` // "in" or "out"
	Address   string `json:"address"`   // the peer's ip:port
	BytesIn   uint64 `json:"bytes_in"`
	BytesOut  uint64 `json:"bytes_out"`
	// Established is when the handshake completed (RFC 3339, UTC): a
	// reconnect shows as a new time.
	Established string `json:"established"`
}

// NetDBStatus counts the netDb.
type NetDBStatus struct {
	Routers    int `json:"routers"`
	Floodfills int `json:"floodfills"`
	LeaseSets  int `json:"leasesets"`
	// Floodfill says we act as a floodfill; Counters (netdb_status.go)
	// count the netDb's work since Run.
	Floodfill bool           `json:"floodfill"`
	Counters  *NetDBCounters `json:"counters,omitempty"`
}

// TunnelsStatus is the tunnel summary; empty until tunnels exist.
type TunnelsStatus struct {
	Inbound  []TunnelStatus `json:"inbound"`
	Outbound []TunnelStatus `json:"outbound"`
	Transit  int            `json:"transit"`
	// TransitCounters count build requests and transit traffic since
	// start (absent before Run).
	TransitCounters *TransitCounters `json:"transit_counters,omitempty"`
	BuildSuccess    *float64         `json:"build_success"` // 0..1 over the last 10 minutes; null before any build
	Builds          int              `json:"builds"`        // builds finished in the last 10 minutes
	Pending         int              `json:"pending"`       // builds waiting for their reply
	TestsOK         uint64           `json:"tests_ok"`      // tunnel test messages that came back
	TestsFailed     uint64           `json:"tests_failed"`  // and that did not, in 10 s
	BuiltOK         uint64           `json:"built_ok"`      // builds that succeeded since start
	BuildsFailed    uint64           `json:"builds_failed"` // refused by a hop or timed out, since start
}

// TransitCounters count what the router did for other routers' tunnels.
type TransitCounters struct {
	Requests  uint64 `json:"requests"`  // build requests answered
	Accepted  uint64 `json:"accepted"`  // of which accepted
	Rejected  uint64 `json:"rejected"`  // of which refused (reply 30)
	Dropped   uint64 `json:"dropped"`   // build requests dropped unanswered
	DataIn    uint64 `json:"data_in"`   // tunnel messages received on transit tunnels
	DataOut   uint64 `json:"data_out"`  // tunnel messages sent on
	Delivered uint64 `json:"delivered"` // messages delivered as outbound endpoint
	Gatewayed uint64 `json:"gatewayed"` // messages taken in as inbound gateway
}

// TunnelStatus is one of our tunnels.
type TunnelStatus struct {
	Pool    string   `json:"pool"` // "exploratory", or a destination's
	Hops    int      `json:"hops"`
	Peers   []string `json:"peers"` // hop hashes in path order (inbound: gateway first)
	State   string   `json:"state"` // established, expiring (replaced soon)
	Expires string   `json:"expires"`
}

func tunnelStatus(t tunnel.TunnelInfo) TunnelStatus {
	return TunnelStatus{Pool: t.Pool, Hops: len(t.Hops), Peers: t.Hops, State: t.State, Expires: t.Expires.UTC().Format(time.RFC3339)}
}

// Reachability values. A published address is "unknown" until an SSU2
// peer test concludes "ok", "firewalled" or "symmetric-nat"; a router
// that publishes no address is "unpublished".
const (
	ReachUnknown     = "unknown"
	ReachUnpublished = "unpublished"
)

// Status reports the router's state; before Run it has only what Start
// set up.
func (r *Router) Status() Status {
	r.mu.Lock()
	ri, store, mgr, started, transit, tun, dests := r.ri, r.netdb, r.mgr, r.started, r.transit, r.tunnels, r.dests
	r.mu.Unlock()
	st := Status{
		Transports:   []SessionStatus{},
		Tunnels:      TunnelsStatus{Inbound: []TunnelStatus{}, Outbound: []TunnelStatus{}},
		Destinations: []DestinationStatus{},
	}
	st.Router.NetID = r.cfg.NetID
	st.Router.Version = RouterVersion
	st.Router.Reachability = ReachUnpublished
	if ri != nil {
		st.Router.Hash = ri.Hash().String()
		st.Router.Caps = ri.Caps()
		for _, a := range ri.Addresses {
			if a.Port() != 0 {
				st.Router.Reachability = ReachUnknown
			}
		}
	}
	r.ssu2Reachability(&st.Router)
	if !started.IsZero() {
		st.Router.Uptime = int64(math.Round(time.Since(started).Seconds()))
	}
	if tun != nil {
		ts := tun.Status()
		for _, t := range ts.Inbound {
			st.Tunnels.Inbound = append(st.Tunnels.Inbound, tunnelStatus(t))
		}
		for _, t := range ts.Outbound {
			st.Tunnels.Outbound = append(st.Tunnels.Outbound, tunnelStatus(t))
		}
		if ts.Builds > 0 {
			st.Tunnels.BuildSuccess = &ts.BuildSuccess
		}
		st.Tunnels.Builds, st.Tunnels.Pending = ts.Builds, ts.Pending
		st.Tunnels.TestsOK, st.Tunnels.TestsFailed = ts.TestsOK, ts.TestsFailed
		st.Tunnels.BuiltOK, st.Tunnels.BuildsFailed = ts.BuiltOK, ts.BuildsFailed
	}
	for _, d := range dests {
		st.Destinations = append(st.Destinations, destinationStatus(d.name, d.Destination))
	}
	for _, s := range r.openSessions() {
		st.Destinations = append(st.Destinations, destinationStatus(s.name, s.d))
	}
	st.UDPTunnels = append([]UDPTunnelStatus{}, r.udpTunnelStatus()...)
	st.TCPTunnels = append([]TCPTunnelStatus{}, r.tcpTunnelStatus()...)
	st.AddressBook = r.addressBookStatus()
	if transit != nil {
		st.Tunnels.Transit = transit.Len()
		c := transit.Counters()
		st.Tunnels.TransitCounters = &TransitCounters{
			Requests: c.Requests, Accepted: c.Accepted, Rejected: c.Rejected, Dropped: c.Dropped,
			DataIn: c.DataIn, DataOut: c.DataOut, Delivered: c.Delivered, Gatewayed: c.Gatewayed,
		}
	}
	if store != nil {
		st.NetDB.Routers, st.NetDB.Floodfills = store.Len(), store.Floodfills()
	}
	r.netdbStatus(&st.NetDB)
	if mgr != nil {
		for _, s := range mgr.Sessions() {
			stats := s.Stats()
			st.Transports = append(st.Transports, SessionStatus{
				Peer:        s.Peer().String(),
				Transport:   s.Transport(),
				Direction:   s.Direction().String(),
				Address:     s.RemoteAddr().String(),
				BytesIn:     stats.BytesIn,
				BytesOut:    stats.BytesOut,
				Established: stats.Established.UTC().Format(time.RFC3339),
			})
		}
		slices.SortFunc(st.Transports, func(a, b SessionStatus) int { return strings.Compare(a.Peer, b.Peer) })
	}
	return st
}

// destinationStatus describes the local destination d named name.
func destinationStatus(name string, d *client.Destination) DestinationStatus {
	ds := DestinationStatus{Name: name, Address: d.B32(), Stores: d.Stores(), B33: d.B33()}
	ds.Sent, ds.Received = d.Counts()
	ds.SentBy, ds.ReceivedBy, ds.GarlicSent, ds.GarlicReceived = destinationMessages(d.Stats())
	if ls := d.LeaseSet(); ls != nil {
		ds.Leases, ds.Published = len(ls.Leases), ls.Published.Time().UTC().Format(time.RFC3339)
	}
	return ds
}
