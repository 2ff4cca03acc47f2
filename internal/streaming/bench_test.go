package streaming

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Throughput over the fake network: one stream, and 100 at once, from
// one destination to another, at 100 and 500 ms RTT, without loss and
// with 5% of the packets lost (both directions, acks too) and jitter
// that reorders. Run with
//
//	go test -run - -bench . -benchtime 1x ./internal/streaming/
//
// The figure is the payload delivered per second, all streams together.

type benchCase struct {
	rtt     time.Duration
	loss    float64
	streams int
	size    int // bytes per stream
}

func BenchmarkThroughput(b *testing.B) {
	for _, c := range []benchCase{
		{100 * time.Millisecond, 0, 1, 4 << 20},
		{100 * time.Millisecond, 0.05, 1, 2 << 20},
		{500 * time.Millisecond, 0, 1, 4 << 20},
		{500 * time.Millisecond, 0.05, 1, 1 << 20},
		{100 * time.Millisecond, 0, 100, 256 << 10},
		{500 * time.Millisecond, 0.05, 100, 128 << 10},
	} {
		name := fmt.Sprintf("rtt=%v/loss=%g/streams=%d", c.rtt, c.loss, c.streams)
		b.Run(name, func(b *testing.B) {
			var rate float64
			for range b.N {
				rate = measure(b, c)
			}
			b.ReportMetric(rate/1e3, "kB/s")
		})
	}
}

// measure sends c.size bytes on each of c.streams streams and returns
// the bytes delivered per second.
func measure(b testing.TB, c benchCase) float64 {
	jitter := c.rtt / 10
	n := newFakeNet(c.rtt/2-jitter/2, jitter, c.loss)
	o := DefaultOptions()
	a, s := pair(b, n, &o)
	l, err := s.Listen(0)
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	received := 0
	serve(b, l, func(conn net.Conn) {
		k, _ := io.Copy(io.Discard, conn)
		mu.Lock()
		received += int(k)
		mu.Unlock()
	})
	chunk := make([]byte, 32<<10)
	start := time.Now()
	var wg sync.WaitGroup
	for range c.streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			conn, err := a.DialPorts(ctx, s.Addr().Hash, 0, 1)
			if err != nil {
				b.Error(err)
				return
			}
			defer conn.Close()
			for sent := 0; sent < c.size; sent += len(chunk) {
				if _, err := conn.Write(chunk[:min(len(chunk), c.size-sent)]); err != nil {
					b.Error(err)
					return
				}
			}
			conn.CloseWrite()
			conn.Read(make([]byte, 1)) // the server's CLOSE: all was received
		}()
	}
	wg.Wait()
	d := time.Since(start)
	mu.Lock()
	defer mu.Unlock()
	if received != c.size*c.streams {
		b.Errorf("received %d of %d bytes", received, c.size*c.streams)
	}
	return float64(received) / d.Seconds()
}
