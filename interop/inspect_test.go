//go:build interop

package interop

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
)

const netID = 99 // private network of these tests

// i2pdRouterInfos starts n i2pd routers (router 0 a floodfill), waits for
// their router.info and stops them. Each router's netDb is seeded with the
// others' RouterInfos and the router restarted once, so that i2pd itself
// loads them. It returns the routers (stopped).
func i2pdRouterInfos(t *testing.T, n int) []*i2pdtest.Router {
	t.Helper()
	routers := make([]*i2pdtest.Router, n)
	for i := range routers {
		routers[i] = i2pdtest.Start(t, i2pdtest.Config{NetID: netID, Floodfill: i == 0})
	}
	ris := make([][]byte, n)
	for i, r := range routers {
		if err := r.WaitRouterInfo(30 * time.Second); err != nil {
			t.Fatal(err)
		}
		r.Stop()
		ris[i] = readFile(t, r.RouterInfoPath())
	}
	for i, r := range routers {
		for j, ri := range ris {
			if i != j {
				if _, err := i2pdtest.InstallRouterInfo(r.NetDbPath(), ri); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	r0 := routers[0]
	r0.Restart()
	if _, err := r0.WaitLog(fmt.Sprintf("NetDb: %d routers loaded", n-1), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	r0.Stop()
	return routers
}

// TestInspectI2pdRouterInfo: veil inspect reads the RouterInfos i2pd wrote,
// names the hash i2pd names the file by, verifies the signature, and
// rejects every one-byte change to the signed part.
func TestInspectI2pdRouterInfo(t *testing.T) {
	veil(t)
	i2pdtest.Require(t)
	routers := i2pdRouterInfos(t, 3)

	// File name → what the test knows independently of veil.
	type want struct {
		fields *i2pdtest.RouterInfoFields
		port   int
		data   []byte
	}
	dir := t.TempDir()
	wants := map[string]want{}
	for _, r := range routers {
		ri := readFile(t, r.RouterInfoPath())
		f, err := i2pdtest.ParseRouterInfo(ri)
		if err != nil {
			t.Fatalf("%s: %v", r.RouterInfoPath(), err)
		}
		path := filepath.Join(dir, "routerInfo-"+f.Hash+".dat")
		writeFile(t, path, ri)
		wants[path] = want{f, r.Config().Port, ri}
		wants[r.RouterInfoPath()] = want{f, r.Config().Port, ri}
	}
	// RouterInfo files i2pd itself keeps in router 0's netDb after loading.
	netDbFiles, _ := filepath.Glob(filepath.Join(routers[0].NetDbPath(), "r*", "routerInfo-*.dat"))
	if len(netDbFiles) != len(routers)-1 {
		t.Errorf("router 0's netDb holds %d RouterInfos after a restart, want %d: %v", len(netDbFiles), len(routers)-1, netDbFiles)
	}
	for _, p := range netDbFiles {
		ri := readFile(t, p)
		f, err := i2pdtest.ParseRouterInfo(ri)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		wants[p] = want{f, 0, ri}
	}

	var files []string
	for p := range wants {
		files = append(files, p)
	}
	start := time.Now()
	res := inspect(t, files...)
	t.Logf("veil inspect of %d i2pd RouterInfos: %v", len(files), time.Since(start).Round(time.Millisecond))
	if res.code != 0 || len(res.stderrLines()) != 0 {
		t.Errorf("veil inspect exit %d, stderr:\n%s", res.code, res.stderr)
	}
	got := res.byFile()
	if len(got) != len(files) {
		t.Errorf("veil inspect printed %d reports for %d files", len(got), len(files))
	}
	for path, w := range wants {
		rep, ok := got[path]
		if !ok {
			t.Errorf("%s: no report", path)
			continue
		}
		checkRouterInfoReport(t, rep, w.fields, w.port)
		if base := filepath.Base(path); strings.HasPrefix(base, "routerInfo-") && base != "routerInfo-"+rep.Hash+".dat" {
			t.Errorf("%s: veil says hash %s, i2pd's name says otherwise", path, rep.Hash)
		}
	}

	t.Run("corrupted", func(t *testing.T) {
		for i, r := range routers {
			testCorruptedRouterInfo(t, readFile(t, r.RouterInfoPath()), i == 0)
		}
	})
}

// checkRouterInfoReport compares veil's report with the fields read by the
// test itself.
func checkRouterInfoReport(t *testing.T, rep report, f *i2pdtest.RouterInfoFields, port int) {
	t.Helper()
	if rep.Kind != "routerinfo" {
		t.Errorf("%s: kind %q, want routerinfo", rep.File, rep.Kind)
	}
	if rep.Hash != f.Hash {
		t.Errorf("%s: hash %s, want %s", rep.File, rep.Hash, f.Hash)
	}
	if rep.SignatureValid == nil || !*rep.SignatureValid {
		t.Errorf("%s: signature_valid %v, want true (error %q)", rep.File, rep.SignatureValid, rep.Error)
	}
	if rep.NetID == nil || *rep.NetID != netID {
		t.Errorf("%s: netid %v, want %d", rep.File, rep.NetID, netID)
	}
	if !isEd25519(rep) {
		t.Errorf("%s: sig_type %q/%v, want EdDSA_SHA512_Ed25519 (7)", rep.File, rep.SigType, rep.SigTypeCode)
	}
	if rep.EncTypeCode != nil && *rep.EncTypeCode != 4 {
		t.Errorf("%s: enc_type %q (%d), want ECIES_X25519 (4)", rep.File, rep.EncType, *rep.EncTypeCode)
	}
	if rep.Caps != f.Options["caps"] || rep.Version != f.Options["router.version"] {
		t.Errorf("%s: caps %q version %q, want %q %q", rep.File, rep.Caps, rep.Version, f.Options["caps"], f.Options["router.version"])
	}
	if pub, err := time.Parse(time.RFC3339Nano, rep.Published); err != nil {
		t.Errorf("%s: published %q: %v", rep.File, rep.Published, err)
	} else if pub.UnixMilli() != f.Published {
		t.Errorf("%s: published %s, the file says %s", rep.File, pub, time.UnixMilli(f.Published).UTC())
	}
	if len(rep.Addresses) != len(f.Addresses) {
		t.Fatalf("%s: %d addresses, want %d: %+v", rep.File, len(rep.Addresses), len(f.Addresses), rep.Addresses)
	}
	for i, a := range f.Addresses {
		ra := rep.Addresses[i]
		if ra.Transport != a.Style || ra.Host != a.Options["host"] || strconv.Itoa(ra.Port) != a.Options["port"] ||
			ra.Options["s"] != a.Options["s"] || ra.Options["i"] != a.Options["i"] {
			t.Errorf("%s: address %d: veil %+v, file %s %v", rep.File, i, ra, a.Style, a.Options)
		}
		if port != 0 && (ra.Host != "127.0.0.1" || ra.Port != port) {
			t.Errorf("%s: address %s at %s:%d, i2pd was configured with 127.0.0.1:%d", rep.File, ra.Transport, ra.Host, ra.Port, port)
		}
	}
}

// testCorruptedRouterInfo flips one bit at several places of the signed part
// (and the signature), and cuts or extends the file: veil inspect must fail
// each, with one stderr line naming the file, and keep reporting the good
// file next to them as good. verbose logs veil's reason for each.
func testCorruptedRouterInfo(t *testing.T, ri []byte, verbose bool) {
	f, err := i2pdtest.ParseRouterInfo(ri)
	if err != nil {
		t.Fatal(err)
	}
	opt := func(key string) int { // offset of the last byte of an option's value
		i := strings.Index(string(ri[f.OptionsOff:]), key+"=")
		if i < 0 {
			t.Fatalf("no option %s", key)
		}
		val := f.OptionsOff + i + len(key) + 1 // length byte of the value
		return val + int(ri[val])
	}
	addrHost := strings.Index(string(ri), "127.0.0.1") + 8 // last digit of an address's host
	cases := []struct {
		name string
		b    []byte
	}{
		{"identity-enckey", flipped(ri, 0)},
		{"identity-padding", flipped(ri, 100)},
		{"identity-sigkey", flipped(ri, 383)},
		{"identity-certtype", flipped(ri, 384)},
		{"identity-certlen", flipped(ri, 386)},
		{"published", flipped(ri, f.IdentLen+7)},
		{"address-host", flipped(ri, addrHost)},
		{"option-netid", flipped(ri, opt("netId"))},
		{"option-version", flipped(ri, opt("router.version"))},
		{"option-caps", flipped(ri, opt("caps"))},
		{"signature", flipped(ri, len(ri)-1)},
		{"truncated", ri[:len(ri)-10]},
		{"extended", append(bytes.Clone(ri), 0)},
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "routerInfo-"+f.Hash+".dat")
	writeFile(t, good, ri)
	files := []string{good}
	for _, c := range cases {
		p := filepath.Join(dir, "bad-"+c.name, "routerInfo-"+f.Hash+".dat")
		writeFile(t, p, c.b)
		files = append(files, p)
	}
	res := inspect(t, files...)
	if res.code != 1 {
		t.Errorf("veil inspect on %d corrupted copies: exit %d, want 1", len(cases), res.code)
	}
	lines := res.stderrLines()
	if len(lines) != len(cases) {
		t.Errorf("stderr has %d lines for %d bad files:\n%s", len(lines), len(cases), res.stderr)
	}
	reps := res.byFile()
	for _, p := range files {
		var mentions []string
		for _, l := range lines {
			if strings.Contains(l, p) {
				mentions = append(mentions, l)
			}
		}
		if p == good {
			if len(mentions) != 0 || reps[p].SignatureValid == nil || !*reps[p].SignatureValid {
				t.Errorf("good file next to bad ones: stderr %q, report %+v", mentions, reps[p])
			}
			continue
		}
		name := strings.TrimPrefix(filepath.Base(filepath.Dir(p)), "bad-")
		if len(mentions) != 1 {
			t.Errorf("%s: %d stderr lines name it, want 1", name, len(mentions))
			continue
		}
		low := strings.ToLower(mentions[0])
		if !strings.Contains(low, "signature") && !strings.Contains(low, "invalid") && !strings.Contains(low, "pars") &&
			!strings.Contains(low, "truncat") && !strings.Contains(low, "length") && !strings.Contains(low, "trailing") {
			t.Errorf("%s: reason does not say what is wrong: %s", name, mentions[0])
		}
		if rep, ok := reps[p]; ok && rep.SignatureValid != nil && *rep.SignatureValid {
			t.Errorf("%s: report says signature_valid: true (%+v)", name, rep)
		}
		if verbose {
			t.Logf("%-18s %s", name, strings.TrimPrefix(mentions[0], "veil inspect: "+p+": "))
		}
	}
	// One bad file alone: the exit status is its own.
	one := inspect(t, files[1])
	if one.code != 1 {
		t.Errorf("veil inspect %s: exit %d, want 1", files[1], one.code)
	}
}

// TestInspectI2pdDestinationKeys: veil reads the destination key file an
// i2pd server tunnel created and reports the .b32.i2p i2pd shows for it;
// i2pd's router.keys is reported as router_keys with its router.info's hash.
func TestInspectI2pdDestinationKeys(t *testing.T) {
	veil(t)
	i2pdtest.Require(t)
	start := time.Now()
	r, dest := i2pdtest.NewDestination(t, i2pdtest.Config{NetID: netID})
	t.Logf("i2pd made %s (%s) in %v", dest.KeysPath, dest.B32, time.Since(start).Round(time.Millisecond))

	// The test's own reading: SHA-256 of the destination at the file's start.
	keys := readFile(t, dest.KeysPath)
	h, err := i2pdtest.IdentHash(keys)
	if err != nil {
		t.Fatal(err)
	}
	if own := i2pdtest.B32(h); own != dest.B32 {
		t.Fatalf("i2pd shows %s, SHA-256 of the destination gives %s", dest.B32, own)
	}
	ri := readFile(t, r.RouterInfoPath())
	riHash, err := i2pdtest.RouterInfoHash(ri)
	if err != nil {
		t.Fatal(err)
	}

	res := inspect(t, dest.KeysPath, r.KeysPath(), r.RouterInfoPath())
	if res.code != 0 {
		t.Errorf("veil inspect: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	got := res.byFile()
	d := got[dest.KeysPath]
	if d.Kind != "destination_keys" {
		t.Errorf("%s: kind %q, want destination_keys", dest.KeysPath, d.Kind)
	}
	if trimB32(d.B32) != trimB32(dest.B32) {
		t.Errorf("%s: veil says b32 %q, i2pd shows %s", dest.KeysPath, d.B32, dest.B32)
	}
	if d.Hash != i2pdtest.Base64(h[:]) {
		t.Errorf("%s: hash %s, want %s", dest.KeysPath, d.Hash, i2pdtest.Base64(h[:]))
	}
	// i2pd's server tunnels default to EdDSA signing and ElGamal encryption
	// (ClientContext: signaturetype 7, cryptotype 0).
	if !isEd25519(d) || (d.EncTypeCode != nil && *d.EncTypeCode != 0) {
		t.Errorf("%s: sig %q/%v enc %q/%v, want Ed25519 (7) and ElGamal (0)", dest.KeysPath, d.SigType, d.SigTypeCode, d.EncType, d.EncTypeCode)
	}

	k := got[r.KeysPath()]
	if k.Kind != "router_keys" || k.Hash != riHash {
		t.Errorf("%s: kind %q hash %s, want router_keys %s", r.KeysPath(), k.Kind, k.Hash, riHash)
	}
	if rr := got[r.RouterInfoPath()]; rr.Hash != riHash {
		t.Errorf("%s: hash %s, want %s", r.RouterInfoPath(), rr.Hash, riHash)
	}

	// The same key file under another name is still recognised.
	other := filepath.Join(t.TempDir(), "service.dat")
	writeFile(t, other, keys)
	if res := inspect(t, other); res.code != 0 || len(res.reports) != 1 || trimB32(res.reports[0].B32) != trimB32(dest.B32) {
		t.Errorf("veil inspect %s: exit %d, reports %+v, stderr %s", other, res.code, res.reports, res.stderr)
	}
	if _, err := os.Stat(dest.KeysPath); err != nil {
		t.Fatal(err)
	}
}
