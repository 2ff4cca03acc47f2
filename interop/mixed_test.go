//go:build interop

package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// A mixed network: one veil router and a few i2pd 2.45.1 routers, each in
// its own network namespace on 198.18.0.0/24, NTCP2 only, every router
// seeded with every other's RouterInfo. Tests of what runs over tunnels
// (destinations, datagrams, streams) start from it.

// mixedConfig shapes a mixed network.
type mixedConfig struct {
	I2pd       int // i2pd routers (default 4)
	Floodfills int // the first this many i2pd routers are floodfills (default 2)
	// I2pdOptions are extra i2pd.conf options of every i2pd router.
	I2pdOptions map[string]string
	// I2pdTunnels returns the tunnels.conf of i2pd router i ("" none).
	I2pdTunnels func(i int) string
	// BeforeI2pdStart, if set, runs before i2pd router i first starts
	// (to put key files in its data folder).
	BeforeI2pdStart func(i int, dataDir string)
	// VeilTunnels is veil's tunnels.conf ("" none).
	VeilTunnels string
	VeilArgs    []string // extra veil options
	// Veils is the number of veil routers (default 1; hosts 200, 201, …;
	// < 0 for none). A network of veil routers only has I2pd < 0.
	Veils          int
	VeilFloodfills int // the first this many veil routers are floodfills
	// VeilTunnelsOf, if set, returns the tunnels.conf of veil router i
	// in place of VeilTunnels.
	VeilTunnelsOf func(i int) string
	// BeforeVeilStart, if set, runs before veil router i first starts.
	BeforeVeilStart func(i int, dataDir string)
}

// veilNode is one veil router of a mixed network.
type veilNode struct {
	Run  *veilRun
	Dir  string
	NS   string
	Addr string
	Hash string
	args []string
}

// mixedNet is a running mixed network.
type mixedNet struct {
	Net      *i2pdtest.Network
	I2pd     []*i2pdtest.Router
	Hashes   []string // of the i2pd routers
	I2pdNS   []string // their namespaces
	Veils    []*veilNode
	Veil     *veilRun // the first veil router's, as are the next three
	VeilDir  string
	VeilNS   string
	VeilHash string
	Started  time.Time // when the last router came up
}

// startMixed starts a mixed network: veil once alone to learn its
// RouterInfo, the i2pd routers seeded with it and each other, then veil
// again, so that no router builds through one still starting.
func startMixed(t *testing.T, cfg mixedConfig) *mixedNet {
	t.Helper()
	i2pdtest.Require(t)
	veil(t)
	switch {
	case cfg.I2pd == 0:
		cfg.I2pd = 4
	case cfg.I2pd < 0:
		cfg.I2pd = 0
	}
	if cfg.Floodfills == 0 {
		cfg.Floodfills = min(2, cfg.I2pd)
	}
	switch {
	case cfg.Veils == 0:
		cfg.Veils = 1
	case cfg.Veils < 0: // i2pd routers only
		cfg.Veils = 0
	}
	m := &mixedNet{Net: i2pdtest.NewNetwork(t, i2pdtest.NetworkConfig{})}
	cfgs := make([]i2pdtest.Config, cfg.I2pd)
	var ris [][]byte
	m.Hashes = make([]string, cfg.I2pd)
	m.I2pdNS = make([]string, cfg.I2pd)
	for i := range cfgs {
		ns, addr := m.Net.Add(fmt.Sprintf("r%d", i), 31+i)
		m.I2pdNS[i] = ns
		// Class X: at its default class L an i2pd 2.45.1 router refuses
		// transit (reply 30) whenever its transit traffic passes 32 KB/s
		// for a moment, which a burst of builds and tests can do here.
		opts := map[string]string{"ssu2.enabled": "false", "ssu2.published": "false", "bandwidth": "X"}
		for k, v := range cfg.I2pdOptions {
			opts[k] = v
		}
		cfgs[i] = i2pdtest.Config{DataDir: t.TempDir(), NetID: netID, Netns: ns, Host: addr, Port: ntcp2I2pdPort,
			Floodfill: i < cfg.Floodfills, Options: opts}
		if cfg.I2pdTunnels != nil {
			cfgs[i].Tunnels = cfg.I2pdTunnels(i)
		}
		if cfg.BeforeI2pdStart != nil {
			cfg.BeforeI2pdStart(i, cfgs[i].DataDir)
		}
		r := i2pdtest.Start(t, cfgs[i])
		if err := r.WaitRouterInfo(30 * time.Second); err != nil {
			t.Fatal(err)
		}
		r.Stop()
		ri, h := checkI2pdRouterInfo(t, r)
		ris, m.Hashes[i] = append(ris, ri), h
	}
	i2pdRIs := len(ris)

	for i := range cfg.Veils {
		v := &veilNode{Dir: t.TempDir()}
		v.NS, v.Addr = m.Net.Add(fmt.Sprintf("veil%d", i), ntcp2VeilHost+i)
		v.args = []string{"--datadir=" + v.Dir, "--host=" + v.Addr, "--port=" + strconv.Itoa(ntcp2VeilPort),
			"--netid=" + strconv.Itoa(netID), "--ntcp2.published=true", "--ssu2.enabled=false", "--loglevel=debug",
			"--reseed.threshold=0"}
		if i < cfg.VeilFloodfills {
			v.args = append(v.args, "--floodfill")
		}
		tunnels := cfg.VeilTunnels
		if cfg.VeilTunnelsOf != nil {
			tunnels = cfg.VeilTunnelsOf(i)
		}
		if tunnels != "" {
			tunconf := filepath.Join(v.Dir, "tunnels.conf")
			writeFile(t, tunconf, []byte(tunnels))
			v.args = append(v.args, "--tunconf="+tunconf)
		}
		v.args = append(v.args, cfg.VeilArgs...)
		if cfg.BeforeVeilStart != nil {
			cfg.BeforeVeilStart(i, v.Dir)
		}
		first := startVeilNetns(t, m.Net, v.NS, v.args...)
		if _, err := first.waitLog(regexp.MustCompile(`msg="router running"`), 30*time.Second); err != nil {
			t.Fatal(err)
		}
		var ri []byte
		ri, v.Hash = checkVeilRouterInfo(t, first, v.Dir, v.Addr)
		if err := first.stop(); err != nil {
			t.Fatal(err)
		}
		ris = append(ris, ri)
		m.Veils = append(m.Veils, v)
	}
	// Every router knows every other before any starts building.
	for i := range cfgs {
		m.I2pd = append(m.I2pd, startSeeded(t, cfgs[i], others(ris, i)...))
	}
	for i, v := range m.Veils {
		for _, ri := range others(ris, i2pdRIs+i) {
			if _, err := i2pdtest.InstallRouterInfo(filepath.Join(v.Dir, "netDb"), ri); err != nil {
				t.Fatal(err)
			}
		}
		v.Run = startVeilNetns(t, m.Net, v.NS, v.args...)
	}
	for _, v := range m.Veils {
		if _, err := v.Run.waitLog(regexp.MustCompile(`msg="router running"`), 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.Veils) > 0 {
		first := m.Veils[0]
		m.Veil, m.VeilDir, m.VeilNS, m.VeilHash = first.Run, first.Dir, first.NS, first.Hash
	}
	m.Started = time.Now()
	return m
}

// waitVeilTunnels waits until veil has at least in inbound and out
// outbound established tunnels.
func (m *mixedNet) waitVeilTunnels(t *testing.T, in, out int, wait time.Duration) *veilStatus {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		st, err := veilStatusOf(t, m.VeilDir)
		if err == nil && st.Tunnels.established(true) >= in && st.Tunnels.established(false) >= out {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("veil has no %d+%d tunnels after %v: %+v (err %v)\n%s", in, out, wait, st, err, m.Veil.logSummary(30))
		}
		time.Sleep(2 * time.Second)
	}
}

// inParallel lets a test that mostly waits (soaks, tunnel builds, LeaseSet
// publication) run beside the others of its kind: each has its own
// namespaces, routers and folders, and ./test runs interop with
// -parallel. Tests that time things against i2pd stay serial.
// VEIL_INTEROP_SERIAL=1 runs every test alone, for timing each.
func inParallel(t *testing.T) {
	if os.Getenv("VEIL_INTEROP_SERIAL") != "1" {
		t.Parallel()
	}
}

// waitI2pdLeaseSet waits until an i2pd floodfill holds the LeaseSet of
// the destination of k, hosted by i2pd router i. i2pd 2.45.1 sometimes
// never publishes one (when its inbound tunnels are ready before its
// outbound ones it logs "Destination is not ready" and does not retry for
// minutes), so the router is restarted after each wait, twice at most.
func (m *mixedNet) waitI2pdLeaseSet(t *testing.T, i int, k *keyfile.PrivateKeys, wait time.Duration) {
	t.Helper()
	t0 := time.Now()
	for restarts := 0; ; restarts++ {
		for end := time.Now().Add(wait); time.Now().Before(end); time.Sleep(2 * time.Second) {
			if onFloodfill(m, k) {
				t.Logf("i2pd router %d's LeaseSet on a floodfill after %v (%d restarts)", i, since(t0), restarts)
				return
			}
		}
		if restarts == 2 {
			t.Fatalf("i2pd router %d's LeaseSet not on a floodfill after %v and 2 restarts", i, since(t0))
		}
		t.Logf("i2pd router %d published no LeaseSet in %v: restarting it", i, wait)
		m.I2pd[i].Restart()
	}
}
