//go:build interop

package interop

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
)

// Limits of TestTransitI2pd.
const (
	transitReadyWait = 5 * time.Minute // tunnels built, LeaseSet found, first fetch done
	transitFileSize  = 1 << 20
	transitRounds    = 20 // fetches per path, in blocks of transitBlock
	transitBlock     = transitRounds / 2
	transitFetchWait = 90 * time.Second
	transitHTTPPort  = 8080
	transitViaVeil   = 7001
	transitViaI2pd   = 7002
)

// TestTransitI2pd checks that i2pd routers build tunnels through veil and
// that traffic flows through them, and measures it side by side with the
// same traffic through an i2pd router in the same position.
//
// Network (netns, NTCP2 only): r0 hosts a server tunnel with zero-hop
// tunnels in front of an HTTP server; r1 runs two client tunnels to it,
// one with explicitPeers=veil, the other with explicitPeers=r2, both
// 1-hop inbound and outbound. So every byte between client and server
// crosses the explicit peer twice: as outbound endpoint (client to server,
// delivered to r0's zero-hop inbound gateway) and as inbound gateway
// (server to client). veil must therefore answer i2pd's short tunnel
// builds in both roles (as outbound endpoint its reply travels back in
// one-time garlic through a TunnelGateway) and run both data paths.
//
// The test fetches a 1 MiB file through each client tunnel transitRounds
// times, in blocks of transitBlock fetches through one path ordered veil,
// i2pd, i2pd, veil (so that a drift over the run weighs on both alike),
// checks every byte, and reports the median times and their ratio (veil /
// i2pd; below 1 means veil's path was faster). It also reads the CPU time
// of the veil process and of r2 around each block (/proc/PID/stat), and
// reports each one's CPU seconds per GB it relayed (the file's bytes; the
// small requests and ACKs the other way are in the CPU, not the bytes),
// raw and less its own idle rate measured during the other path's blocks,
// and the ratio veil / i2pd. Only the fetches are asserted: the figures
// depend on the machine. TestTransitI2pdSSU2 is the same over SSU2.
func TestTransitI2pd(t *testing.T) { testTransitI2pd(t, "NTCP2") }

// testTransitI2pd is TestTransitI2pd with style ("NTCP2" or "SSU2") the
// only transport of every router.
func testTransitI2pd(t *testing.T, style string) {
	i2pdtest.Require(t)
	veil(t)
	t0 := time.Now()
	n := i2pdtest.NewNetwork(t, i2pdtest.NetworkConfig{})
	i2pdOff := map[string]string{"ssu2.enabled": "false", "ssu2.published": "false"}
	veilArgs := []string{"--ntcp2.published=true", "--ssu2.enabled=false"}
	if style == "SSU2" {
		i2pdOff = map[string]string{"ntcp2.enabled": "false", "ntcp2.published": "false"}
		veilArgs = []string{"--ntcp2.enabled=false", "--ssu2.published=true"}
	}

	// 1. i2pd identities (and r0's server destination).
	cfgs := make([]i2pdtest.Config, 3)
	ris := make([][]byte, 3)
	hashes := make([]string, 3)
	nss := make([]string, 3)
	var serverB32 string
	for i := range cfgs {
		ns, addr := n.Add(fmt.Sprintf("r%d", i), 21+i)
		nss[i] = ns
		cfgs[i] = i2pdtest.Config{
			DataDir: t.TempDir(), NetID: netID, Netns: ns, Host: addr, Port: ntcp2I2pdPort,
			// The client's router is no floodfill: i2pd 2.45.1 reads a
			// LeaseSet2 from its own floodfill store as a LeaseSet1
			// ("LeaseSet: Rncorrect number of leases") and never connects.
			Floodfill: i != 1,
			Options:   i2pdOff,
		}
		if i == 0 {
			cfgs[0].Tunnels = zeroHopServer("srv", addr, transitHTTPPort)
		}
		r := i2pdtest.Start(t, cfgs[i])
		if err := r.WaitRouterInfo(30 * time.Second); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			b32, err := r.ServerTunnelB32("srv", 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			serverB32 = b32
		}
		r.Stop()
		ris[i], hashes[i] = checkI2pdTransport(t, r, style, netID)
	}
	t.Logf("i2pd: r0 %s (server %s), r1 %s (client), r2 %s (relay) after %v", hashes[0], serverB32, hashes[1], hashes[2], since(t0))

	// 2. veil, its netDb seeded with all three.
	nsV, addrV := n.Add("veil", ntcp2VeilHost)
	vdir := t.TempDir()
	for _, ri := range ris {
		if _, err := i2pdtest.InstallRouterInfo(filepath.Join(vdir, "netDb"), ri); err != nil {
			t.Fatal(err)
		}
	}
	v := startVeilNetns(t, n, nsV, append([]string{"--datadir=" + vdir, "--host=" + addrV, "--port=" + strconv.Itoa(ntcp2VeilPort),
		"--netid=" + strconv.Itoa(netID), "--loglevel=debug", "--reseed.threshold=0"}, veilArgs...)...)
	if _, err := v.waitLog(regexp.MustCompile(`msg="router running"`), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	veilRI, veilHash := checkVeilTransport(t, v, vdir, addrV, style, ntcp2VeilPort, netID)

	// 3. The HTTP server in r0's namespace, and the routers.
	file := make([]byte, transitFileSize)
	rand.Read(file)
	l, err := n.Listen(nss[0], net.JoinHostPort(cfgs[0].Host, strconv.Itoa(transitHTTPPort)))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(file)))
		w.Write(file)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	cfgs[1].Tunnels = clientTunnel("viaveil", cfgs[1].Host, transitViaVeil, serverB32, veilHash) +
		clientTunnel("viai2pd", cfgs[1].Host, transitViaI2pd, serverB32, hashes[2])
	routers := make([]*i2pdtest.Router, 3)
	for _, i := range []int{0, 2, 1} {
		routers[i] = startSeeded(t, cfgs[i], append(others(ris, i), veilRI)...)
	}
	t.Logf("routers up after %v", since(t0))

	// 4. First fetches: tunnels built, LeaseSet found.
	fetch := func(port int) (time.Duration, error) {
		return fetchThrough(n, nss[1], net.JoinHostPort(cfgs[1].Host, strconv.Itoa(port)), file)
	}
	for _, p := range []int{transitViaVeil, transitViaI2pd} {
		deadline := time.Now().Add(transitReadyWait)
		for try := 1; ; try++ {
			d, err := fetch(p)
			if err == nil {
				t.Logf("port %d: first fetch after %d tries, %v (%v in all)", p, try, d.Round(time.Millisecond), since(t0))
				break
			}
			if time.Now().After(deadline) {
				st, _ := veilStatusOf(t, vdir)
				t.Fatalf("port %d: no fetch within %v: %v\nveil status: %+v\nveil log:\n%s\nr1 log:\n%s", p, transitReadyWait, err,
					st, v.logSummary(30), grepLog(routers[1].Log(), "Tunnel", "tunnel"))
			}
			time.Sleep(5 * time.Second)
		}
	}

	// 5. Side by side, with the CPU each relay spends.
	pids := map[int]int{transitViaVeil: v.cmd.Process.Pid, transitViaI2pd: routers[2].PID()}
	tick := clockTick(t)
	var (
		times = map[int][]time.Duration{}
		wall  = map[int]time.Duration{}    // by path: time its blocks took
		cpu   = map[[2]int]time.Duration{} // by {path, relay's port}: CPU of that relay during that path's blocks
	)
	for _, p := range []int{transitViaVeil, transitViaI2pd, transitViaI2pd, transitViaVeil} {
		before := map[int]time.Duration{}
		for relay, pid := range pids {
			before[relay] = procCPU(t, pid, tick)
		}
		t0 := time.Now()
		for range transitBlock {
			d, err := fetch(p)
			if err != nil {
				t.Fatalf("port %d, fetch %d: %v", p, len(times[p])+1, err)
			}
			times[p] = append(times[p], d)
		}
		wall[p] += time.Since(t0)
		for relay, pid := range pids {
			cpu[[2]int{p, relay}] += procCPU(t, pid, tick) - before[relay]
		}
	}
	viaVeil, viaI2pd := times[transitViaVeil], times[transitViaI2pd]
	mv, mi := median(viaVeil), median(viaI2pd)
	t.Logf("1 MiB through the explicit peer, %d rounds: veil median %v (%.0f KiB/s), i2pd median %v (%.0f KiB/s), ratio veil/i2pd %.2f",
		transitRounds, mv.Round(time.Millisecond), kibps(mv), mi.Round(time.Millisecond), kibps(mi), float64(mv)/float64(mi))
	t.Logf("all times: veil %v, i2pd %v", viaVeil, viaI2pd)
	gb := float64(transitFileSize) * transitRounds / 1e9
	perGB := func(relay, other int) (raw, net float64) {
		busy, idle := cpu[[2]int{relay, relay}], cpu[[2]int{other, relay}]
		rest := time.Duration(float64(idle) * wall[relay].Seconds() / wall[other].Seconds())
		return busy.Seconds() / gb, (busy - rest).Seconds() / gb
	}
	vRaw, vNet := perGB(transitViaVeil, transitViaI2pd)
	iRaw, iNet := perGB(transitViaI2pd, transitViaVeil)
	t.Logf("CPU while relaying %.1f MB (clock tick %v): veil %v busy, %v idle; i2pd r2 %v busy, %v idle",
		gb*1e3, tick, cpu[[2]int{transitViaVeil, transitViaVeil}], cpu[[2]int{transitViaI2pd, transitViaVeil}],
		cpu[[2]int{transitViaI2pd, transitViaI2pd}], cpu[[2]int{transitViaVeil, transitViaI2pd}])
	t.Logf("CPU s per GB relayed: veil %.1f, i2pd %.1f, ratio veil/i2pd %.2f; less idle: veil %.1f, i2pd %.1f, ratio %.2f",
		vRaw, iRaw, vRaw/iRaw, vNet, iNet, vNet/iNet)
	recordBench(benchFigure{ID: "P3", Name: "CPU seconds per GB relayed by a transit router (" + style + ")", Unit: "s/GB", Better: "lower",
		Veil: []float64{vRaw}, I2pd: []float64{iRaw}})
	recordBench(benchFigure{ID: "P3", Name: "1 MiB fetched through that transit router (" + style + ")", Unit: "s", Better: "lower",
		Veil: seconds(viaVeil), I2pd: seconds(viaI2pd)})
	if cpu[[2]int{transitViaVeil, transitViaVeil}] <= 0 || cpu[[2]int{transitViaI2pd, transitViaI2pd}] <= 0 {
		t.Error("a relay used no CPU while relaying: /proc/PID/stat read wrong?")
	}

	// 6. Evidence from both sides: veil carries transit tunnels and data;
	// r1's console lists a tunnel through veil.
	st := veilTransit(t, vdir)
	if st.Transit == 0 || st.Counters.Accepted < 2 || st.Counters.Delivered == 0 || st.Counters.Gatewayed == 0 {
		t.Errorf("veil status tunnels: %+v", st)
	}
	t.Logf("veil transit: %d tunnels now, counters %+v", st.Transit, st.Counters)
	if page, err := consoleDestinations(routers[1]); err != nil {
		t.Errorf("r1 console: %v", err)
	} else if abbr := veilHash[:4]; !strings.Contains(page, abbr) {
		t.Errorf("r1's console lists no tunnel through veil (%s…)", abbr)
	}
	t.Logf("total %v", since(t0))
}

// zeroHopServer is a tunnels.conf server tunnel to host:port with
// zero-hop tunnels, so its router is its own gateway and endpoint.
func zeroHopServer(name, host string, port int) string {
	return fmt.Sprintf("[%s]\ntype = server\nhost = %s\nport = %d\nkeys = %s.dat\n"+
		"inbound.length = 0\noutbound.length = 0\ninbound.quantity = 1\noutbound.quantity = 1\n",
		name, host, port, name)
}

// clientTunnel is a tunnels.conf client tunnel on addr:port to dest whose
// 1-hop tunnels both go through the router peer (I2P Base64 hash).
func clientTunnel(name, addr string, port int, dest, peer string) string {
	return fmt.Sprintf("[%s]\ntype = client\naddress = %s\nport = %d\ndestination = %s\nkeys = %s.dat\n"+
		"inbound.length = 1\noutbound.length = 1\ninbound.quantity = 1\noutbound.quantity = 1\nexplicitPeers = %s\n",
		name, addr, port, dest, name, peer)
}

// fetchThrough GETs the file through the client tunnel at addr (inside
// namespace ns) and checks it byte for byte.
func fetchThrough(n *i2pdtest.Network, ns, addr string, want []byte) (time.Duration, error) {
	dial := n.Dialer(ns)
	c := &http.Client{
		Timeout: transitFetchWait,
		Transport: &http.Transport{
			DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx, "tcp", addr) },
			DisableKeepAlives: true,
		},
	}
	start := time.Now()
	resp, err := c.Get("http://server.i2p/file")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(io.LimitReader(resp.Body, int64(len(want))+1))
	if err != nil {
		return 0, fmt.Errorf("after %d bytes: %w", len(got), err)
	}
	d := time.Since(start)
	if !bytes.Equal(got, want) {
		return 0, fmt.Errorf("got %d bytes (sha256 %x), want %d", len(got), sha256.Sum256(got), len(want))
	}
	return d, nil
}

// clockTick is the unit of /proc/PID/stat's CPU times (USER_HZ, from
// getconf CLK_TCK; Linux has used 100 on every architecture for years, so
// that is assumed if getconf fails).
func clockTick(t *testing.T) time.Duration {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	hz, err2 := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || err2 != nil || hz <= 0 {
		t.Logf("getconf CLK_TCK: %v %v; assuming 100 Hz", err, err2)
		hz = 100
	}
	return time.Second / time.Duration(hz)
}

// procCPU is the CPU time (user + system, all threads) process pid has
// used, from /proc/pid/stat: utime and stime are fields 14 and 15, counted
// after the command name, which is in parentheses and may hold spaces.
func procCPU(t *testing.T, pid int, tick time.Duration) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:])) // from field 3, the state
	if i < 0 || len(f) < 13 {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	utime, err1 := strconv.ParseInt(f[14-3], 10, 64)
	stime, err2 := strconv.ParseInt(f[15-3], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %v %v", pid, err1, err2)
	}
	return time.Duration(utime+stime) * tick
}

// median of v (the upper one of an even count; zero for none).
func median[T cmp.Ordered](v []T) T {
	if len(v) == 0 {
		var zero T
		return zero
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func kibps(d time.Duration) float64 { return float64(transitFileSize) / 1024 / d.Seconds() }

// veilTunnels is the tunnels section of `veil status --json`.
type veilTunnels struct {
	Inbound      []veilTunnel `json:"inbound"`
	Outbound     []veilTunnel `json:"outbound"`
	BuildSuccess *float64     `json:"build_success"`
	Builds       int          `json:"builds"`
	TestsOK      uint64       `json:"tests_ok"`
	TestsFailed  uint64       `json:"tests_failed"`
	BuiltOK      uint64       `json:"built_ok"`
	BuildsFailed uint64       `json:"builds_failed"`
	Transit      int          `json:"transit"`
	Counters     struct {
		Requests  uint64 `json:"requests"`
		Accepted  uint64 `json:"accepted"`
		Rejected  uint64 `json:"rejected"`
		Dropped   uint64 `json:"dropped"`
		DataIn    uint64 `json:"data_in"`
		DataOut   uint64 `json:"data_out"`
		Delivered uint64 `json:"delivered"`
		Gatewayed uint64 `json:"gatewayed"`
	} `json:"transit_counters"`
}

func veilTransit(t *testing.T, dir string) veilTunnels {
	t.Helper()
	st, err := veilStatusOf(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	return st.Tunnels
}

// consoleDestinations returns r's console pages of its local
// destinations, concatenated: their tunnels list each hop by the first
// four characters of its hash.
func consoleDestinations(r *i2pdtest.Router) (string, error) {
	list, err := r.ConsoleGet("/?page=local_destinations")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, m := range regexp.MustCompile(`page=local_destination&(?:amp;)?b32=([a-z2-7]+)`).FindAllStringSubmatch(list, -1) {
		p, err := r.ConsoleGet("/?page=local_destination&b32=" + m[1])
		if err != nil {
			return "", err
		}
		b.WriteString(p)
	}
	return b.String(), nil
}
