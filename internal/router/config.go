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

	NTCP2Enabled   bool
	NTCP2Published bool

	Logger *slog.Logger
	Rand   io.Reader        // nil means crypto/rand
	Now    func() time.Time // nil means time.Now
}

// RouterVersion is the API level veil publishes: the current Java
// release's, so peers that gate features on it accept us.
const RouterVersion = "0.9.68"

// File names inside the data folder, as i2pd names them.
const (
	RouterKeysFile = "router.keys"
	RouterInfoFile = "router.info"
	NTCP2KeysFile  = "ntcp2.keys"
	NetDBDir       = "netDb"
)
