//go:build interop

package interop

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/addressbook"
	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// TestNamesI2pd: .i2p names learned from a subscription served by an
// i2pd eepsite (veil + four i2pd 2.45.1 in netns). i2pd r2 runs two
// `http` server tunnels, site0 and site1, each in front of its own HTTP
// server; site0's also serves hosts.txt. veil subscribes to
// http://<site0 b32>/hosts.txt ("site.i2p" = site0, "other.i2p" =
// site1); curl through veil's HTTP proxy and curl --socks5-hostname
// through its SOCKS proxy fetch http://site.i2p/ by name. Then the feed
// says, signed, that site.i2p changed destination to site1 (changedest)
// and, unsigned, that other.i2p is site0: the first is applied, the
// second is not (the first name kept wins), and site.i2p now reaches
// site1.
func TestNamesI2pd(t *testing.T) {
	inParallel(t)
	t0 := time.Now()
	const host = 2 // the i2pd router with the sites
	webPorts := [2]int{8080, 8081}
	var keys [2]*keyfile.PrivateKeys
	var b64 [2]string
	for i := range keys {
		k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys[i], b64[i] = k, data.EncodeBase64(k.Identity.Bytes())
	}
	feedURL := "http://" + keys[0].Identity.Hash().B32() + "/hosts.txt"
	pools := "inbound.length = 2\noutbound.length = 0\ninbound.quantity = 2\noutbound.quantity = 2\n"
	small := func(p string) []string {
		return []string{"--" + p + ".inbound.length=2", "--" + p + ".outbound.length=2",
			"--" + p + ".inbound.quantity=2", "--" + p + ".outbound.quantity=2"}
	}
	args := append([]string{"--httpproxy.enabled=true", "--socksproxy.enabled=true", "--addressbook.subscriptions=" + feedURL},
		append(small("httpproxy"), small("socksproxy")...)...)
	m := startMixed(t, mixedConfig{
		I2pdTunnels: func(i int) string {
			if i != host {
				return ""
			}
			return fmt.Sprintf("[site0]\ntype = http\nhost = 127.0.0.1\nport = %d\nkeys = site0.dat\n%s"+
				"[site1]\ntype = http\nhost = 127.0.0.1\nport = %d\nkeys = site1.dat\n%[2]s", webPorts[0], pools, webPorts[1])
		},
		BeforeI2pdStart: func(i int, dataDir string) {
			if i == host {
				writeFile(t, filepath.Join(dataDir, "site0.dat"), keys[0].Bytes())
				writeFile(t, filepath.Join(dataDir, "site1.dat"), keys[1].Bytes())
			}
		},
		VeilArgs: args,
	})
	t.Logf("veil %s and %d i2pd up after %v", m.VeilHash, len(m.I2pd), since(t0))
	var dirs [2]string
	for i := range dirs {
		dirs[i] = t.TempDir()
		writeFile(t, filepath.Join(dirs[i], "who.txt"), []byte(fmt.Sprintf("site%d\n", i)))
	}
	feed := filepath.Join(dirs[0], "hosts.txt")
	writeFile(t, feed, []byte("# test feed\nsite.i2p="+b64[0]+"\nother.i2p="+b64[1]+"\n"))
	for i := range dirs {
		startFileServer(t, m.Net, m.I2pdNS[host], hostPort("127.0.0.1", webPorts[i]), dirs[i])
	}
	m.waitI2pdLeaseSet(t, host, keys[0], 90*time.Second)

	// Both proxies up, then the subscription fetched on demand.
	deadline := time.Now().Add(streamReady)
	for {
		st, err := veilStatusOf(t, m.VeilDir)
		if err == nil && len(st.TCPTunnels) == 2 && len(st.Destinations) == 2 && st.Destinations[0].Leases > 0 && st.Destinations[1].Leases > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("veil's proxies have no leases after %v: %+v %v\n%s", streamReady, st, err, m.Veil.logSummary(30))
		}
		time.Sleep(2 * time.Second)
	}
	want := map[string]string{"site.i2p": keys[0].Identity.Hash().B32(), "other.i2p": keys[1].Identity.Hash().B32()}
	waitNames(t, m, want, "first fetch")
	t.Logf("names learned after %v", since(t0))

	who := func(name string, extra ...string) string {
		out, err := m.Net.Command(m.VeilNS, "curl", append([]string{"-sS", "--max-time", "60"}, append(extra, "http://"+name+"/who.txt")...)...).CombinedOutput()
		if err != nil {
			return fmt.Sprintf("error %v: %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	retry := func(name string, extra ...string) string {
		var got string
		for end := time.Now().Add(2 * time.Minute); time.Now().Before(end); time.Sleep(3 * time.Second) {
			if got = who(name, extra...); strings.HasPrefix(got, "site") {
				break
			}
			t.Logf("%s %v: %s", name, extra, got)
		}
		return got
	}
	if got := retry("site.i2p", "-x", "http://127.0.0.1:4444"); got != "site0" {
		t.Errorf("HTTP proxy, site.i2p: %q, want site0\n%s", got, proxyPage(t, m, "http://site.i2p/who.txt"))
	}
	if got := retry("site.i2p", "--socks5-hostname", "127.0.0.1:4447"); got != "site0" {
		t.Errorf("SOCKS5, site.i2p: %q, want site0", got)
	}
	if got := retry("other.i2p", "--socks4a", "127.0.0.1:4447"); got != "site1" {
		t.Errorf("SOCKS4a, other.i2p: %q, want site1", got)
	}
	if out, err := m.Net.Command(m.VeilNS, "curl", "-sS", "--max-time", "30", "--socks5-hostname", "127.0.0.1:4447", "http://example.com/").CombinedOutput(); err == nil {
		t.Errorf("SOCKS to a clearnet host answered: %s", out)
	} else {
		t.Logf("SOCKS to a clearnet host refused: %s", strings.TrimSpace(string(out)))
	}

	// The proxy's pages: an unknown name (jump links); an address helper
	// link (a confirmation page; nothing saved until its save link is
	// followed; then the name works); a helper conflicting with the
	// book; a b32 whose LeaseSet is nowhere.
	if code, body := rawProxy(t, m, "http://unknown.i2p/"); code != "404" || !strings.Contains(body, "not in the addressbook") || !strings.Contains(body, "jump service") {
		t.Errorf("unknown name: %s %.400s", code, body)
	}
	helper := "http://helper.i2p/who.txt?i2paddresshelper=" + url.QueryEscape(b64[1])
	code, body := rawProxy(t, m, helper)
	if code != "200" || !strings.Contains(body, "unknown name") || !strings.Contains(body, keys[1].Identity.Hash().B32()) {
		t.Fatalf("helper page: %s %.600s", code, body)
	}
	if names := bookNames(t, m, "private"); names["helper.i2p"] != "" {
		t.Fatal("helper.i2p saved before confirmation")
	}
	save := ""
	for _, part := range strings.Split(body, `href="`)[1:] {
		if h, _, _ := strings.Cut(part, `"`); strings.Contains(h, "i2paddresshelperaction=save") {
			save = html.UnescapeString(h)
		}
	}
	if code, body := rawProxy(t, m, save); code != "302" {
		t.Errorf("save link %s: %s %.300s", save, code, body)
	}
	if names := bookNames(t, m, "private"); names["helper.i2p"] != keys[1].Identity.Hash().B32() {
		t.Errorf("helper.i2p not saved: %v", names)
	}
	if got := retry("helper.i2p", "-x", "http://127.0.0.1:4444"); got != "site1" {
		t.Errorf("helper.i2p: %q, want site1", got)
	}
	if code, body := rawProxy(t, m, "http://site.i2p/?i2paddresshelper="+url.QueryEscape(b64[1])); code != "200" || !strings.Contains(body, "known otherwise") {
		t.Errorf("conflicting helper: %s %.400s", code, body)
	}
	nowhere := strings.Repeat("b", 52) + ".b32.i2p"
	if code, body := rawProxy(t, m, "http://"+nowhere+"/"); (code != "502" && code != "504") || !strings.Contains(body, nowhere) {
		t.Errorf("LeaseSet nowhere: %s %.300s", code, body)
	}
	t.Logf("pages checked after %v", since(t0))

	// The update: a signed changedest (applied) and a conflicting
	// unsigned line (not applied).
	signer0, err := keys[0].Signer()
	if err != nil {
		t.Fatal(err)
	}
	signer1, err := keys[1].Signer()
	if err != nil {
		t.Fatal(err)
	}
	change, err := addressbook.SignLine("site.i2p", b64[1], map[string]string{"action": "changedest", "olddest": b64[0]}, signer1, signer0)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, feed, []byte("site.i2p="+b64[0]+"\nother.i2p="+b64[1]+"\n"+change+"\nother.i2p="+b64[0]+"\n"))
	later := time.Now().Add(time.Minute) // Last-Modified newer than the first one's, whatever the clock granularity
	if err := os.Chtimes(feed, later, later); err != nil {
		t.Fatal(err)
	}
	want["site.i2p"] = keys[1].Identity.Hash().B32()
	waitNames(t, m, want, "changedest")
	if got := retry("site.i2p", "-x", "http://127.0.0.1:4444"); got != "site1" {
		t.Errorf("after changedest, site.i2p: %q, want site1", got)
	}
	t.Logf("total %v", since(t0))
}

// rawProxy is the status code and body veil's HTTP proxy answers for u.
func rawProxy(t *testing.T, m *mixedNet, u string) (string, string) {
	out, _ := m.Net.Command(m.VeilNS, "curl", "-s", "--max-time", "90", "-w", "\n%{http_code}", "-x", "http://127.0.0.1:4444", u).Output()
	i := strings.LastIndexByte(string(out), '\n')
	return string(out[i+1:]), string(out[:max(i, 0)])
}

// bookNames is `veil addressbook list --book=which` as name → b32.
func bookNames(t *testing.T, m *mixedNet, which string) map[string]string {
	out, err := exec.Command(veil(t), "addressbook", "list", "--book="+which, "--datadir="+m.VeilDir).CombinedOutput()
	if err != nil {
		t.Errorf("veil addressbook list: %v %s", err, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 {
			got[f[0]] = f[1]
		}
	}
	return got
}

// waitNames asks veil to fetch its subscriptions until `veil addressbook
// list` shows want (name → b32), for 4 minutes at most.
func waitNames(t *testing.T, m *mixedNet, want map[string]string, what string) {
	t.Helper()
	var last string
	for end := time.Now().Add(4 * time.Minute); time.Now().Before(end); time.Sleep(5 * time.Second) {
		if out, err := exec.Command(veil(t), "addressbook", "update", "--datadir="+m.VeilDir).CombinedOutput(); err != nil {
			t.Logf("veil addressbook update: %v %s", err, out)
		}
		time.Sleep(10 * time.Second)
		got := bookNames(t, m, "all")
		last = fmt.Sprint(got)
		ok := true
		for n, b := range want {
			ok = ok && got[n] == b
		}
		if ok {
			return
		}
	}
	st, _ := json.Marshal(want)
	t.Fatalf("%s: addressbook never showed %s; last list:\n%s\n%s", what, st, last, m.Veil.logSummary(40))
}
