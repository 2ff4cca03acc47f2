package config

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// i2pdAccepts runs the i2pd on PATH on conf and reports whether it read
// the whole file without complaint. To make i2pd stop right after reading,
// a bad value is appended to an option the file leaves unset; boost checks
// values in file order, so an error naming that option means every line
// before it was accepted. The file is also made harmless in case i2pd ever
// got further: a private netid and no reseed servers.
func i2pdAccepts(t *testing.T, conf string) bool {
	t.Helper()
	bin, err := exec.LookPath("i2pd")
	if err != nil {
		t.Skip("i2pd not installed")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "i2pd.conf")
	body := conf + "\n[nettime]\nntpsyncinterval = veil-stop-here\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, bin, "--datadir="+dir, "--conf="+p, "--netid=99",
		"--reseed.urls=https://127.0.0.1:9/", "--reseed.yggurls=https://127.0.0.1:9/", "--http.enabled=false").CombinedOutput()
	if !strings.Contains(string(out), "'nettime.ntpsyncinterval' is invalid") {
		t.Logf("i2pd refused the file: %s\n%s", out, conf)
		return false
	}
	return true
}

// What veil reads and writes, i2pd reads too.
func TestI2pdReadsOurFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs i2pd")
	}
	sample, err := os.ReadFile("testdata/i2pd.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !i2pdAccepts(t, string(sample)) {
		t.Error("i2pd refused testdata/i2pd.conf")
	}
	if i2pdAccepts(t, "[ntcp2]\nport = 70000\n") {
		t.Fatal("the check passes a bad file") // keeps the harness honest
	}

	dir := t.TempDir()
	argsGen := rapid.Custom(func(rt *rapid.T) []string {
		args := []string{"--datadir=" + dir}
		for i := range optionTable {
			d := &optionTable[i]
			// veil's own options stay at their defaults (written as
			// comments): i2pd refuses a file that sets them.
			if d.cmdOnly || d.name == "datadir" || d.name == "nettime.ntpsyncinterval" || slices.Contains(strings.Fields(veilOptions), d.name) {
				continue
			}
			args = append(args, "--"+d.name+"="+valueGen(d).Draw(rt, d.name))
		}
		return args
	})
	for seed := range 3 {
		args := argsGen.Example(seed)
		o, err := Load(args, env(dir))
		if err != nil {
			t.Fatalf("Load(%q): %v", args, err)
		}
		if !i2pdAccepts(t, Dump(o)) {
			t.Errorf("i2pd refused the dump of %q", args)
		}
	}
}
