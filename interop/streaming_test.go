//go:build interop

package interop

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Limits of TestStreamingI2pd.
const (
	streamFileSize  = 20 << 20
	streamReadyWait = 3 * time.Minute
	streamCurlTime  = 10 * time.Minute
	i2pdWebPort     = 31010 // the HTTP server behind i2pd's server tunnel
	i2pdProxyPort   = 31011 // i2pd's HTTP proxy
	veilWebOutPort  = 32020 // veil's client tunnel to i2pd's server tunnel
	veilWebPort     = 32021 // the HTTP server behind veil's server tunnel
	streamPoolShape = "inbound.length = 2\noutbound.length = 2\ninbound.quantity = 2\noutbound.quantity = 2\n"
)

// TestStreamingI2pd checks issue 8's first "Done when" in a mixed private
// network (veil and four i2pd 2.45.1 routers in netns, 2-hop tunnels):
//
//   - through a veil client tunnel, curl (in veil's namespace) downloads
//     a 20 MB file from an HTTP server behind an i2pd server tunnel;
//   - through i2pd's HTTP proxy, curl (in an i2pd router's namespace)
//     downloads a 20 MB file from an HTTP server behind a veil server
//     tunnel;
//
// and the SHA-256 of each download matches. It logs each transfer's rate.
func TestStreamingI2pd(t *testing.T) {
	t0 := time.Now()
	requireTool(t, "curl", "curl")
	file := make([]byte, streamFileSize)
	rand.Read(file)
	want := sha256.Sum256(file)
	newKeys := func() *keyfile.PrivateKeys {
		k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	i2pdWeb, veilWeb := newKeys(), newKeys()
	const webRouter, proxyRouter = 2, 3
	m := startMixed(t, mixedConfig{
		I2pdOptions: map[string]string{
			"httpproxy.enabled": "true", "httpproxy.address": "127.0.0.1", "httpproxy.port": fmt.Sprint(i2pdProxyPort),
			"httpproxy.inbound.length": "2", "httpproxy.outbound.length": "2",
		},
		I2pdTunnels: func(i int) string {
			if i != webRouter {
				return ""
			}
			return fmt.Sprintf("[web]\ntype = server\nhost = 127.0.0.1\nport = %d\nkeys = web.dat\n%s", i2pdWebPort, streamPoolShape)
		},
		BeforeI2pdStart: func(i int, dir string) {
			if i == webRouter {
				writeFile(t, filepath.Join(dir, "web.dat"), i2pdWeb.Bytes())
			}
		},
		VeilTunnels: fmt.Sprintf("[web-out]\ntype = client\ndestination = %s\nport = %d\n%s\n", b32(i2pdWeb), veilWebOutPort, streamPoolShape) +
			fmt.Sprintf("[veilweb]\ntype = server\nhost = 127.0.0.1\nport = %d\nkeys = veilweb.dat\n%s", veilWebPort, streamPoolShape),
		BeforeVeilStart: func(_ int, dir string) { writeFile(t, filepath.Join(dir, "veilweb.dat"), veilWeb.Bytes()) },
	})
	t.Logf("network up after %v", since(t0))
	serveFile(t, m, m.I2pdNS[webRouter], i2pdWebPort, file)
	serveFile(t, m, m.VeilNS, veilWebPort, file)
	deadline := time.Now().Add(streamReadyWait)
	for {
		st, err := veilStatusOf(t, m.VeilDir)
		if err == nil && len(st.Destinations) == 2 && st.Destinations[0].Stores > 0 && st.Destinations[1].Stores > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("veil's destinations not published after %v: %+v (%v)\n%s", streamReadyWait, st, err, m.Veil.logSummary(30))
		}
		time.Sleep(2 * time.Second)
	}
	waitOnFloodfill(t, m, webRouter, i2pdWeb)
	t.Logf("LeaseSets published after %v", since(t0))

	t.Run("veil client tunnel to i2pd server tunnel", func(t *testing.T) {
		curlFile(t, m, m.VeilNS, want, fmt.Sprintf("http://127.0.0.1:%d/file", veilWebOutPort))
	})
	t.Run("i2pd HTTP proxy to veil server tunnel", func(t *testing.T) {
		curlFile(t, m, m.I2pdNS[proxyRouter], want, "--proxy", fmt.Sprintf("http://127.0.0.1:%d", i2pdProxyPort),
			fmt.Sprintf("http://%s/file", b32(veilWeb)))
	})
	if t.Failed() {
		t.Logf("veil's streaming and tunnel lines:\n%s", grepLines(m.Veil.log(), 60, "streaming", "i2ptunnel", "TCP tunnel", "LeaseSet of"))
	}
	t.Logf("total %v", since(t0))
}

// serveFile serves file at /file over HTTP on 127.0.0.1:port in ns.
func serveFile(t *testing.T, m *mixedNet, ns string, port int, file []byte) {
	ln, err := m.Net.Listen(ns, fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "file", time.Time{}, bytes.NewReader(file))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// curlFile runs curl in ns with args (the URL last), retrying a failed
// start (the first LeaseSet lookup may miss), and checks the SHA-256 of
// what it downloaded.
func curlFile(t *testing.T, m *mixedNet, ns string, want [32]byte, args ...string) {
	out := filepath.Join(t.TempDir(), "file")
	for try := 1; ; try++ {
		start := time.Now()
		cmd := m.Net.Command(ns, "curl", append([]string{"-sS", "--fail", "--max-time", fmt.Sprint(int(streamCurlTime.Seconds())),
			"-o", out}, args...)...)
		msg, err := cmd.CombinedOutput()
		d := time.Since(start)
		if err == nil {
			got, rerr := os.ReadFile(out)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if sha256.Sum256(got) != want {
				t.Fatalf("curl %s: %d bytes, want %d with the server's SHA-256", args[len(args)-1], len(got), streamFileSize)
			}
			t.Logf("%d bytes in %v: %.0f kB/s, SHA-256 matches (try %d)", len(got), d.Round(time.Millisecond),
				float64(len(got))/d.Seconds()/1e3, try)
			return
		}
		t.Logf("curl try %d after %v: %v: %s", try, d.Round(time.Millisecond), err, strings.TrimSpace(string(msg)))
		if try == 3 {
			t.Fatal("curl failed 3 times")
		}
		time.Sleep(5 * time.Second)
	}
}

// waitOnFloodfill waits until the LeaseSet of k (hosted by i2pd router i)
// is on a floodfill, restarting router i twice at most if it stalls, as
// i2pd 2.45.1 sometimes does (see waitI2pdServers).
func waitOnFloodfill(t *testing.T, m *mixedNet, i int, k *keyfile.PrivateKeys) {
	t0 := time.Now()
	for restarts := 0; ; restarts++ {
		for deadline := time.Now().Add(dgPublishWait); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
			if onFloodfill(m, k) {
				t.Logf("i2pd server tunnel's LeaseSet on a floodfill after %v", since(t0))
				return
			}
		}
		if restarts == 2 {
			t.Fatalf("i2pd server tunnel's LeaseSet not published after %v and 2 restarts", since(t0))
		}
		t.Logf("i2pd router %d has not published its LeaseSet after %v: restarting it", i, dgPublishWait)
		m.I2pd[i].Restart()
	}
}
