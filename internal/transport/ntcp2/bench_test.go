package ntcp2

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// BenchmarkHandshake runs complete handshakes (both state machines, with
// their I/O) over net.Pipe.
func BenchmarkHandshake(b *testing.B) {
	p := newFuzzPair(b)
	ri := p.b.cfg.RouterInfo()
	addr := dialAddrs(ri, true, true)[0]
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		c1, c2 := net.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := newInboundHandshake(p.b, c2).handshake()
			done <- err
		}()
		h, _ := newOutboundHandshake(p.a, c1, ri, addr)
		if _, err := h.handshake(); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		c1.Close()
		c2.Close()
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "handshakes/s")
}

// BenchmarkDataPhase measures session throughput over loopback TCP with
// 16 KiB messages.
func BenchmarkDataPhase(b *testing.B) {
	const size = 16 << 10
	a := newNode(b, nodeOptions{listen: true, mod: func(c *Config) { c.QueueLen = 4096 }})
	bob := newNode(b, nodeOptions{listen: true})
	s, err := a.tr.Dial(context.Background(), bob.id.RouterInfo())
	if err != nil {
		b.Fatal(err)
	}
	transporttest.WaitFor(b, bob.rec.Sessions, "established")
	m := &transport.Message{Type: 18, Expiration: time.Now().Add(time.Hour), Payload: make([]byte, size)}
	base := bob.rec.Count()
	b.SetBytes(size)
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		for {
			err := s.Send(m, transport.PriorityNormal)
			if err == nil {
				break
			}
			if !errors.Is(err, transport.ErrQueueFull) {
				b.Fatal(err)
			}
			time.Sleep(50 * time.Microsecond)
		}
		sent++
	}
	for deadline := time.Now().Add(30 * time.Second); bob.rec.Count() < base+sent; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("delivered %d of %d", bob.rec.Count()-base, sent)
		}
	}
	b.StopTimer()
	s.Close(0)
	transporttest.WaitDone(b, s)
}

// BenchmarkFrame seals and opens one 1 KiB frame in memory: the per-frame
// cost of the record layer.
func BenchmarkFrame(b *testing.B) {
	var buf bytes.Buffer
	w, r := fuzzHalves(b)
	fw := newFrameWriter(w, &buf)
	src := &loopReader{}
	fr := newFrameReader(r, bufio.NewReaderSize(src, 1<<16), nil)
	payload := make([]byte, 1024)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		fw.writeFrame(func(p []byte) []byte { return append(p, payload...) })
		src.b = buf.Bytes()
		if _, err := fr.readFrame(); err != nil {
			b.Fatal(err)
		}
	}
}

type loopReader struct{ b []byte }

func (l *loopReader) Read(p []byte) (int, error) {
	if len(l.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, l.b)
	l.b = l.b[n:]
	return n, nil
}
