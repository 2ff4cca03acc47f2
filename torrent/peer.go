package torrent

import (
	"context"
	"net"
)

// peerAddr is a peer as anacrolix/torrent knows it: the host part of an
// I2P address (a ….b32.i2p address or a Base64 destination), no port.
type peerAddr string

func (a peerAddr) String() string  { return string(a) }
func (a peerAddr) Network() string { return "i2p" }

// dialer dials peers through the client's destination.
type dialer struct{ n Network }

func (dl dialer) Dial(ctx context.Context, addr string) (net.Conn, error) {
	return dl.n.DialContext(ctx, "i2p", addr)
}

// DialerNetwork names the connections' network in anacrolix's statistics.
func (dl dialer) DialerNetwork() string { return "i2p" }
