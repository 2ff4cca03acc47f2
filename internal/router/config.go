package router

import (
	"io"
	"log/slog"
	"time"
)

// Config is what the router needs from the options; cmd/veil fills it
// from internal/config. Zero values are safe defaults.
type Config struct {
	DataDir   string
	NetID     int    // 2 is the live network; tests use 16–254
	Host      string // published IPv4/IPv6 address; "" means unknown
	Port      int    // 0 picks a port once and keeps it
	Floodfill bool
	Bandwidth string // i2pd's "bandwidth": a letter (K–X) or KBps
	Share     int    // i2pd's "share": percent of bandwidth for transit (0: 100)

	NTCP2Enabled   bool
	NTCP2Published bool
	SSU2           SSU2Config // ssu2.go

	// NoIPv4 and IPv6 are i2pd's ipv4 (default on) and ipv6 (default
	// off) options: which address families transports use.
	NoIPv4 bool
	IPv6   bool
	// Address4 and Address6 are local addresses to listen on; "" means
	// every interface, as i2pd binds unless address4/address6 are set.
	Address4 string
	Address6 string
	// NTCP2AddressV6 is i2pd's ntcp2.addressv6: the IPv6 address to
	// publish for NTCP2 ("" or "::": Address6, or Host if it is IPv6).
	NTCP2AddressV6 string
	// AllowReserved is i2pd's reservedrange=false: accept and dial
	// peers in reserved address ranges (loopback, RFC 1918, ...).
	AllowReserved bool

	// NoTransit refuses every transit tunnel (i2pd's notransit);
	// MaxTransit caps how many we carry (limits.transittunnels; 0 means
	// the tunnel package's default).
	NoTransit  bool
	MaxTransit int
	// Exploratory shapes the exploratory tunnel pool (i2pd's
	// exploratory.* options); the zero value means i2pd's defaults.
	Exploratory PoolShape
	// Destinations are the local destinations to host (destinations.go).
	Destinations []DestinationConfig
	// TunnelTestEvery is the tunnel test interval (0: the tunnel
	// package's default); tests shorten it.
	TunnelTestEvery time.Duration

	// MaxSessions bounds transport sessions (0: transport's default).
	MaxSessions int
	// MaxPerIP bounds inbound sessions from one IP address (0: the
	// transport's default, < 0: no limit). A network on one machine
	// (veil testnet) has every peer on 127.0.0.1.
	MaxPerIP int
	// MinPeers and TargetPeers steer the connector: below MinPeers it
	// dials every few seconds, up to TargetPeers every half minute.
	// Zero means DefaultMinPeers, DefaultTargetPeers.
	MinPeers    int
	TargetPeers int
	// ControlSocket is the path of the control endpoint (veil status);
	// "" means <DataDir>/veil.sock, "-" none.
	ControlSocket string
	// Reseed fills an almost empty netDb at start (reseed.go).
	Reseed ReseedConfig
	// AddressBook, when set, names destinations (addressbook.go).
	AddressBook *AddressBookConfig
	// SAM, when set, runs a SAM bridge (sam.go).
	SAM *SAMConfig
	// BOB, when set, runs a BOB bridge (bob.go).
	BOB *BOBConfig

	Logger *slog.Logger
	Rand   io.Reader        // nil means crypto/rand
	Now    func() time.Time // nil means time.Now
}

// MainNetID is the live I2P network's id.
const MainNetID = 2

// RouterVersion is the API level veil publishes: the current Java
// release's, so peers that gate features on it accept us.
const RouterVersion = "0.9.68"

// File names inside the data folder, as i2pd names them.
const (
	RouterKeysFile = "router.keys"
	RouterInfoFile = "router.info"
	NTCP2KeysFile  = "ntcp2.keys"
	NetDBDir       = "netDb"
	ControlFile    = "veil.sock"
)

// Connector defaults.
const (
	DefaultMinPeers    = 3
	DefaultTargetPeers = 10
)

// PoolShape is a tunnel pool's lengths and quantities.
type PoolShape struct {
	InboundLength, OutboundLength     int
	InboundQuantity, OutboundQuantity int
}
