package i2ptunnel

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Streams is what the TCP tunnels need of a local destination's
// streaming library (internal/streaming gives it to them in the router's
// wiring): streams out to a remote destination, and a listener for the
// streams that come in.
type Streams interface {
	// Dial opens a stream to destination to on port.
	Dial(ctx context.Context, to data.Hash, port uint16) (net.Conn, error)
	// Listen accepts the streams to port; 0 accepts those to any port
	// no other listener has.
	Listen(port uint16) (net.Listener, error)
}

// RemoteDestination is what an accepted stream gives beyond net.Conn:
// the destination that opened it, from its signed SYN (streaming.Conn
// has it).
type RemoteDestination interface {
	RemoteDestination() data.Destination
}

// remoteOf returns the destination behind an accepted stream, if it
// says.
func remoteOf(c net.Conn) (data.Destination, bool) {
	if r, ok := c.(RemoteDestination); ok {
		d := r.RemoteDestination()
		return d, !d.IsZero()
	}
	return data.Destination{}, false
}

// idleTimeout closes a tunnel connection on which nothing moved either
// way for this long (i2pd: I2P_TUNNEL_CONNECTION_MAX_IDLE, 1 hour).
const idleTimeout = time.Hour

// copyBufLen is each direction's copy buffer: a few streaming packets.
const copyBufLen = 32 << 10

// join copies a to b and b to a until both directions end, then closes
// both. A direction that ends half-closes the other side's write, so
// protocols that shut down one direction first (HTTP/1.0 clients, netcat)
// still get their answer. ctx ending closes both at once.
func join(ctx context.Context, a, b net.Conn) (aToB, bToA int64) {
	stop := context.AfterFunc(ctx, func() {
		a.Close()
		b.Close()
	})
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		bToA = pipe(a, b)
	}()
	aToB = pipe(b, a)
	wg.Wait()
	a.Close()
	b.Close()
	return aToB, bToA
}

// pipe copies from src to dst and then closes dst for writing (or, if it
// cannot half-close, entirely).
func pipe(dst, src net.Conn) int64 {
	buf := make([]byte, copyBufLen)
	var n int64
	for {
		src.SetReadDeadline(time.Now().Add(idleTimeout))
		k, err := src.Read(buf)
		if k > 0 {
			dst.SetWriteDeadline(time.Now().Add(idleTimeout))
			if _, werr := dst.Write(buf[:k]); werr != nil {
				src.Close()
				break
			}
			n += int64(k)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				dst.Close() // reset or timeout: no clean end to pass on
				return n
			}
			break
		}
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		if cw.CloseWrite() == nil {
			return n
		}
	}
	dst.Close()
	return n
}
