//go:build interop

package interop

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
)

// Services that tests run inside their network namespaces: the test
// binary itself, started again with serveFilesEnv set, is an HTTP file
// server (so the tests need no Python or web server installed).

// serveFilesEnv is "ADDR DIR": serve DIR over HTTP on ADDR until killed.
const serveFilesEnv = "VEIL_INTEROP_SERVE_FILES"

func serveFiles(spec string) int {
	addr, dir, ok := strings.Cut(spec, " ")
	if !ok {
		fmt.Fprintln(os.Stderr, "interop: bad", serveFilesEnv, spec)
		return 2
	}
	srv := &http.Server{Addr: addr, Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	// SIGTERM (the test's cleanup) is a clean exit.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startFileServer serves dir over HTTP on addr inside namespace ns until
// the test ends, and waits until it answers.
func startFileServer(t *testing.T, n *i2pdtest.Network, ns, addr, dir string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := n.Command(ns, exe)
	cmd.Env = append(os.Environ(), serveFilesEnv+"="+addr+" "+dir)
	runVeil(t, cmd, "file server in "+ns)
	for range 50 {
		if out, err := n.Command(ns, "curl", "-sf", "-o", "/dev/null", "http://"+addr+"/").CombinedOutput(); err == nil {
			return
		} else if len(out) > 0 {
			t.Logf("curl: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("file server on %s in %s does not answer", addr, ns)
}

// randomFile writes size random bytes to dir/name and returns their
// SHA-256 in hex.
func randomFile(t *testing.T, dir, name string, size int) string {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	writeFile(t, filepath.Join(dir, name), b)
	return sha256Hex(b)
}

// curlOnce fetches url with curl inside ns (extra are curl options)
// and returns the SHA-256 of the body, its length and the time taken.
func curlOnce(t *testing.T, n *i2pdtest.Network, ns, url string, timeout time.Duration, extra ...string) (string, int64, time.Duration, error) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "body")
	args := append([]string{"-sS", "-f", "--max-time", fmt.Sprint(max(1, int(timeout.Seconds()))), "-o", out}, extra...)
	start := time.Now()
	b, err := n.Command(ns, "curl", append(args, url)...).CombinedOutput()
	took := time.Since(start)
	if err != nil {
		return "", 0, took, fmt.Errorf("curl: %v %s", err, strings.TrimSpace(string(b)))
	}
	body, err := os.ReadFile(out)
	if err != nil {
		return "", 0, took, err
	}
	return sha256Hex(body), int64(len(body)), took, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hostPort joins a namespace address and a port.
func hostPort(addr string, port int) string { return net.JoinHostPort(addr, fmt.Sprint(port)) }
