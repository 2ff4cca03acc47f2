package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/veil-i2p/veil/internal/inspect"
)

// maxInspectFile bounds what inspect reads: the largest structure it
// knows, an su3 reseed bundle, is a few MiB.
const maxInspectFile = 64 << 20

// runInspect implements `veil inspect FILE...`: one JSON object per file
// on stdout, one line per failure on stderr, exit status 1 if any failed.
func runInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	certs := fs.String("certs", "", "folder of su3 signer certificates (i2pd's certificates/reseed) to verify su3 files")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: veil inspect [--certs DIR] FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	enc := json.NewEncoder(stdout)
	status := 0
	for _, name := range fs.Args() {
		rep, err := inspectFile(name, inspect.Options{SU3CertDir: *certs})
		if err != nil {
			rep.Error = err.Error()
			fmt.Fprintf(stderr, "veil inspect: %s: %v\n", name, err)
			status = 1
		}
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "veil inspect: %v\n", err)
			return 1
		}
	}
	return status
}

func inspectFile(name string, opt inspect.Options) (*inspect.Report, error) {
	f, err := os.Open(name)
	if err != nil {
		return &inspect.Report{File: name, Kind: "unreadable"}, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInspectFile+1))
	if err != nil {
		return &inspect.Report{File: name, Kind: "unreadable"}, err
	}
	if len(b) > maxInspectFile {
		return &inspect.Report{File: name, Kind: "unknown"}, fmt.Errorf("larger than %d bytes", maxInspectFile)
	}
	return inspect.Inspect(name, b, opt)
}
