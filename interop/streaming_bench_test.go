//go:build interop

package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/keyfile"
)

// Issue 8's benchmark: one stream through 3-hop outbound and 3-hop
// inbound tunnels in a network of veil routers only, and the same in a
// network of i2pd 2.45.1 routers only, one after the other in one run
// (their ratio), then 100 streams at once between the two veil
// destinations. Seven routers each (two floodfills, the server's, the
// client's, three more), in netns. It takes several minutes, so it runs
// only with VEIL_STREAM_BENCH=1; VEIL_STREAM_BENCH_MB sets the one
// stream's size (default 10) and VEIL_STREAM_BENCH_KB each of the 100
// streams' (default 256).
//
//	VEIL_STREAM_BENCH=1 go test -tags interop -count=1 -v -run TestStreamingBench ./interop/

const (
	benchRouters    = 7
	benchServer     = 5 // the router hosting the server tunnel
	benchClient     = 6 // the one hosting the client tunnel
	benchStreams    = 100
	benchPoolShape  = "inbound.length = 3\noutbound.length = 3\ninbound.quantity = 3\noutbound.quantity = 3\n"
	benchWebPort    = 33000 // the HTTP server beside the server tunnel
	benchClientPort = 33001 // the client tunnel
)

func TestStreamingBench(t *testing.T) {
	if os.Getenv("VEIL_STREAM_BENCH") != "1" {
		t.Skip("VEIL_STREAM_BENCH=1 runs it (several minutes)")
	}
	size := envInt("VEIL_STREAM_BENCH_MB", 10) << 20
	each := envInt("VEIL_STREAM_BENCH_KB", 256) << 10
	files := t.TempDir()
	want := randomFile(t, files, "file.bin", size)
	body, err := os.ReadFile(filepath.Join(files, "file.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var veilRate, i2pdRate float64
	t.Run("veil", func(t *testing.T) {
		m := startBenchNet(t, true, files)
		veilRate = benchOne(t, m, m.Veils[benchClient].NS, want)
		t.Run("100 streams", func(t *testing.T) {
			benchMany(t, m, m.Veils[benchClient].NS, body[:each])
		})
	})
	t.Run("i2pd", func(t *testing.T) {
		m := startBenchNet(t, false, files)
		i2pdRate = benchOne(t, m, m.I2pdNS[benchClient], want)
	})
	recordBench(benchFigure{ID: "P2", Name: fmt.Sprintf("one stream through 3+3 hops, %d MB", size>>20), Unit: "kB/s", Better: "higher",
		Veil: []float64{veilRate / 1e3}, I2pd: []float64{i2pdRate / 1e3}})
	if veilRate > 0 && i2pdRate > 0 {
		t.Logf("one stream, 3+3 hops, %d MB: veil %.0f kB/s, i2pd %.0f kB/s, veil/i2pd %.2f",
			size>>20, veilRate/1e3, i2pdRate/1e3, veilRate/i2pdRate)
	}
}

// startBenchNet starts a network of veil routers (veil) or of i2pd
// routers, serves files beside the server tunnel and waits until the
// server's LeaseSet is on a floodfill and the client's tunnels are up.
func startBenchNet(t *testing.T, veil bool, files string) *mixedNet {
	t0 := time.Now()
	web, err := keyfile.GenerateRouter(rand.Reader) // Ed25519 and X25519 keys
	if err != nil {
		t.Fatal(err)
	}
	server := fmt.Sprintf("[web]\ntype = server\nhost = 127.0.0.1\nport = %d\nkeys = web.dat\n%s", benchWebPort, benchPoolShape)
	client := fmt.Sprintf("[web-out]\ntype = client\naddress = 127.0.0.1\ndestination = %s\nport = %d\n%s", b32(web), benchClientPort, benchPoolShape)
	tunnels := func(i int) string {
		switch i {
		case benchServer:
			return server
		case benchClient:
			return client
		}
		return ""
	}
	putKeys := func(i int, dir string) {
		if i == benchServer {
			writeFile(t, filepath.Join(dir, "web.dat"), web.Bytes())
		}
	}
	cfg := mixedConfig{I2pd: benchRouters, Floodfills: 2, Veils: -1, I2pdTunnels: tunnels, BeforeI2pdStart: putKeys}
	if veil {
		cfg = mixedConfig{I2pd: -1, Veils: benchRouters, VeilFloodfills: 2, VeilTunnelsOf: tunnels, BeforeVeilStart: putKeys}
	}
	m := startMixed(t, cfg)
	ns := m.I2pdNS
	if veil {
		ns = nil
		for _, v := range m.Veils {
			ns = append(ns, v.NS)
		}
	}
	startFileServer(t, m.Net, ns[benchServer], hostPort("127.0.0.1", benchWebPort), files)
	deadline := time.Now().Add(streamReady)
	for {
		ready := false
		if veil {
			s, err1 := veilStatusOf(t, m.Veils[benchServer].Dir)
			c, err2 := veilStatusOf(t, m.Veils[benchClient].Dir)
			ready = err1 == nil && err2 == nil && len(s.Destinations) == 1 && s.Destinations[0].Stores > 0 &&
				len(c.Destinations) == 1 && c.Destinations[0].Leases > 0
		} else {
			ready = onFloodfill(m, web)
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server LeaseSet not published after %v", streamReady)
		}
		time.Sleep(2 * time.Second)
	}
	// Let the pools fill (3-hop builds) before timing.
	time.Sleep(20 * time.Second)
	t.Logf("network of %d %s routers ready after %v", benchRouters, map[bool]string{true: "veil", false: "i2pd"}[veil], since(t0))
	return m
}

// benchOne downloads the file once through the client tunnel (curl in
// ns), checks its SHA-256 and returns bytes per second.
func benchOne(t *testing.T, m *mixedNet, ns, want string) float64 {
	got, n, took := fetchRetrying(t, m.Net, ns, fmt.Sprintf("http://127.0.0.1:%d/file.bin", benchClientPort))
	if got != want {
		t.Fatalf("sha256 %s, want %s", got, want)
	}
	rate := float64(n) / took.Seconds()
	t.Logf("one stream: %d bytes in %v, %.0f kB/s", n, took.Round(time.Millisecond), rate/1e3)
	logStreams(t, m)
	return rate
}

// logStreams logs the streaming lines of the veil client and server
// routers with VEIL_STREAM_BENCH_LOG=1 or when t failed.
func logStreams(t *testing.T, m *mixedNet) {
	if len(m.Veils) > benchClient && (t.Failed() || os.Getenv("VEIL_STREAM_BENCH_LOG") == "1") {
		for _, i := range []int{benchClient, benchServer} {
			t.Logf("veil router %d's streaming lines:\n%s", i, grepLines(m.Veils[i].Run.log(), 150, "streaming:", "i2ptunnel"))
		}
	}
}

// benchMany downloads part (a prefix of the file, by Range) over 100
// streams at once through the client tunnel in ns and logs the rate.
func benchMany(t *testing.T, m *mixedNet, ns string, part []byte) {
	client := &http.Client{Transport: &http.Transport{DialContext: m.Net.Dialer(ns), DisableKeepAlives: true}, Timeout: streamFetchMax}
	url := fmt.Sprintf("http://127.0.0.1:%d/file.bin", benchClientPort)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, total := 0, 0
	var slowest time.Duration
	start := time.Now()
	for range benchStreams {
		wg.Go(func() {
			t0 := time.Now()
			req, _ := http.NewRequestWithContext(context.Background(), "GET", url, nil)
			req.Header.Set("Range", fmt.Sprintf("bytes=0-%d", len(part)-1))
			resp, err := client.Do(req)
			if err != nil {
				t.Logf("GET: %v", err)
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			total += len(b)
			if err == nil && bytes.Equal(b, part) {
				ok++
			}
			slowest = max(slowest, time.Since(t0))
		})
	}
	wg.Wait()
	d := time.Since(start)
	t.Logf("%d streams of %d kB at once: %d complete and equal, %.0f kB/s together, slowest %v, all in %v",
		benchStreams, len(part)>>10, ok, float64(total)/d.Seconds()/1e3, slowest.Round(time.Millisecond), d.Round(time.Millisecond))
	recordBench(benchFigure{ID: "P2", Name: fmt.Sprintf("%d streams at once through 3+3 hops, together", benchStreams), Unit: "kB/s", Better: "higher",
		Veil: []float64{float64(total) / d.Seconds() / 1e3}})
	if ok < benchStreams {
		t.Errorf("%d of %d streams complete", ok, benchStreams)
	}
	logStreams(t, m)
}

// envInt is the integer environment variable name, or def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
