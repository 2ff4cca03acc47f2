//go:build interop

package interop

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/testnet"
)

// TestTestnetI2pd is `veil testnet --i2pd 3`: six veil routers in this
// process and three i2pd 2.45.1 routers in namespaces, one network; the
// veil-hosted eepsite answers through router 0's proxy and through every
// i2pd router's HTTP proxy (curl), and Close leaves no i2pd process and
// no namespace behind.
func TestTestnetI2pd(t *testing.T) {
	inParallel(t)
	i2pdtest.Require(t)
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	n, err := testnet.Start(ctx, testnet.Config{I2pd: 3, NetID: 78, ProxyAddr: "127.0.0.1:0", LogLevel: "info", Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Wait(ctx, func(p testnet.Progress) {
		if p.Complete {
			t.Logf("%5.1fs %s %d/%d", time.Since(start).Seconds(), p.Stage, p.Done, p.Of)
		}
	}); err != nil {
		t.Fatalf("%v (log %s/%s)", err, n.Dir(), testnet.LogFile)
	}
	// Wait's last stage used i2pd router 0's proxy; the others may still
	// be building their tunnels ("Proxy error: Host is down"): a few tries.
	for i, p := range n.I2pdProxies() {
		var out []byte
		var err error
		for try := 0; try < 8; try++ {
			out, err = exec.CommandContext(ctx, "curl", "-sS", "--max-time", "30", "-x", "http://"+p, "http://"+n.Eepsite()+"/").CombinedOutput()
			if err == nil && strings.Contains(string(out), "Hello from the veil testnet") {
				break
			}
			time.Sleep(5 * time.Second)
		}
		if err != nil || !strings.Contains(string(out), "Hello from the veil testnet") {
			t.Errorf("curl through i2pd %d (%s): %v\n%.300s", i, p, err, out)
		}
	}
	dir := n.Dir()
	if err := n.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if out, _ := exec.Command("pgrep", "-f", "i2pd --datadir="+dir).Output(); len(out) > 0 {
		t.Errorf("i2pd still running: %s", out)
	}
	if out, _ := exec.Command("ip", "addr").Output(); strings.Contains(string(out), "198.19.78.") {
		t.Errorf("host addresses left:\n%s", out)
	}
	os.RemoveAll(dir)
}
