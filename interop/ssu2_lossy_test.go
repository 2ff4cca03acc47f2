//go:build interop

package interop

import (
	"encoding/binary"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/transport"
)

// Limits of TestSSU2LossyI2pd.
const (
	lossyLookups  = 150 // per round
	lossyExcluded = 500 // hashes in a large lookup: 16 KB, 13 fragments
	lossyRound    = 2 * time.Minute
	// lossyLargeMin is how many large lookups over the lossy link must
	// be answered: i2pd 2.45.1 itself loses a fragmented message now and
	// then (see TestSSU2LossyI2pd).
	lossyLargeMin = lossyLookups * 95 / 100
)

// lossyRules make a namespace's host lose 5% of the UDP datagrams it
// sends and hold back 5% of the rest in a slow traffic class (see
// impairLink), which reorders them. This kernel has no netem; nft's
// numgen and an htb class do the same job.
const lossyRules = `table inet lossy {
	chain output {
		type filter hook output priority 0; policy accept;
		meta l4proto udp numgen random mod 100 < 5 counter drop
		meta l4proto udp numgen random mod 100 < 5 counter meta priority set 1:20
	}
}
`

// TestSSU2LossyI2pd runs an SSU2 session between veil's SSU2 transport
// and i2pd 2.45.1 (NTCP2 off) over a link that loses 5% of the datagrams
// each way and reorders about 5% (nftables and tc in both namespaces),
// then over the clean link:
//
//   - the handshake completes over the lossy link;
//   - small: veil sends lossyLookups DatabaseLookups for its own
//     RouterInfo, one packet each, and i2pd answers every one with a
//     DatabaseStore (one packet too): every message arrives both ways,
//     once;
//   - large: the same with lossyExcluded excluded hashes in each lookup
//     (16 KB, 13 fragments): at least 95% are answered, and the time
//     gives veil -> i2pd throughput; the same over the clean link, where
//     all are answered, gives the ratio. The test logs how many datagrams
//     the rules dropped and held back, and the namespaces' UDP counters
//     (a full socket buffer drops too).
//
// Why not all large ones: i2pd 2.45.1's reassembly loses messages on its
// own. One that out-of-order fragments complete behind a resent fragment
// is handed on without its header converted and dropped as expired
// (SSU2Session::HandleFollowOnFragment), which a lost middle fragment
// causes; a fragment that arrives twice (a resend of a packet that was
// only late) blocks the ones after it, and a First Fragment twice starts
// the message afresh. The test found those, and veil now avoids what it
// can: a window of at most 64 packets (i2pd's socket buffer overflowed
// at 256: 2 of 150 messages lost on a clean link), the last fragment
// only once the others are acknowledged (outMsg.holdsLast: before it, 64
// of 150 lost), and loss judged by time once the path reorders
// (reorder.go). What is left is a resent fragment that was only late
// before veil saw the path reorder: one or two in 150. veil to veil,
// every message arrives (TestLossyLink, internal/transport/ssu2).
func TestSSU2LossyI2pd(t *testing.T) {
	inParallel(t)
	n := ssu2Network(t)
	nft, tc := requireTool(t, "nft", "nftables"), requireTool(t, "tc", "iproute2")
	const netID = 92
	nsV, addrV := n.Add("veil", 200)
	cfg := ssu2OnlyI2pd(t, n, "i2pd", 10, netID, false)
	v := startSSU2Node(t, n, nsV, addrV, netID, "LR", nil, nil)
	r := startI2pdWith(t, cfg)
	if err := r.WaitRouterInfo(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	i2pdRI := i2pdRouterInfo(t, r)
	for _, ns := range []string{nsV, cfg.Netns} {
		impairLink(t, n, ns, nft, tc)
	}
	start := time.Now()
	s := v.dial(t, i2pdRI)
	t.Logf("handshake over the lossy link: %v", time.Since(start).Round(time.Millisecond))
	lk := &lookups{t: t, v: v, r: r, s: s, us: v.id.RouterInfo().Hash()}

	lk.round("lossy, small", 0, lossyLookups)
	lossy := lk.round("lossy, large", lossyExcluded, lossyLargeMin)
	for _, ns := range []string{nsV, cfg.Netns} {
		t.Logf("%s: %s", ns, impairCounters(t, n, ns, nft, tc))
		if out, err := nftCommand(n, ns, nft, "", "delete", "table", "inet", "lossy").CombinedOutput(); err != nil {
			t.Fatalf("nft: %v: %s", err, out)
		}
		if out, err := n.Command(ns, tc, "qdisc", "del", "dev", "eth0", "root").CombinedOutput(); err != nil {
			t.Fatalf("tc: %v: %s", err, out)
		}
	}
	clean := lk.round("clean, large", lossyExcluded, lossyLookups)
	if d := v.rec.Duplicates(); d != 0 {
		t.Errorf("%d messages delivered more than once", d)
	}
	t.Logf("veil -> i2pd over SSU2, lookups of %d KB: lossy %.0f KiB/s, clean %.0f KiB/s, ratio lossy/clean %.3f",
		lookupSize(lossyExcluded)>>10, lossy, clean, lossy/clean)
	checkSSU2Logs(t, []*i2pdtest.Router{r})
}

// lookups sends DatabaseLookups for us to i2pd on s.
type lookups struct {
	t  *testing.T
	v  *ssu2Node
	r  *i2pdtest.Router
	s  transport.Session
	us data.Hash
	n  int // rounds so far
}

// round sends lossyLookups lookups with excluded hashes each and waits
// for i2pd's answers until all came or lossyRound passed; fewer than
// want fails the test. It returns veil -> i2pd KiB/s.
func (lk *lookups) round(name string, excluded, want int) float64 {
	t, v := lk.t, lk.v
	t.Helper()
	lk.n++
	for len(v.rec.Messages) > 0 {
		<-v.rec.Messages
	}
	start := time.Now()
	deadline := start.Add(lossyRound)
	for i := range lossyLookups {
		m := bigLookup(lk.us, uint32(lk.n)<<24+uint32(i), excluded)
		for lk.s.Send(m, transport.PriorityNormal) != nil { // queue full
			if time.Now().After(deadline) {
				t.Fatalf("%s: lookup %d not queued within %v", name, i, lossyRound)
			}
			time.Sleep(time.Millisecond)
		}
	}
	answers := 0
	ids := map[uint32]bool{}
	last := start
	for answers < lossyLookups && time.Now().Before(deadline) {
		select {
		case m := <-v.rec.Messages:
			if storeOf(lk.us)(m) && !ids[m.ID] {
				ids[m.ID] = true
				answers++
				last = time.Now()
			}
		case <-time.After(min(time.Until(deadline), 20*time.Second)):
			deadline = time.Now() // 20 s without an answer: no more will come
		case <-lk.s.Done():
			t.Fatalf("%s: session ended: %v; i2pd's log:\n%s", name, lk.s.Err(), grepLines(lk.r.Log(), 20, "not Acked", "erminat"))
		}
	}
	el := last.Sub(start)
	size := lookupSize(excluded)
	kibps := float64(answers*size) / 1024 / el.Seconds()
	t.Logf("%s: %d of %d lookups (%d B each) answered in %v: %.0f KiB/s up, %.0f answers/s; i2pd dropped %d assembled messages as expired; UDP veil %s, i2pd %s",
		name, answers, lossyLookups, size, el.Round(time.Millisecond), kibps, float64(answers)/el.Seconds(),
		countExpired(lk.r.Log()), udpErrors(t, v.ns), udpErrors(t, lk.r.Config().Netns))
	if answers < want {
		t.Fatalf("%s: %d lookups answered, want at least %d (i2pd logged %d lookups in all)", name, answers, want,
			strings.Count(lk.r.Log(), "NetDb: DatabaseLookup for"))
	}
	return kibps
}

// bigLookup is a DatabaseLookup for our RouterInfo, answered directly,
// with excluded excluded routers (which i2pd ignores for a router it
// holds).
func bigLookup(us data.Hash, id uint32, excluded int) *transport.Message {
	p := make([]byte, 0, lookupSize(excluded))
	p = binary.BigEndian.AppendUint16(append(append(append(p, us[:]...), us[:]...), 0x08), uint16(excluded))
	for i := range excluded {
		var h data.Hash
		h[0], h[1], h[31] = byte(i>>8), byte(i), 0xee
		p = append(p, h[:]...)
	}
	return &transport.Message{Type: i2np.TypeDatabaseLookup, ID: id, Expiration: time.Now().Add(2 * time.Minute), Payload: p}
}

func lookupSize(excluded int) int { return 32 + 32 + 1 + 2 + excluded*32 }

// impairLink puts lossyRules on namespace ns's host and the slow class
// behind them on its eth0: an htb class of 20 Mbit/s with a one-packet
// burst, so that a datagram sent there waits about 0.6 ms (its own time
// at that rate; the class is never full at the rates of the test) while
// the next ones pass.
func impairLink(t *testing.T, n *i2pdtest.Network, ns, nft, tc string) {
	t.Helper()
	if out, err := nftCommand(n, ns, nft, lossyRules, "-f", "-").CombinedOutput(); err != nil {
		t.Fatalf("nft: %v: %s", err, out)
	}
	for _, args := range [][]string{
		{"qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "10"},
		{"class", "add", "dev", "eth0", "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit", "quantum", "60000"},
		{"class", "add", "dev", "eth0", "parent", "1:", "classid", "1:20", "htb", "rate", "20mbit", "burst", "1600b", "cburst", "1600b"},
	} {
		if out, err := n.Command(ns, tc, args...).CombinedOutput(); err != nil {
			t.Fatalf("tc %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
}

var nftCounter = regexp.MustCompile(`counter packets ([0-9]+)`)
var tcSent = regexp.MustCompile(`class htb 1:(10|20) [^\n]*\n Sent [0-9]+ bytes ([0-9]+) pkt`)

// impairCounters says how many datagrams the rules of ns dropped and
// held back, and how many went out unimpaired.
func impairCounters(t *testing.T, n *i2pdtest.Network, ns, nft, tc string) string {
	t.Helper()
	out, err := n.Command(ns, nft, "list", "table", "inet", "lossy").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list: %v: %s", err, out)
	}
	c := nftCounter.FindAllStringSubmatch(string(out), -1)
	stats, err := n.Command(ns, tc, "-s", "class", "show", "dev", "eth0").CombinedOutput()
	if err != nil {
		t.Fatalf("tc -s: %v: %s", err, stats)
	}
	sent := map[string]string{}
	for _, m := range tcSent.FindAllStringSubmatch(string(stats), -1) {
		sent[m[1]] = m[2]
	}
	if len(c) != 2 {
		t.Fatalf("nft counters: %s", out)
	}
	return "dropped " + c[0][1] + ", held back " + c[1][1] + " (slow class sent " + sent["20"] + "), sent at once " + sent["10"] +
		" (all packets, UDP or not)"
}

// udpErrors is what /proc/net/snmp of namespace ns counts of UDP
// datagrams its sockets could not take (a full receive buffer).
func udpErrors(t *testing.T, ns string) string {
	out, err := exec.Command("ip", "netns", "exec", ns, "cat", "/proc/net/snmp").Output()
	if err != nil {
		return err.Error()
	}
	var names, values []string
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "Udp:" {
			if names == nil {
				names = f[1:]
			} else {
				values = f[1:]
			}
		}
	}
	var b strings.Builder
	for i, n := range names {
		if i < len(values) && (n == "InDatagrams" || n == "InErrors" || n == "RcvbufErrors" || n == "OutDatagrams" || n == "SndbufErrors") {
			b.WriteString(n + "=" + values[i] + " ")
		}
	}
	return b.String()
}

// countExpired counts what i2pd logs when it drops a message it
// assembled as expired.
func countExpired(log string) int {
	n := 0
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "SSU2: Message") && strings.HasSuffix(strings.TrimSpace(l), "expired") {
			n++
		}
	}
	return n
}
