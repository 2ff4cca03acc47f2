// Package torrent is BitTorrent over I2P on top of veil's public API: a
// client built on github.com/anacrolix/torrent whose peers are I2P
// destinations (streams through a veil.Destination, no TCP, uTP, DHT or
// local discovery), and an HTTP tracker served on a destination.
//
// It follows the I2P BitTorrent conventions (docs/applications/
// bittorrent.html): announces go over the client's own destination, with
// the client's Base64 destination as "ip" and a fake port=6881; compact
// responses are concatenated 32-byte destination hashes, dialed as
// ….b32.i2p; non-compact ones carry Base64 destinations; the tracker
// takes the announcing destination from the stream it came on
// (destination enforcement) and refuses IP addresses.
//
// It is its own Go module so that veil's router does not carry
// anacrolix/torrent's dependencies: the veil-torrent command is built
// from cmd/veil-torrent.
package torrent
