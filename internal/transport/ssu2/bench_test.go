package ssu2

import (
	"context"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// BenchmarkHandshake dials and closes sessions over loopback UDP, both
// transports in this process: handshakes per second (the first needs a
// Token Request; later ones use Bob's New Token).
func BenchmarkHandshake(b *testing.B) {
	alice, bob := newNode(b, nodeOptions{}), newNode(b, nodeOptions{})
	ri := bob.id.RouterInfo()
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		s, err := alice.tr.Dial(ctx, ri)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		sb := transporttest.WaitFor(b, bob.rec.Sessions, "bob established")
		<-alice.rec.Sessions
		s.Close(transport.ReasonNormal)
		transporttest.WaitDone(b, sb)
		<-bob.rec.Ends
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "handshakes/s")
}

// BenchmarkThroughput sends 1 KiB I2NP messages one way over one session
// on loopback UDP and waits for all of them: data-phase throughput with
// ACKs, the window and retransmission at work.
func BenchmarkThroughput(b *testing.B) {
	for _, size := range []int{1024, 16 << 10} {
		b.Run(sizeName(size), func(b *testing.B) {
			_, bob, sa, _ := pair(b, nodeOptions{}, nodeOptions{})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			sent := 0
			base := bob.rec.Count()
			for b.Loop() {
				msg := testMessage(uint32(sent), size) // distinct ids: duplicates are dropped
				for sa.Send(msg, transport.PriorityNormal) != nil {
					time.Sleep(50 * time.Microsecond) // queue full
				}
				sent++
			}
			deadline := time.Now().Add(60 * time.Second)
			for bob.rec.Count() < base+sent {
				if time.Now().After(deadline) {
					b.Fatalf("delivered %d of %d", bob.rec.Count()-base, sent)
				}
				time.Sleep(time.Millisecond)
			}
			for len(bob.rec.Messages) > 0 {
				<-bob.rec.Messages
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1024 {
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// BenchmarkDataPacket is one data packet's crypto both ways: seal and
// protect a 1200-byte payload, then unprotect and open it.
func BenchmarkDataPacket(b *testing.B) {
	tr, _, _ := handTransport(b)
	h := newHandSession(tr)
	payload := make([]byte, 1200)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	s := h.s
	var pn uint32
	for b.Loop() {
		pkt := s.sealData(payload, pn, 0)
		maskConnID(pkt, &s.snd.peerIntro)
		maskTypeBytes(pkt, &s.snd.keys.header)
		if _, err := s.snd.aead.Open(uint64(pn), pkt[shortHeaderLen:shortHeaderLen], pkt[shortHeaderLen:], pkt[:shortHeaderLen]); err != nil {
			b.Fatal(err)
		}
		pn++
	}
}
