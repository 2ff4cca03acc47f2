//go:build interop

package interop

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
)

// runVeilOnce runs the veil router on dataDir until it has logged its
// identity and written router.info, then stops it with SIGTERM. It returns
// the hash veil logged.
func runVeilOnce(t *testing.T, dataDir string, extra ...string) string {
	t.Helper()
	start := time.Now()
	v := startVeil(t, dataDir, netID, extra...)
	m, err := v.waitLog(hashLine, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := i2pdtest.WaitFile(filepath.Join(dataDir, "router.info"), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	up := time.Since(start)
	if err := v.stop(); err != nil {
		t.Fatalf("veil did not stop cleanly on SIGTERM: %v", err)
	}
	t.Logf("veil up in %v, stopped in %v", up.Round(time.Millisecond), (time.Since(start) - up).Round(time.Millisecond))
	return m[1]
}

// TestVeilKeepsI2pdIdentity: veil started on a data dir holding only an i2pd
// router.keys keeps that identity: same hash in its log and in the
// router.info it writes, and router.keys is left as it was.
func TestVeilKeepsI2pdIdentity(t *testing.T) {
	veil(t)
	i2pdtest.Require(t)
	r := i2pdtest.Start(t, i2pdtest.Config{NetID: netID})
	if err := r.WaitRouterInfo(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	keys := readFile(t, r.KeysPath())
	i2pdHash, err := i2pdtest.RouterInfoHash(readFile(t, r.RouterInfoPath()))
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "router.keys"), keys)
	logged := runVeilOnce(t, dir)
	if logged != i2pdHash {
		t.Errorf("veil logged hash %s, i2pd's router is %s", logged, i2pdHash)
	}
	veilRI := readFile(t, filepath.Join(dir, "router.info"))
	f, err := i2pdtest.ParseRouterInfo(veilRI)
	if err != nil {
		t.Fatalf("veil's router.info: %v", err)
	}
	if f.Hash != i2pdHash {
		t.Errorf("veil's router.info has hash %s, i2pd's router is %s", f.Hash, i2pdHash)
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, "router.keys")), keys) {
		t.Errorf("veil changed router.keys")
	}
	if f.Options["netId"] != strconv.Itoa(netID) {
		t.Errorf("veil's router.info: netId %q, want %d", f.Options["netId"], netID)
	}
	res := inspect(t, filepath.Join(dir, "router.info"))
	if res.code != 0 || len(res.reports) != 1 || res.reports[0].Hash != i2pdHash ||
		res.reports[0].SignatureValid == nil || !*res.reports[0].SignatureValid {
		t.Errorf("veil inspect on veil's router.info: exit %d %+v %s", res.code, res.reports, res.stderr)
	}

	// A second start keeps the identity too.
	if again := runVeilOnce(t, dir); again != i2pdHash {
		t.Errorf("second start: veil logged %s, want %s", again, i2pdHash)
	}

	t.Run("whole-datadir", func(t *testing.T) {
		testVeilOnI2pdDataDir(t, r, i2pdHash)
	})
}

// testVeilOnI2pdDataDir runs veil on a copy of a whole i2pd data dir,
// i2pd.conf included (README, "Moving from i2pd"): the identity, the NTCP2
// static key and IV, and the port from i2pd.conf must carry over.
func testVeilOnI2pdDataDir(t *testing.T, r *i2pdtest.Router, i2pdHash string) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(r.DataDir())); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "router.info")) // veil must rebuild it from the keys
	i2pdRI, err := i2pdtest.ParseRouterInfo(readFile(t, r.RouterInfoPath()))
	if err != nil {
		t.Fatal(err)
	}
	// The copied i2pd.conf says log = file; the command line wins.
	logged := runVeilOnce(t, dir, "--log=stdout")
	if logged != i2pdHash {
		t.Errorf("veil logged hash %s, i2pd's router is %s", logged, i2pdHash)
	}
	for _, name := range []string{"router.keys", "ntcp2.keys"} {
		if !bytes.Equal(readFile(t, filepath.Join(dir, name)), readFile(t, filepath.Join(r.DataDir(), name))) {
			t.Errorf("veil changed %s", name)
		}
	}
	f, err := i2pdtest.ParseRouterInfo(readFile(t, filepath.Join(dir, "router.info")))
	if err != nil {
		t.Fatalf("veil's router.info: %v", err)
	}
	if f.Hash != i2pdHash {
		t.Errorf("veil's router.info has hash %s, want %s", f.Hash, i2pdHash)
	}
	ntcp2 := func(f *i2pdtest.RouterInfoFields) map[string]string {
		for _, a := range f.Addresses {
			if a.Style == "NTCP2" {
				return a.Options
			}
		}
		return nil
	}
	mine, theirs := ntcp2(f), ntcp2(i2pdRI)
	if mine == nil || theirs == nil {
		t.Fatalf("NTCP2 address missing: veil %v, i2pd %v", mine, theirs)
	}
	for _, k := range []string{"s", "i", "port", "host"} {
		if mine[k] != theirs[k] {
			t.Errorf("NTCP2 %s: veil publishes %q, i2pd published %q", k, mine[k], theirs[k])
		}
	}
}

// TestI2pdAcceptsVeilRouterInfo: i2pd takes veil's RouterInfo both ways it
// reads RouterInfos from outside the network:
//
//  1. from its netDb folder at start (NetDb::LoadRouterInfo). In 2.45.1 this
//     does not verify signatures; it deletes the file if the RouterInfo does
//     not parse, has another netId, no router.version, no usable NTCP2/SSU2
//     address, or was published more than 180 days ago. A copy with netId
//     changed, planted beside it, must be deleted, which proves the check
//     runs.
//  2. from a reseed zip (NetDb::AddRouterInfo), which verifies the
//     signature: i2pd must log "RouterInfo added" for veil's, and reject a
//     copy with one flipped signature bit.
func TestI2pdAcceptsVeilRouterInfo(t *testing.T) {
	veil(t)
	i2pdtest.Require(t)
	vdir := t.TempDir()
	port := freeVeilPort(t)
	runVeilOnce(t, vdir, "--host=127.0.0.1", "--port="+strconv.Itoa(port))
	ri := readFile(t, filepath.Join(vdir, "router.info"))
	f, err := i2pdtest.ParseRouterInfo(ri)
	if err != nil {
		t.Fatalf("veil's router.info: %v", err)
	}
	t.Logf("veil RouterInfo %s: %d bytes, options %v", f.Hash, len(ri), f.Options)
	for _, a := range f.Addresses {
		t.Logf("  address %s %v", a.Style, a.Options)
	}

	t.Run("netDb", func(t *testing.T) {
		dd := t.TempDir()
		netDb := filepath.Join(dd, "netDb")
		good, err := i2pdtest.InstallRouterInfo(netDb, ri)
		if err != nil {
			t.Fatal(err)
		}
		wrongNet := bytes.Replace(ri, []byte("\x05netId=\x0299;"), []byte("\x05netId=\x0298;"), 1)
		if bytes.Equal(wrongNet, ri) {
			t.Fatal("veil's RouterInfo has no netId=99 option")
		}
		// Same identity under a name of its own (any 44-character hash).
		bad := i2pdtest.NetDbFile(netDb, strings.Repeat("A", 43)+"=")
		writeFile(t, bad, wrongNet)

		r := i2pdtest.Start(t, i2pdtest.Config{DataDir: dd, NetID: netID})
		for run := 1; run <= 2; run++ {
			line, err := r.WaitLog("routers loaded", 20*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("run %d: %s", run, line)
			if want := "NetDb: 1 routers loaded"; run == 1 && !strings.Contains(line, want) {
				t.Errorf("run 1: i2pd loaded something else than veil's RouterInfo: %q, want %q", line, want)
			}
			if run == 1 {
				r.Restart()
			}
		}
		r.Stop()
		if _, err := os.Stat(good); err != nil {
			t.Errorf("i2pd removed veil's RouterInfo %s: %v\n%s", good, err, grepLog(r.Log(), f.Hash, "RouterInfo:"))
		}
		if r.LogContains("RI from " + good) {
			t.Errorf("i2pd complained about veil's RouterInfo:\n%s", grepLog(r.Log(), "RI from"))
		}
		if _, err := os.Stat(bad); !os.IsNotExist(err) {
			t.Errorf("i2pd kept the copy with netId=98 (%v): its load check did not run?", err)
		}
		if !r.LogContains("RI from " + bad + " is invalid or too old. Delete") {
			t.Errorf("i2pd did not log the deletion of %s:\n%s", bad, grepLog(r.Log(), "NetDb", "RouterInfo"))
		}
	})

	t.Run("reseed", func(t *testing.T) {
		seed := func(t *testing.T, ri []byte) *i2pdtest.Router {
			zip := filepath.Join(t.TempDir(), "seed.zip")
			if err := i2pdtest.WriteReseedZip(zip, ri); err != nil {
				t.Fatal(err)
			}
			r := i2pdtest.Start(t, i2pdtest.Config{NetID: netID, ReseedZip: zip})
			// Reseeding happens inside NetDb::Start, before the transports.
			if _, err := r.WaitLog("Daemon: Starting Transports", 20*time.Second); err != nil {
				t.Fatal(err)
			}
			r.Stop()
			return r
		}
		r := seed(t, ri)
		if !r.LogContains("NetDb: RouterInfo added: " + f.Hash) {
			t.Errorf("i2pd did not add veil's RouterInfo from the reseed zip:\n%s", grepLog(r.Log(), "Reseed", "RouterInfo", "NetDb"))
		}
		if r.LogContains("Signature verification failed") {
			t.Errorf("i2pd: %s", grepLog(r.Log(), "Signature"))
		}

		r = seed(t, flipped(ri, len(ri)-1))
		if r.LogContains("NetDb: RouterInfo added: " + f.Hash) {
			t.Errorf("i2pd added a RouterInfo with a broken signature: does it verify at all?")
		}
		if !r.LogContains("RouterInfo: Signature verification failed") {
			t.Errorf("i2pd did not log a failed signature check:\n%s", grepLog(r.Log(), "Reseed", "RouterInfo", "NetDb"))
		}
	})
}

// freeVeilPort returns a port that is free on 127.0.0.1 right now, for
// veil's transports.
func freeVeilPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// grepLog returns the log lines that contain any of the words.
func grepLog(log string, words ...string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, "    "+l)
				break
			}
		}
	}
	if len(out) > 40 {
		out = append(out[:40], fmt.Sprintf("    … %d more", len(out)-40))
	}
	return strings.Join(out, "\n")
}
