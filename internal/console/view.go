package console

import (
	"context"
	"time"
)

// Router is what the console needs from the router. Implementations must
// be safe for concurrent use; internal/router implements it.
type Router interface {
	// Snapshot is the router's state now.
	Snapshot() Snapshot
	// History is the recent bandwidth samples, oldest first.
	History() []Sample
	// Lookup looks key (a .b32.i2p address, a b33 address or a Base64
	// hash) up in the netDb; typ is "leaseset" or "routerinfo".
	Lookup(ctx context.Context, key, typ string) Lookup
	// Settings are the settings the configuration page edits, as last
	// saved (or as the router started).
	Settings() Settings
	// SaveSettings writes s to the configuration file; they take effect
	// at the next start.
	SaveSettings(s Settings) error
	// Shutdown stops the router gracefully (it returns at once).
	Shutdown()
}

// Snapshot is everything the pages show.
type Snapshot struct {
	Overview     Overview
	Bootstrap    []Stage
	Peers        []Peer
	Tunnels      Tunnels
	NetDB        NetDB
	Destinations []Destination
	I2PTunnels   []I2PTunnel
	SAM          *SAM // nil: no SAM bridge
}

// SAM is the SAM bridge's state.
type SAM struct {
	Address, UDPAddress                       string
	ActiveSessions, ActiveConns               int
	Conns, Refused, Sessions, Streams         uint64 // since start
	DatagramsSent, DatagramsReceived, Dropped uint64
	Errors                                    uint64
}

// Overview is the overview page's summary.
type Overview struct {
	Hash         string // I2P Base64
	Version      string // the I2P API version we publish
	Caps         string
	NetID        int
	Uptime       time.Duration
	Status       string // ok, firewalled, unknown (reachability)
	BytesIn      uint64 // since start
	BytesOut     uint64
	RateIn       float64 // bytes per second, recent
	RateOut      float64
	BuildSuccess *float64 // 0..1 over the last 10 minutes; nil before any build
	Builds       int      // builds in the last 10 minutes
	PeersKnown   int      // RouterInfos in the netDb
	PeersActive  int      // transport sessions
	Transit      int      // transit tunnels carried now
	Streams      int      // open streams, all destinations
	Floodfill    bool
	Shutdown     bool      // shutting down
	ShutdownBy   time.Time // a graceful shutdown's deadline (zero: none)
}

// Stage is one step of the start: reseed, netDb, first tunnels, LeaseSets
// published.
type Stage struct {
	Name   string
	Done   bool
	Detail string
}

// Peer is one transport session.
type Peer struct {
	Hash      string
	Transport string // NTCP2 or SSU2
	Direction string // in or out
	Address   string
	Caps      string // from the peer's RouterInfo; "" when unknown
	Version   string
	// Profile is the peer's record as a hop of our tunnels (nil: none
	// yet).
	Profile     *PeerProfile
	BytesIn     uint64
	BytesOut    uint64
	Established time.Time
}

// PeerProfile is how a peer did as a hop of our tunnels.
type PeerProfile struct {
	Agreed, Rejected, TimedOut uint32  // build requests
	TestOK, TestFailed         uint32  // tests of tunnels it was in
	Score                      float64 // its weight in hop selection, 0..1
}

// Tunnels are our tunnels and the transit ones.
type Tunnels struct {
	Exploratory  []Tunnel
	Client       []Tunnel
	Transit      []TransitTunnel
	TransitCount int
	Pending      int
	BuiltOK      uint64
	BuildsFailed uint64
	TestsOK      uint64
	TestsFailed  uint64
	// Transit build requests and traffic since start.
	Requests, Accepted, Rejected, Dropped uint64
	DataIn, DataOut                       uint64
}

// Tunnel is one of our tunnels.
type Tunnel struct {
	Pool      string // exploratory, or a destination's name
	Direction string // inbound or outbound
	Hops      []string
	State     string
	Expires   time.Time
}

// TransitTunnel is one tunnel carried for others.
type TransitTunnel struct {
	ID       uint32
	Role     string
	Next     string
	Expires  time.Time
	Messages uint64
}

// NetDB is the netDb page.
type NetDB struct {
	Routers    int
	Floodfills int
	LeaseSets  int
	Floodfill  bool
	// Counters by name (lookups, stores_received, …) as in veil status.
	Counters []Counter
}

// Counter is a named count.
type Counter struct {
	Name  string
	Value uint64
}

// Destination is one local destination.
type Destination struct {
	Name      string
	B32       string
	B33       string
	Published time.Time // zero: no LeaseSet yet
	Stores    uint64
	Sent      uint64
	Received  uint64
	Leases    []Lease
	// Garlic messages by kind ("NS", "ES", "ElGamal NS", …).
	GarlicSent, GarlicReceived map[string]uint64
	// Session: opened while the router runs (a SAM session, the Go API,
	// a tunnel made in the console), not from tunnels.conf.
	Session bool
}

// Lease is one lease of a published LeaseSet.
type Lease struct {
	Gateway  string
	TunnelID uint32
	Expires  time.Time
}

// I2PTunnel is one tunnel of tunnels.conf (or the HTTP proxy).
type I2PTunnel struct {
	Name        string
	Type        string
	Destination string // ….b32.i2p
	Listen      string
	Streams     int
	// Managed tunnels were made from the console while the router runs:
	// they can be stopped and started again. Running says whether one is.
	Managed, Running bool
	Spec             TunnelSpec // of a managed tunnel
}

// TunnelSpec is what the console's tunnel form sets: a TCP tunnel as a
// tunnels.conf section.
type TunnelSpec struct {
	Name string
	Type string // client, server or http
	// Host and Port are a server tunnel's service; Port alone a client
	// tunnel's local port (on 127.0.0.1).
	Host string
	Port int
	// Destination and DestinationPort are a client tunnel's target.
	Destination     string
	DestinationPort int
	// Hops is the length of the tunnels of its destination (both ways).
	Hops int
}

// TunnelManager is what a Router offers, besides Router, when tunnels
// can be made, stopped and started from the console; the tunnel page
// shows its forms only then.
type TunnelManager interface {
	// SaveTunnel writes spec's section into tunnels.conf (replacing one
	// of the same name) and starts it now, unless it is a tunnel the
	// router started from the file (then it is used from the next start:
	// started is false).
	SaveTunnel(spec TunnelSpec) (started bool, err error)
	// StopTunnel and StartTunnel stop and start a managed tunnel.
	StopTunnel(name string) error
	StartTunnel(name string) error
}

// Lookup is the result of a netDb lookup.
type Lookup struct {
	Key         string
	Type        string
	Found       bool
	StoreType   int
	Published   string
	Expires     string
	Destination string
	Leases      int
	Error       string
}

// Settings are the options the configuration page edits (i2pd's names:
// bandwidth, share, notransit, floodfill).
type Settings struct {
	Bandwidth string
	Share     int
	NoTransit bool
	Floodfill bool
}

// Sample is one point of the bandwidth history.
type Sample struct {
	At      time.Time
	RateIn  float64 // bytes per second
	RateOut float64
}
