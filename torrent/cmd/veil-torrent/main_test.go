package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/metainfo"
)

// TestCreate: `veil-torrent create` writes a .torrent with the I2P
// tracker and prints its magnet link; a clearnet tracker is refused.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "data.bin")
	if err := os.WriteFile(file, bytes.Repeat([]byte("veil"), 100000), 0o600); err != nil {
		t.Fatal(err)
	}
	tr := "http://" + strings.Repeat("a", 52) + ".b32.i2p/announce"
	var stdout, stderr bytes.Buffer
	if code := run([]string{"create", "-tracker", tr, file}, &stdout, &stderr); code != 0 {
		t.Fatalf("create: %d %s", code, stderr.String())
	}
	mi, err := metainfo.LoadFromFile(file + ".torrent")
	if err != nil {
		t.Fatal(err)
	}
	info, err := mi.UnmarshalInfo()
	if err != nil || mi.Announce != tr || info.TotalLength() != 400000 || info.NumPieces() != 2 {
		t.Fatalf("%+v %+v %v", mi, info, err)
	}
	if !strings.Contains(stdout.String(), "magnet:?xt=urn:btih:") {
		t.Errorf("output %q", stdout.String())
	}
	if code := run([]string{"create", "-tracker", "http://tracker.example.com/announce", file}, &stdout, &stderr); code != 1 {
		t.Errorf("clearnet tracker: exit %d", code)
	}
	if code := run([]string{"frobnicate"}, &stdout, &stderr); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
}
