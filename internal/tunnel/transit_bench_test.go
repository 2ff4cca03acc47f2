//go:build unix

package tunnel

import (
	"encoding/binary"
	"syscall"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// Benchmarks of the transit hot paths, one core each (run with -cpu 1):
//
//	go test -run '^$' -bench 'Transit' -benchmem -cpu 1 ./internal/tunnel/
//
// Besides ns/op (wall time, which other processes on a shared machine
// inflate), each reports its rate per CPU-second of the whole process
// (getrusage: user + system, garbage collection included), which is what
// "per core" means and does not depend on the machine's other load.

// cpuClock accumulates the process's CPU time between start and stop,
// alongside the benchmark timer.
type cpuClock struct {
	tb      testing.TB
	total   time.Duration
	started time.Duration
}

func (c *cpuClock) now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		c.tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *cpuClock) start() { c.started = c.now() }
func (c *cpuClock) stop()  { c.total += c.now() - c.started }

// transitBenchUnix is when the benchmarks' simulated clock starts.
const transitBenchUnix = 1_800_000_000

// newBenchParticipant returns a Transit with the transit share share
// (bytes/s, 0 for none) holding one participant tunnel (receive id 100)
// built the way a creator builds it.
func newBenchParticipant(tb testing.TB, share int, now time.Time) *Transit {
	tb.Helper()
	r, next := newTestRouter(tb), newTestRouter(tb)
	tr := NewTransit(TransitConfig{Self: r.ident, Keys: r.keys, Accept: true, ShareBytes: share})
	out, err := tr.HandleBuild(data.Hash{0xc0}, i2np.TypeShortTunnelBuild, participantBuild(tb, r, next, 100, now), now, nil)
	if err != nil || len(out) != 1 || out[0].To != next.ident || tr.Len() != 1 {
		tb.Fatalf("participant not built: %v, %d out, %d tunnels", err, len(out), tr.Len())
	}
	return tr
}

// BenchmarkTransitParticipant is a participant's whole hop for one
// TunnelData message: parse, tunnel lookup, bandwidth share, duplicate
// filter, layer, the Out to send. Each iteration's message is distinct (a
// counter in the IV; the rest of the IV and the first data block zeroed,
// so the filter's keys differ exactly), as the filter drops repeats.
//
// The simulated clock moves as the traffic would: with no share, so that
// the default-sized duplicate filter takes a quarter of its capacity per
// period (at one instant a Bloom filter fills past its capacity and drops
// good messages as false duplicates, a question of sizing, not of cost);
// with a share, just under its rate, against a filter sized for it
// (DupCapacity: 8 MiB/s gives 2 × 12 MiB, so its probes miss the caches
// as a busy router's do).
func BenchmarkTransitParticipant(b *testing.B) {
	for _, bc := range []struct {
		name  string
		share int
		step  time.Duration
	}{
		{"share=none", 0, DefaultDupPeriod / (DefaultDupCapacity / 4)},
		{"share=8MiB/s", 8 << 20, time.Second * i2np.TunnelDataMsgLen * 101 / (8 << 20 * 100)},
	} {
		b.Run(bc.name, func(b *testing.B) { benchParticipant(b, bc.share, bc.step) })
	}
}

func benchParticipant(b *testing.B, share int, step time.Duration) {
	now := time.Unix(transitBenchUnix, 0)
	tr := newBenchParticipant(b, share, now)
	from := data.Hash{0xc0}
	msg := make([]byte, i2np.TunnelDataMsgLen)
	out := make([]Out, 0, 1)
	var dropped int
	b.SetBytes(i2np.TunnelDataMsgLen - 4)
	b.ReportAllocs()
	cpu := cpuClock{tb: b}
	cpu.start()
	for i := uint64(0); b.Loop(); i++ {
		binary.BigEndian.PutUint32(msg, 100)
		binary.LittleEndian.PutUint64(msg[4:], i)
		clear(msg[12 : 4+2*ivLen])
		now = now.Add(step)
		var err error
		if out, err = tr.HandleTunnelData(from, msg, now, out[:0]); err != nil {
			dropped++
		}
	}
	cpu.stop()
	// A filter within its capacity drops about 2e-4 as false duplicates.
	if c := tr.Counters(); c.DataIn != uint64(b.N) || c.OverShare != 0 || dropped*1000 > b.N {
		b.Fatalf("counters %+v after %d messages", c, b.N)
	}
	b.ReportMetric(float64(b.N)*float64(i2np.TunnelDataMsgLen-4)/1e6/cpu.total.Seconds(), "MB/cpu-s")
}

// BenchmarkTransitBuildRequest is the build requests one core answers per
// second: rate limit, parse, open our record (X25519, Noise), screen
// (time, replay filter), admit (a new participant tunnel), reply in the
// records and the forwarded message. Requests are made outside the
// timer, transitBuildPool at a time, each for a new tunnel from one of
// transitBuildPeers previous hops (within their burst); a fresh Transit
// takes each pool, so the tunnel table stays under MaxTunnels.
func BenchmarkTransitBuildRequest(b *testing.B) {
	const (
		transitBuildPool  = 1024
		transitBuildPeers = 32 // transitBuildPool / peers ≤ DefaultBuildBurst
	)
	now := time.Unix(transitBenchUnix, 0)
	r, next := newTestRouter(b), newTestRouter(b)
	var (
		tr    *Transit
		pool  [][]byte
		out   = make([]Out, 0, 1)
		peers [transitBuildPeers]data.Hash
	)
	for i := range peers {
		peers[i] = data.Hash{0xc0, byte(i)}
	}
	cpu := cpuClock{tb: b}
	refill := func() {
		b.StopTimer()
		cpu.stop()
		tr = NewTransit(TransitConfig{Self: r.ident, Keys: r.keys, Accept: true})
		pool = pool[:0]
		for i := range transitBuildPool {
			pool = append(pool, participantBuild(b, r, next, data.TunnelID(1000+i), now))
		}
		cpu.start()
		b.StartTimer()
	}
	b.ReportAllocs()
	cpu.start()
	for i := 0; b.Loop(); i++ {
		if i%transitBuildPool == 0 {
			refill()
		}
		var err error
		out, err = tr.HandleBuild(peers[i%transitBuildPeers], i2np.TypeShortTunnelBuild, pool[i%transitBuildPool], now, out[:0])
		if err != nil || len(out) != 1 {
			b.Fatalf("request %d: %v", i, err)
		}
	}
	cpu.stop()
	if c := tr.Counters(); c.Accepted != uint64((b.N-1)%transitBuildPool+1) {
		b.Fatalf("counters %+v after %d requests", c, b.N)
	}
	b.ReportMetric(float64(b.N)/cpu.total.Seconds(), "requests/cpu-s")
}
