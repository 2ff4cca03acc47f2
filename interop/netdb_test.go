//go:build interop

package interop

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/netdb"
)

// Limits of TestNetDbI2pd. Every wait is bounded; the whole test takes
// about two minutes.
const (
	netdbNetID       = 57 // its own private network, not the other tests' 99
	netdbPublishWait = 60 * time.Second
	netdbStreamWait  = 60 * time.Second
	netdbLookupTries = 10
	netdbFloodWait   = 40 * time.Second
	netdbServerPort  = 8090 // the TCP servers behind the i2pd server tunnels
	netdbClientPort  = 7201 // b's client tunnel to a's destination
	netdbVeilPort    = 20200
)

// veilNetDBCounters is the netdb.counters object of `veil status --json`
// (README, "veil status"), the fields this test reads.
type veilNetDBCounters struct {
	StoresReceived  uint64            `json:"stores_received"`
	LookupsReceived uint64            `json:"lookups_received"`
	Answered        uint64            `json:"lookups_answered"`
	SearchReplies   uint64            `json:"search_replies"`
	Encrypted       uint64            `json:"encrypted_replies"`
	Acks            uint64            `json:"acks"`
	Flooded         uint64            `json:"flooded"`
	Stored          uint64            `json:"stored"`
	Rejected        map[string]uint64 `json:"rejected"`
	Lookups         uint64            `json:"lookups"`
	LookupsFound    uint64            `json:"lookups_found"`
	Queries         uint64            `json:"queries"`
	Published       uint64            `json:"published"`
	PublishAcked    uint64            `json:"publish_acked"`
	Verified        uint64            `json:"verified"`
	GarlicIn        uint64            `json:"garlic_received"`
	GarlicBad       uint64            `json:"garlic_bad"`
	// Lookups through veil's tunnels (tunnels_test.go).
	TunneledQueries  uint64 `json:"tunneled_queries"`
	EncryptedAnswers uint64 `json:"encrypted_answers"`
}

// TestNetDbI2pd runs veil as a floodfill among i2pd 2.45.1 routers in a
// private network of namespaces (NTCP2 only, netid 57), then a second
// veil as a plain client, and checks issue 5's first two "Done when":
//
//  1. veil (floodfill, no transit) alone, then i2pd a and b, each seeded
//     with veil's RouterInfo only, so veil is the only floodfill they
//     know: both store their RouterInfos at veil and get its
//     DeliveryStatus ("Publishing confirmed" in their logs). a hosts a
//     destination with zero-hop tunnels: it publishes its LeaseSet to
//     veil in garlic addressed to veil's router (reply down a's inbound
//     tunnel), then verifies it by a lookup through veil, which answers in
//     ECIES garlic (proposal 154). b's client tunnel to a's destination
//     looks the LeaseSet up through veil, and a TCP stream crosses it.
//  2. i2pd floodfills f1 and f2 join, then d (a destination host seeded
//     with veil's RouterInfo only): veil floods every new RouterInfo and
//     d's LeaseSet to the other floodfills; f1 and f2 log entries they
//     can only have had from veil.
//  3. A non-floodfill veil c, seeded with f1's RouterInfo only, publishes
//     its RouterInfo to f1 and verifies it, then finds by lookup d's
//     LeaseSet (at f1, flooded there by veil) and a's (at f1 if a has
//     published there since it learnt f1, else at veil by following f1's
//     DatabaseSearchReply).
//
// d's destination key is chosen so that veil is the floodfill closest to
// it, which makes veil the one d publishes to even once it knows f1 and
// f2; a and b know no other floodfill in step 1 because there is none.
//
// Evidence: veil's counters (`veil status --json`), veil's lookup
// endpoint, i2pd's logs, and the stream. Root and i2pd are required.
func TestNetDbI2pd(t *testing.T) {
	inParallel(t)
	i2pdtest.Require(t)
	veil(t)
	t0 := time.Now()
	n := i2pdtest.NewNetwork(t, i2pdtest.NetworkConfig{})

	// veil, the floodfill. --notransit: i2pd would otherwise pick it as
	// a hop, and these checks are about the netDb.
	nsV, addrV := n.Add("veil", 210)
	vdir := t.TempDir()
	v := startVeilNetns(t, n, nsV, "--datadir="+vdir, "--host="+addrV, "--port="+strconv.Itoa(netdbVeilPort),
		"--netid="+strconv.Itoa(netdbNetID), "--ntcp2.published=true", "--ssu2.enabled=false", "--loglevel=debug",
		"--reseed.threshold=0", "--floodfill=true", "--notransit=true")
	if _, err := v.waitLog(regexp.MustCompile(`msg="router running"`), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	veilRI := readFile(t, filepath.Join(vdir, "router.info"))
	veilHash := hashOfRI(t, veilRI)
	if st := netdbStatus(t, vdir); !st.NetDB.Floodfill || !strings.Contains(st.Router.Caps, "f") {
		t.Fatalf("veil is not a floodfill: caps %q, status %+v", st.Router.Caps, st.NetDB)
	}

	// 1. a (destination "srv") and b (client tunnel to it).
	a, nsA, aDest := startDestHost(t, n, "a", 43, "srv", nil, veilRI)
	b, nsB := netdbRouter(t, n, "b", 44, false, func(c *i2pdtest.Config) {
		c.Tunnels = zeroHopClient("cli", c.Host, netdbClientPort, aDest)
	}, veilRI)
	hashA, hashB := routerHash(t, a), routerHash(t, b)
	t.Logf("veil %s, a %s (destination %s), b %s after %v", veilHash, hashA, aDest, hashB, since(t0))
	for name, r := range map[string]*i2pdtest.Router{"a": a, "b": b} {
		waitPublished(t, name, r, veilHash)
	}
	line, err := a.WaitLog("Destination: Published LeaseSet verified for "+trimB32(aDest), netdbPublishWait)
	if err != nil {
		t.Fatalf("a's LeaseSet was not verified through veil: %v\nveil: %s", err, v.logSummary(20))
	}
	t.Logf("a: %s", line)
	hello := serveHello(t, n, nsA, a.Config().Host)
	got := streamThrough(t, n, nsB, net.JoinHostPort(b.Config().Host, strconv.Itoa(netdbClientPort)))
	if got != hello {
		t.Fatalf("stream through b's client tunnel: %q", got)
	}
	st := netdbStatus(t, vdir)
	c1 := st.NetDB.Counters
	t.Logf("phase 1 after %v: veil netdb %d routers, %d leasesets; counters %+v", since(t0), st.NetDB.Routers, st.NetDB.LeaseSets, c1)
	if c1.StoresReceived < 3 || c1.Acks < 3 || c1.GarlicIn == 0 || c1.Encrypted == 0 || c1.Answered == 0 || st.NetDB.LeaseSets == 0 {
		t.Errorf("veil's counters after phase 1: %+v", c1)
	}
	if !hasLine(v.log(), `msg="netdb: stored"`, destHash(t, aDest).String()) {
		t.Errorf("veil's log shows no store of a's LeaseSet:\n%s", grepLines(v.log(), 20, "netdb:"))
	}

	// 2. The floodfills, then d: floods.
	f1, _ := netdbRouter(t, n, "f1", 41, true, nil, veilRI)
	f2, _ := netdbRouter(t, n, "f2", 42, true, nil, veilRI)
	for name, r := range map[string]*i2pdtest.Router{"f1": f1, "f2": f2} {
		waitPublished(t, name, r, veilHash)
	}
	// d's destination key is chosen so that veil is the floodfill
	// closest to it: d learns f1 and f2 at once (i2pd explores with
	// RouterInfo lookups of random keys, which veil answers with the
	// closest floodfills), and publishes to the closest one it knows.
	hashF1, hashF2 := routerHash(t, f1), routerHash(t, f2)
	d, _, dDest := startDestHost(t, n, "d", 45, "srv2", closestIs(t, veilHash, hashF1, hashF2), veilRI)
	hashD := routerHash(t, d)
	waitPublished(t, "d", d, veilHash)
	for name, r := range map[string]*i2pdtest.Router{"f1": f1, "f2": f2} {
		// d knows no floodfill but veil: its RouterInfo and LeaseSet
		// reach f1 and f2 by veil's floods.
		if _, err := r.WaitLog("NetDb: RouterInfo added: "+hashD, netdbFloodWait); err != nil {
			t.Errorf("%s never got d's RouterInfo: %v", name, err)
		}
		if _, err := r.WaitLog("NetDb: LeaseSet2 updated: "+trimB32(dDest), netdbFloodWait); err != nil {
			t.Errorf("%s never got d's LeaseSet: %v", name, err)
		}
	}
	for what, key := range map[string]string{"RouterInfo": hashD, "LeaseSet": destHash(t, dDest).String()} {
		if !hasLine(v.log(), `msg="netdb: flooded"`, key, hashF1, hashF2) {
			t.Errorf("veil did not flood d's %s to f1 and f2:\n%s\nd's log:\n%s", what, grepLines(v.log(), 10, `msg="netdb: flooded"`),
				grepLog(d.Log(), "LeaseSet", "Publish"))
		}
	}
	t.Logf("veil's floods:\n%s", grepLines(v.log(), 10, `msg="netdb: flooded"`))
	st = netdbStatus(t, vdir)
	t.Logf("phase 2 after %v: veil netdb %d routers (%d floodfills), %d leasesets; counters %+v",
		since(t0), st.NetDB.Routers, st.NetDB.Floodfills, st.NetDB.LeaseSets, st.NetDB.Counters)
	if st.NetDB.Floodfills < 2 || st.NetDB.Routers < 5 || st.NetDB.Counters.Flooded < 4 {
		t.Errorf("veil after phase 2: %+v", st.NetDB)
	}

	// 3. veil as a client that knows f1 only.
	nsC, addrC := n.Add("c", 211)
	cdir := t.TempDir()
	if _, err := i2pdtest.InstallRouterInfo(filepath.Join(cdir, "netDb"), readFile(t, f1.RouterInfoPath())); err != nil {
		t.Fatal(err)
	}
	c := startVeilNetns(t, n, nsC, "--datadir="+cdir, "--host="+addrC, "--port="+strconv.Itoa(netdbVeilPort),
		"--netid="+strconv.Itoa(netdbNetID), "--ntcp2.published=true", "--ssu2.enabled=false", "--loglevel=debug",
		"--reseed.threshold=0")
	if _, err := c.waitLog(regexp.MustCompile(`msg="netdb: RouterInfo published and verified"`), netdbPublishWait); err != nil {
		t.Errorf("c did not publish and verify its RouterInfo at f1: %v", err)
	}
	for _, dest := range []string{dDest, aDest} {
		res := lookupUntilFound(t, cdir, dest)
		t.Logf("c found %s: %s", dest, res)
	}
	cs := netdbStatus(t, cdir)
	t.Logf("c: %d routers known, counters %+v", cs.NetDB.Routers, cs.NetDB.Counters)
	if cs.NetDB.Floodfill || cs.NetDB.Counters.LookupsFound < 2 || cs.NetDB.Counters.Queries < 3 || cs.NetDB.LeaseSets < 2 {
		t.Errorf("c's counters: %+v", cs.NetDB)
	}

	// veil, a floodfill too, publishes its own RouterInfo to f1 or f2 and
	// verifies it at the other.
	deadline := time.Now().Add(netdbPublishWait)
	for st = netdbStatus(t, vdir); st.NetDB.Counters.Verified == 0 && time.Now().Before(deadline); st = netdbStatus(t, vdir) {
		time.Sleep(2 * time.Second)
	}
	if c := st.NetDB.Counters; c.PublishAcked == 0 || c.Verified == 0 {
		t.Errorf("veil did not publish and verify its RouterInfo at the i2pd floodfills: %+v", c)
	}
	t.Logf("veil at the end (%v): netdb %d routers, %d floodfills, %d leasesets; counters %+v",
		since(t0), st.NetDB.Routers, st.NetDB.Floodfills, st.NetDB.LeaseSets, st.NetDB.Counters)
	// i2pd's consoles: f1 and f2 hold d's LeaseSet (veil's flood) and
	// everyone counts veil among its floodfills.
	for name, r := range map[string]*i2pdtest.Router{"a": a, "b": b, "f1": f1, "f2": f2, "d": d} {
		c, err := r.NetDbCounts()
		if err != nil {
			t.Errorf("%s console: %v", name, err)
			continue
		}
		t.Logf("i2pd %s console: %d routers, %d floodfills, %d leasesets", name, c.Routers, c.Floodfills, c.LeaseSets)
		if c.Floodfills == 0 || (r.Config().Floodfill && c.LeaseSets == 0) {
			t.Errorf("%s console: %+v", name, c)
		}
	}
	t.Logf("veil's log by message:\n%s", v.logSummary(25))
}

// netdbRouter starts an i2pd router in a new namespace name (address
// .host), NTCP2 only, seeded with ris; edit may change its Config first.
func netdbRouter(t *testing.T, n *i2pdtest.Network, name string, host int, floodfill bool, edit func(*i2pdtest.Config), ris ...[]byte) (*i2pdtest.Router, string) {
	t.Helper()
	ns, addr := n.Add(name, host)
	cfg := i2pdtest.Config{
		DataDir: t.TempDir(), NetID: netdbNetID, Netns: ns, Host: addr, Port: ntcp2I2pdPort, Floodfill: floodfill,
		Options: netdbOptions(),
	}
	if edit != nil {
		edit(&cfg)
	}
	return startSeeded(t, cfg, ris...), ns
}

// startDestHost starts an i2pd router hosting server tunnel tunnel with
// zero-hop tunnels (its own gateway and endpoint, so its netDb traffic
// needs no other router), seeded with ris. The destination's keys are
// made here, in i2pd's file format, until want accepts the hash (nil:
// any); it returns the destination's address.
func startDestHost(t *testing.T, n *i2pdtest.Network, name string, host int, tunnel string, want func(data.Hash) bool, ris ...[]byte) (*i2pdtest.Router, string, string) {
	t.Helper()
	ns, addr := n.Add(name, host)
	cfg := i2pdtest.Config{
		DataDir: t.TempDir(), NetID: netdbNetID, Netns: ns, Host: addr, Port: ntcp2I2pdPort,
		Options: netdbOptions(),
		Tunnels: zeroHopServer(tunnel, addr, netdbServerPort),
	}
	for range 200 {
		k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncX25519, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if h := k.Identity.Hash(); want == nil || want(h) {
			writeFile(t, filepath.Join(cfg.DataDir, tunnel+".dat"), k.Bytes())
			return startSeeded(t, cfg, ris...), ns, h.B32()
		}
	}
	t.Fatal("no destination key to the test's liking in 200 tries")
	return nil, "", ""
}

// closestIs returns a test of destination hashes: is floodfill ff closer
// to the destination's routing key (today's) than every one of others?
// So the test knows where i2pd will publish.
func closestIs(t *testing.T, ff string, others ...string) func(data.Hash) bool {
	parse := func(s string) data.Hash {
		h, err := data.ParseHashBase64(s)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	f := parse(ff)
	return func(dest data.Hash) bool {
		rk := netdb.RoutingKey(dest, time.Now())
		for _, o := range others {
			if !netdb.Closer(rk, f, parse(o)) {
				return false
			}
		}
		return true
	}
}

// netdbOptions are the i2pd options of this test: NTCP2 only, and
// zero-hop exploratory tunnels, so that no router needs another as a
// tunnel hop and routers meet only through the netDb (a router that knows
// veil alone keeps knowing no other floodfill until it asks for one).
func netdbOptions() map[string]string {
	return map[string]string{"ssu2.enabled": "false", "ssu2.published": "false",
		"exploratory.inbound.length": "0", "exploratory.outbound.length": "0"}
}

// zeroHopClient is a tunnels.conf client tunnel on addr:port to dest with
// zero-hop tunnels.
func zeroHopClient(name, addr string, port int, dest string) string {
	return fmt.Sprintf("[%s]\ntype = client\naddress = %s\nport = %d\ndestination = %s\nkeys = %s.dat\n"+
		"inbound.length = 0\noutbound.length = 0\ninbound.quantity = 1\noutbound.quantity = 1\n",
		name, addr, port, dest, name)
}

// waitPublished waits for i2pd r to store its RouterInfo at veil and get
// the DeliveryStatus.
func waitPublished(t *testing.T, name string, r *i2pdtest.Router, veilHash string) {
	t.Helper()
	line, err := r.WaitLog("NetDb: Publishing our RouterInfo to "+veilHash[:4], netdbPublishWait)
	if err != nil {
		t.Fatalf("%s did not publish its RouterInfo to veil: %v", name, err)
	}
	token := line[strings.LastIndex(line, "=")+1:]
	if _, err := r.WaitLog("NetDb: Publishing confirmed. reply token="+token, 15*time.Second); err != nil {
		t.Fatalf("%s: veil did not confirm its RouterInfo (token %s): %v", name, token, err)
	}
}

// serveHello listens on host:netdbServerPort in namespace ns (where an
// i2pd server tunnel points) and answers every connection with a line.
func serveHello(t *testing.T, n *i2pdtest.Network, ns, host string) string {
	t.Helper()
	const hello = "hello through veil's netDb\n"
	l, err := n.Listen(ns, net.JoinHostPort(host, strconv.Itoa(netdbServerPort)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(conn, hello)
			conn.Close()
		}
	}()
	return hello
}

// streamThrough connects to a client tunnel at addr inside ns and reads
// what the server sends, retrying while the LeaseSet is looked up.
func streamThrough(t *testing.T, n *i2pdtest.Network, ns, addr string) string {
	t.Helper()
	dial := n.Dialer(ns)
	deadline := time.Now().Add(netdbStreamWait)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		conn, err := dial(ctx, "tcp", addr)
		if err == nil {
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			b, rerr := io.ReadAll(io.LimitReader(conn, 1024))
			conn.Close()
			if len(b) > 0 {
				cancel()
				return string(b)
			}
			err = fmt.Errorf("nothing read: %v", rerr)
		}
		cancel()
		last = err
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("no stream through %s within %v: %v", addr, netdbStreamWait, last)
	return ""
}

// netdbStatus is `veil status --json` of the router on dir.
func netdbStatus(t *testing.T, dir string) *veilStatus {
	t.Helper()
	st, err := veilStatusOf(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// lookupUntilFound asks the veil router on dir to look dest up (its
// control socket's GET /netdb/lookup), a few times: the first answers
// may still be on their way.
func lookupUntilFound(t *testing.T, dir, dest string) string {
	t.Helper()
	var body string
	for try := range netdbLookupTries {
		code, b := veilLookup(t, dir, "type=leaseset&key="+url.QueryEscape(dest))
		body = string(b)
		var res struct {
			Found bool `json:"found"`
		}
		if code == http.StatusOK && json.Unmarshal(b, &res) == nil && res.Found {
			return fmt.Sprintf("%s (try %d)", body, try+1)
		}
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("veil on %s did not find %s: %s", dir, dest, body)
	return ""
}

// hashOfRI is the I2P Base64 hash of a RouterInfo.
func hashOfRI(t *testing.T, ri []byte) string {
	t.Helper()
	h, err := i2pdtest.RouterInfoHash(ri)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// routerHash is an i2pd router's hash, from its router.info.
func routerHash(t *testing.T, r *i2pdtest.Router) string {
	t.Helper()
	return hashOfRI(t, readFile(t, r.RouterInfoPath()))
}

// destHash is the hash behind a .b32.i2p address.
func destHash(t *testing.T, b32 string) data.Hash {
	t.Helper()
	h, err := data.ParseB32(b32)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// hasLine reports whether a line of log contains every one of subs.
func hasLine(log string, subs ...string) bool {
	for _, l := range strings.Split(log, "\n") {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(l, s)
		}
		if all {
			return true
		}
	}
	return false
}
