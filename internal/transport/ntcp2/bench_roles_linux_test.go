package ntcp2

import (
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// rusageThread is Linux's RUSAGE_THREAD: the calling thread's usage.
const rusageThread = 1

// threadCPU is the CPU time (user + system) the calling OS thread has used.
func threadCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHandshakeRoles runs the same handshakes as BenchmarkHandshake
// with each role on its own locked OS thread, and reports the CPU time
// each role spent per handshake and the handshakes per second one core
// could do in that role (issue 3: "handshakes per second per core, both
// roles").
func BenchmarkHandshakeRoles(b *testing.B) {
	p := newFuzzPair(b)
	ri := p.b.cfg.RouterInfo()
	addr := dialAddrs(ri, true, true)[0]
	var initCPU, respCPU time.Duration
	b.ReportAllocs()
	for b.Loop() {
		c1, c2 := net.Pipe()
		done := make(chan error, 1)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			t0 := threadCPU(b)
			_, err := newInboundHandshake(p.b, c2).handshake()
			respCPU += threadCPU(b) - t0
			done <- err
		}()
		func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			t0 := threadCPU(b)
			h, _ := newOutboundHandshake(p.a, c1, ri, addr)
			if _, err := h.handshake(); err != nil {
				b.Fatal(err)
			}
			initCPU += threadCPU(b) - t0
		}()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		c1.Close()
		c2.Close()
	}
	n := float64(b.N)
	b.ReportMetric(initCPU.Seconds()*1e6/n, "initiator-cpu-µs/op")
	b.ReportMetric(respCPU.Seconds()*1e6/n, "responder-cpu-µs/op")
	b.ReportMetric(n/initCPU.Seconds(), "initiator-handshakes/cpu-s")
	b.ReportMetric(n/respCPU.Seconds(), "responder-handshakes/cpu-s")
}
