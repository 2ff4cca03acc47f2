package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// torrentCommand is the BitTorrent client's binary: its own module
// (torrent/, built with `go build ./cmd/veil-torrent` there), so that the
// router does not carry anacrolix/torrent's dependencies.
const torrentCommand = "veil-torrent"

// runTorrent runs `veil torrent ...` as veil-torrent, found beside the
// veil binary or on PATH.
func runTorrent(args []string, stdout, stderr io.Writer) int {
	path := ""
	if exe, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(exe), torrentCommand); isExecutable(p) {
			path = p
		}
	}
	if path == "" {
		p, err := exec.LookPath(torrentCommand)
		if err != nil {
			fmt.Fprintf(stderr, "veil: torrent: %s not found beside veil or on PATH (build it: cd torrent && go build ./cmd/%s)\n", torrentCommand, torrentCommand)
			return 1
		}
		path = p
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintf(stderr, "veil: torrent: %v\n", err)
		return 1
	}
	return 0
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
