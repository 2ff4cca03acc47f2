//go:build interop

package interop

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// TestOutproxyI2pd: Debian's tinyproxy behind an i2pd server tunnel is
// veil's HTTP outproxy (httpproxy.outproxy = http://<its b32>). curl
// through veil's HTTP proxy fetches a page from a plain HTTP server in a
// namespace of its own that stands for the clearnet (veil's namespace
// cannot reach it; tinyproxy's can); the request leaves tinyproxy for
// that server (i2pd connects to tinyproxy from a unique 127.a.b.c
// address, which tinyproxy must allow). (Without the option the proxy answers 403 "Outproxy not
// configured": TestHTTPProxyI2pd.)
func TestOutproxyI2pd(t *testing.T) {
	inParallel(t)
	tinyproxy, err := exec.LookPath("tinyproxy")
	if err != nil {
		t.Skip("tinyproxy not installed (apt-get install tinyproxy)")
	}
	t0 := time.Now()
	const host = 2 // the i2pd router of the outproxy
	keys, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m := startMixed(t, mixedConfig{
		I2pdTunnels: func(i int) string {
			if i != host {
				return ""
			}
			return "[outproxy]\ntype = server\nhost = 127.0.0.1\nport = 8888\nkeys = outproxy.dat\n" +
				"inbound.length = 2\noutbound.length = 0\ninbound.quantity = 2\noutbound.quantity = 2\n"
		},
		BeforeI2pdStart: func(i int, dataDir string) {
			if i == host {
				writeFile(t, filepath.Join(dataDir, "outproxy.dat"), keys.Bytes())
			}
		},
		VeilArgs: []string{"--httpproxy.enabled=true", "--httpproxy.outproxy=http://" + keys.Identity.Hash().B32(),
			"--httpproxy.inbound.length=2", "--httpproxy.outbound.length=2", "--httpproxy.inbound.quantity=2", "--httpproxy.outbound.quantity=2"},
	})
	t.Logf("veil and %d i2pd up after %v", len(m.I2pd), since(t0))
	// The "clearnet": a namespace linked only to the outproxy's (a veth
	// pair on 10.231.0.0/30), so veil's namespace has no route to it.
	clearNS, clearAddr := fmt.Sprintf("veilclear%d", os.Getpid()), "10.231.0.2"
	ipCmd := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	ipCmd("netns", "add", clearNS)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", clearNS).Run() })
	ipCmd("-n", m.I2pdNS[host], "link", "add", "vo0", "type", "veth", "peer", "name", "vo1", "netns", clearNS)
	ipCmd("-n", m.I2pdNS[host], "addr", "add", "10.231.0.1/30", "dev", "vo0")
	ipCmd("-n", m.I2pdNS[host], "link", "set", "vo0", "up")
	ipCmd("-n", clearNS, "addr", "add", clearAddr+"/30", "dev", "vo1")
	ipCmd("-n", clearNS, "link", "set", "vo1", "up")
	ipCmd("-n", clearNS, "link", "set", "lo", "up")
	files := t.TempDir()
	writeFile(t, filepath.Join(files, "page.txt"), []byte("a clearnet page\n"))
	startFileServer(t, m.Net, clearNS, hostPort(clearAddr, 8080), files)
	dir := t.TempDir()
	conf := filepath.Join(dir, "tinyproxy.conf")
	writeFile(t, conf, []byte("Port 8888\nListen 127.0.0.1\nTimeout 60\nMaxClients 20\nAllow 127.0.0.0/8\nDisableViaHeader Yes\nLogLevel Info\n"))
	os.Chmod(dir, 0o755)
	runVeil(t, m.Net.Command(m.I2pdNS[host], tinyproxy, "-d", "-c", conf), "tinyproxy in "+m.I2pdNS[host])
	m.waitI2pdLeaseSet(t, host, keys, 60*time.Second)

	page := "http://" + hostPort(clearAddr, 8080) + "/page.txt"
	if out, err := m.Net.Command(m.VeilNS, "curl", "-sS", "--max-time", "5", page).CombinedOutput(); err == nil {
		t.Fatalf("veil's namespace reaches the clearnet server directly: %s", out)
	}
	var got string
	for end := time.Now().Add(4 * time.Minute); time.Now().Before(end); time.Sleep(3 * time.Second) {
		out, err := m.Net.Command(m.VeilNS, "curl", "-sS", "--max-time", "60", "-x", "http://127.0.0.1:4444", page).CombinedOutput()
		got = string(out)
		if err == nil && got == "a clearnet page\n" {
			break
		}
		t.Logf("GET %s through veil: %v %.200s", page, err, strings.TrimSpace(got))
	}
	if got != "a clearnet page\n" {
		t.Fatalf("clearnet page through the outproxy: %q\n%s", got, proxyPage(t, m, page))
	}
	t.Logf("clearnet page through the outproxy after %v", since(t0))
}
