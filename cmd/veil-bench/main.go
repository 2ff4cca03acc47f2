// Command veil-bench runs veil's benchmark suite: the same work done by a
// veil router and by an i2pd 2.45.1 router in one run, side by side, and
// reports each figure as medians with their spread and as a veil/i2pd
// ratio, in a Markdown table, a JSON file and PNG charts.
//
//	sudo go run ./cmd/veil-bench            # all figures, results in bench/results/
//	sudo go run ./cmd/veil-bench -only P2   # one group
//
// The networks are the interop tests' (internal/i2pdtest, in network
// namespaces; root and i2pd needed): the suite runs those benchmark
// tests (go test -tags interop) one after the other and reads the figures
// they print (lines "VEIL-BENCH {json}"). It is a separate command so
// the router binary does not carry the plotting library.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("veil-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", filepath.Join("bench", "results"), "folder for the results (JSON, Markdown, PNG charts)")
	only := fs.String("only", "", "run only these groups, comma-separated (P1,P2,P3; P3-SSU2 only when named)")
	timeout := fs.Duration("timeout", 25*time.Minute, "stop after this long")
	fromLog := fs.String("from", "", "read figures from a saved go test -v output instead of running the benchmarks")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var groups []string
	if *only != "" {
		groups = strings.Split(*only, ",")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "veil-bench: %v\n", err)
		return 1
	}
	// The tests' whole output, to see why a figure is missing.
	logPath := filepath.Join(*out, "latest-tests.log")
	testLog, err := os.Create(logPath)
	if err != nil {
		fmt.Fprintf(stderr, "veil-bench: %v\n", err)
		return 1
	}
	defer testLog.Close()
	fmt.Fprintf(stdout, "the tests' output goes to %s\n", logPath)
	res, err := collect(ctx, groups, *fromLog, stdout, testLog)
	if err != nil {
		fmt.Fprintf(stderr, "veil-bench: %v\n", err)
		if len(res.Figures) == 0 {
			return 1
		}
		fmt.Fprintln(stderr, "veil-bench: writing the figures measured so far")
	}
	files, werr := res.write(*out)
	if werr != nil {
		fmt.Fprintf(stderr, "veil-bench: %v\n", werr)
		return 1
	}
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, res.markdown())
	for _, f := range files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	if err != nil {
		return 1
	}
	return 0
}
