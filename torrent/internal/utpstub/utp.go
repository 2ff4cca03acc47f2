// Package utp stands in for github.com/anacrolix/go-utp, which the Go
// module proxy does not serve here: anacrolix/torrent imports it for its
// uTP transport, which veil's torrent client never uses (I2P peers talk
// over I2P streams; uTP is off in the client's config). Every constructor
// fails, so nothing can use uTP by accident.
package utp

import (
	"context"
	"errors"
	"log/slog"
	"net"
)

// FirewallCallback decides whether a remote address may connect.
type FirewallCallback func(net.Addr) bool

// Option configures a Socket.
type Option func(*options)

type options struct{ log *slog.Logger }

// WithLogger sets a Socket's logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Socket is a uTP socket.
type Socket interface {
	net.PacketConn
	Accept() (net.Conn, error)
	Addr() net.Addr
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	SetFirewallCallback(FirewallCallback)
}

// Default names the implementation in errors.
const Default = "uTP (not built in)"

var errUnavailable = errors.New("utp: not built in (veil's torrent client uses I2P streams only)")

// NewSocket fails: uTP is not built in.
func NewSocket(network, addr string, opts ...Option) (Socket, error) { return nil, errUnavailable }

// NewSocketFromPacketConn fails: uTP is not built in.
func NewSocketFromPacketConn(pc net.PacketConn, opts ...Option) (Socket, error) {
	return nil, errUnavailable
}
