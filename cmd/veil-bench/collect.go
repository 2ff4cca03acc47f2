package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// group is one of the figure groups and the interop benchmark
// tests that measure it, with the environment that turns them on.
type group struct {
	id    string
	tests []string
	env   []string
	about string
}

var groups = []group{
	{"P1", []string{"TestJoinBench"}, []string{"VEIL_JOIN_BENCH=1"},
		"a fresh router joining a warm mixed network (6 veil + 3 i2pd): start to its first client tunnels, veil and i2pd in turn"},
	{"P2", []string{"TestStreamingBench"}, []string{"VEIL_STREAM_BENCH=1"},
		"stream throughput through 3+3 hops in a network of 7 veil routers vs 7 i2pd routers; 100 streams at once (veil)"},
	{"P3", []string{"TestTransitI2pd"}, nil,
		"a transit router in the same position: CPU per GB relayed and fetch times, veil vs i2pd, NTCP2"},
	// Only when asked for (-only P3-SSU2): a network of SSU2-only i2pd
	// routers is slow to build tunnels, and one run in two fails there.
	{"P3-SSU2", []string{"TestTransitI2pdSSU2"}, []string{"VEIL_SSU2_BENCH=1"},
		"the same over SSU2 only"},
}

// optional groups run only when named with -only.
var optional = []string{"P3-SSU2"}

// benchPrefix starts a figure line (interop/bench_record_test.go).
const benchPrefix = "VEIL-BENCH "

// figure is one figure as the tests print it, then summarised.
type figure struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Unit   string    `json:"unit"`
	Better string    `json:"better"`
	Veil   []float64 `json:"veil"`
	I2pd   []float64 `json:"i2pd,omitempty"`
	// Tries that gave no figure (timed out).
	VeilFailed int `json:"veil_failed,omitempty"`
	I2pdFailed int `json:"i2pd_failed,omitempty"`

	VeilStats stats    `json:"veil_stats"`
	I2pdStats *stats   `json:"i2pd_stats,omitempty"`
	Ratio     *float64 `json:"ratio_veil_i2pd,omitempty"` // of the medians
}

// stats are a sample's median and spread.
type stats struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

func summarise(xs []float64) stats {
	s := slices.Clone(xs)
	sort.Float64s(s)
	st := stats{N: len(s)}
	if len(s) == 0 {
		return st
	}
	st.Min, st.Max = s[0], s[len(s)-1]
	if len(s)%2 == 1 {
		st.Median = s[len(s)/2]
	} else {
		st.Median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return st
}

// results are one run of the suite.
type results struct {
	Date    string   `json:"date"`
	Machine machine  `json:"machine"`
	Groups  []string `json:"groups"`
	Figures []figure `json:"figures"`
	Took    string   `json:"took"`
}

type machine struct {
	Hostname, Kernel, CPU, Go, I2pd string
	CPUs                            int
	MemoryGB                        float64
}

// collect runs the groups' tests (all when none named) and gathers their
// figures, or reads them from a saved log.
func collect(ctx context.Context, only []string, fromLog string, progress, testLog io.Writer) (results, error) {
	start := time.Now()
	res := results{Date: start.UTC().Format(time.RFC3339), Machine: thisMachine()}
	var run []group
	for _, g := range groups {
		if (len(only) == 0 && !slices.Contains(optional, g.id)) || slices.Contains(only, g.id) {
			run = append(run, g)
			res.Groups = append(res.Groups, g.id)
		}
	}
	if len(run) == 0 {
		return res, fmt.Errorf("-only %s: no such group (have P1, P2, P3, P3-SSU2)", strings.Join(only, ","))
	}
	if fromLog != "" {
		f, err := os.Open(fromLog)
		if err != nil {
			return res, err
		}
		defer f.Close()
		err = scanFigures(f, io.Discard, &res)
		res.Took = time.Since(start).Round(time.Second).String()
		return res, err
	}
	var errs []error
	for _, g := range run {
		fmt.Fprintf(progress, "== %s: %s\n", g.id, g.about)
		if err := runGroup(ctx, g, progress, &res, testLog); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", g.id, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	res.Took = time.Since(start).Round(time.Second).String()
	return res, errors.Join(errs...)
}

// runGroup runs one group's tests in one go test process.
func runGroup(ctx context.Context, g group, progress io.Writer, res *results, log io.Writer) error {
	pattern := "^(" + strings.Join(g.tests, "|") + ")$"
	cmd := exec.CommandContext(ctx, "go", "test", "-tags", "interop", "-count=1", "-v", "-timeout", "20m", "-run", pattern, "./interop/")
	// One test at a time, so figures are not taken while another
	// network loads the machine; i2pd must be there.
	cmd.Env = append(append(os.Environ(), "VEIL_INTEROP_SERIAL=1", "VEIL_REQUIRE_I2PD=1"), g.env...)
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("go test: %w (run veil-bench from the repository's root)", err)
	}
	scanErr := scanFigures(io.TeeReader(out, log), progress, res)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("go test %s: %w", pattern, err)
	}
	return scanErr
}

// scanFigures reads go test -v output: figure lines are kept, test
// verdicts and the tests' own figure lines shown as progress.
func scanFigures(r io.Reader, progress io.Writer, res *results) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, benchPrefix); ok {
			var f figure
			if err := json.Unmarshal([]byte(rest), &f); err != nil {
				return fmt.Errorf("figure line %q: %w", line, err)
			}
			res.add(f)
			fmt.Fprintf(progress, "   %s %s: veil %s, i2pd %s\n", f.ID, f.Name, short(f.Veil), short(f.I2pd))
			continue
		}
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "--- ") || strings.HasPrefix(t, "=== RUN") || strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "ok ") {
			fmt.Fprintf(progress, "   %s\n", t)
		}
	}
	return sc.Err()
}

// add merges a figure into the results (samples of the same figure from
// several tests or runs are pooled) and summarises it again.
func (r *results) add(f figure) {
	for i := range r.Figures {
		g := &r.Figures[i]
		if g.ID == f.ID && g.Name == f.Name {
			g.Veil = append(g.Veil, f.Veil...)
			g.I2pd = append(g.I2pd, f.I2pd...)
			g.VeilFailed += f.VeilFailed
			g.I2pdFailed += f.I2pdFailed
			g.summarise()
			return
		}
	}
	f.summarise()
	r.Figures = append(r.Figures, f)
}

func (f *figure) summarise() {
	f.VeilStats = summarise(f.Veil)
	f.I2pdStats, f.Ratio = nil, nil
	if len(f.I2pd) > 0 {
		s := summarise(f.I2pd)
		f.I2pdStats = &s
		if s.Median != 0 {
			r := f.VeilStats.Median / s.Median
			f.Ratio = &r
		}
	}
}

// advantage is how many times better veil did (> 1: veil better), or 0
// without an i2pd figure.
func (f *figure) advantage() float64 {
	if f.Ratio == nil || *f.Ratio == 0 {
		return 0
	}
	if f.Better == "lower" {
		return 1 / *f.Ratio
	}
	return *f.Ratio
}

func short(xs []float64) string {
	if len(xs) == 0 {
		return "-"
	}
	s := summarise(xs)
	if s.N == 1 {
		return fmt.Sprintf("%.3g", s.Median)
	}
	return fmt.Sprintf("%.3g (median of %d)", s.Median, s.N)
}

// thisMachine describes where the suite ran.
func thisMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	m.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err == nil {
			m.MemoryGB = kb / (1 << 20)
		}
	}
	if out, err := exec.Command("i2pd", "--version").Output(); err == nil {
		m.I2pd = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	return m
}
