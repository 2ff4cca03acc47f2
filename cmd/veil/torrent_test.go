package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTorrentCommandMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var stdout, stderr bytes.Buffer
	if code := run([]string{"torrent", "--help"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "veil-torrent not found") {
		t.Fatalf("%d %q", code, stderr.String())
	}
}
