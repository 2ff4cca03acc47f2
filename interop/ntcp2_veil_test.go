//go:build interop

package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
)

// startVeilNetns runs `veil args...` inside namespace ns (the harness's
// Command: "ip netns exec" execs veil, so the PID is veil's). Output goes
// to a log file; a t.Cleanup stops veil by that PID (veilRun.stop:
// SIGTERM, SIGKILL after 15 s) and fails the test unless it exits 0.
// The HTTP and SOCKS proxies are off unless args set one of their options (proxyOff).
func startVeilNetns(t testing.TB, n *i2pdtest.Network, ns string, args ...string) *veilRun {
	t.Helper()
	return runVeil(t, n.Command(ns, veil(t), proxyOff(args)...), "veil in "+ns)
}

// veilStatus is `veil status --json` as the README documents it (the
// fields this test reads), decoded independently of internal/router.
type veilStatus struct {
	Router struct {
		Hash   string `json:"hash"`
		NetID  int    `json:"netid"`
		Caps   string `json:"caps"`
		Uptime int64  `json:"uptime"`
		// Reachability: unknown, unpublished, or an SSU2 peer test's
		// ok, firewalled, symmetric-nat.
		Reachability string `json:"reachability"`
	} `json:"router"`
	Transports []veilSession `json:"transports"`
	NetDB      struct {
		Routers    int               `json:"routers"`
		Floodfills int               `json:"floodfills"`
		LeaseSets  int               `json:"leasesets"`
		Floodfill  bool              `json:"floodfill"`
		Counters   veilNetDBCounters `json:"counters"` // netdb_test.go
	} `json:"netdb"`
	Tunnels      veilTunnels `json:"tunnels"`
	Destinations []struct {
		Name    string `json:"name"`
		Address string `json:"address"`
		Leases  int    `json:"leases"`
		Stores  uint64 `json:"stores"`
		// Messages by I2CP protocol number and by garlic kind (NS, ES,
		// ElGamal NS, …), each way (datagrams_test.go).
		SentBy         map[string]uint64 `json:"sent_by_protocol"`
		ReceivedBy     map[string]uint64 `json:"received_by_protocol"`
		GarlicSent     map[string]uint64 `json:"garlic_sent"`
		GarlicReceived map[string]uint64 `json:"garlic_received"`
	} `json:"destinations"`
	UDPTunnels []veilUDPTunnel `json:"udp_tunnels"` // datagrams_test.go
	TCPTunnels []veilTCPTunnel `json:"tcp_tunnels"` // httpproxy_test.go
}

// veilSession is one entry of veilStatus.Transports.
type veilSession struct {
	Peer      string `json:"peer"`
	Transport string `json:"transport"`
	Direction string `json:"direction"`
	Address   string `json:"address"`
	BytesIn   uint64 `json:"bytes_in"`
	BytesOut  uint64 `json:"bytes_out"`
}

// key identifies one session: a reconnect changes at least the address
// of an inbound session (new source port) or resets the byte counts.
func (s veilSession) key() string {
	return s.Peer + " " + s.Transport + " " + s.Direction + " " + s.Address
}

// status runs `veil status --json` on the router's data folder (at most
// 15 s). The control socket is a file, so this needs no namespace.
func veilStatusOf(t testing.TB, dataDir string) (*veilStatus, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, veil(t), "status", "--json", "--datadir="+dataDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("veil status --json: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var st veilStatus
	dec := json.NewDecoder(&stdout)
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("veil status --json: not one JSON object: %w\n%s", err, stdout.String())
	}
	if dec.More() {
		return nil, fmt.Errorf("veil status --json: more than one JSON value:\n%s", stdout.String())
	}
	return &st, nil
}

// sessionsByPeer indexes NTCP2 sessions by peer hash, failing on a peer
// listed twice (the Manager keeps one session per peer).
func (st *veilStatus) sessionsByPeer() (map[string]veilSession, error) {
	m := map[string]veilSession{}
	for _, s := range st.Transports {
		if _, dup := m[s.Peer]; dup {
			return nil, fmt.Errorf("veil status lists two sessions with %s", s.Peer)
		}
		m[s.Peer] = s
	}
	return m, nil
}

// Lines of veil's log (slog text) that mark a session change in the
// transport Manager (internal/transport/manager.go).
var veilSessionEvent = regexp.MustCompile(`msg="(peer connected|peer disconnected|session replaces the one to the same peer|duplicate session closed|session refused)"`)

// sessionEvents returns veil's session-change log lines.
func (v *veilRun) sessionEvents() []string {
	var out []string
	for _, l := range strings.Split(v.log(), "\n") {
		if veilSessionEvent.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// grepLines returns the lines of log that contain any of subs, at most
// max of the last ones.
func grepLines(log string, max int, subs ...string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		for _, s := range subs {
			if strings.Contains(l, s) {
				out = append(out, l)
				break
			}
		}
	}
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return strings.Join(out, "\n")
}

// logSummary counts veil's log lines by level and message (and I2NP type
// where the line names one), most frequent first, at most max entries.
func (v *veilRun) logSummary(max int) string {
	counts := map[string]int{}
	for _, l := range strings.Split(v.log(), "\n") {
		m := logMsg.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		k := m[1] + " " + m[2]
		if ty := logType.FindStringSubmatch(l); ty != nil {
			k += " type=" + ty[1]
		}
		counts[k]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	for i, k := range keys {
		if i == max {
			fmt.Fprintf(&b, "  … %d more kinds\n", len(keys)-max)
			break
		}
		fmt.Fprintf(&b, "  %6d %s\n", counts[k], k)
	}
	return b.String()
}

var (
	logMsg  = regexp.MustCompile(`level=(\w+) msg="?((?:[^"\\]|\\.)*?)"?(?: \w+=|$)`)
	logType = regexp.MustCompile(` type=(\w+)`)
)
