//go:build interop

package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// veilBin is the veil command under test and veilBuildErr why building it
// failed. TestMain sets both once, before any test runs; they are read-only
// afterwards.
var veilBin, veilBuildErr = "", error(nil)

// TestMain builds ./cmd/veil once for the whole run (or uses $VEIL_BIN).
func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if spec := os.Getenv(serveFilesEnv); spec != "" {
		return serveFiles(spec) // a service inside a test's namespace
	}
	flag.Parse() // testing.Verbose needs the flags
	if p := os.Getenv("VEIL_BIN"); p != "" {
		veilBin = p
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "veil-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	veilBin = filepath.Join(dir, "veil")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", veilBin, "./cmd/veil")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		veilBuildErr = fmt.Errorf("go build ./cmd/veil: %w\n%s", err, out)
	} else if testing.Verbose() {
		fmt.Printf("interop: built veil in %v\n", time.Since(start).Round(time.Millisecond))
	}
	return m.Run()
}

// veil returns the veil command, failing the test if it could not be built.
func veil(t testing.TB) string {
	t.Helper()
	if veilBuildErr != nil {
		t.Fatalf("the veil command is needed: %v", veilBuildErr)
	}
	return veilBin
}

// report is one line of `veil inspect` output (the fields these tests use).
type report struct {
	File           string    `json:"file"`
	Kind           string    `json:"kind"`
	Hash           string    `json:"hash"`
	B32            string    `json:"b32"`
	SigType        string    `json:"sig_type"`
	SigTypeCode    *int      `json:"sig_type_code"`
	EncType        string    `json:"enc_type"`
	EncTypeCode    *int      `json:"enc_type_code"`
	SignatureValid *bool     `json:"signature_valid"`
	Published      string    `json:"published"`
	Caps           string    `json:"caps"`
	Version        string    `json:"version"`
	NetID          *int      `json:"netid"`
	Addresses      []address `json:"addresses"`
	Error          string    `json:"error"`
}

type address struct {
	Transport string            `json:"transport"`
	Host      string            `json:"host"`
	Port      int               `json:"port"`
	Options   map[string]string `json:"options"`
}

// inspectResult is one run of `veil inspect`.
type inspectResult struct {
	reports []report
	stderr  string
	code    int
}

// inspect runs `veil inspect files...` (at most 30 s) and decodes its JSON
// Lines.
func inspect(t testing.TB, files ...string) inspectResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, veil(t), append([]string{"inspect"}, files...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := inspectResult{stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		res.code = exit.ExitCode()
	default:
		t.Fatalf("veil inspect %v: %v\nstderr: %s", files, err, stderr.String())
	}
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var r report
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("veil inspect %v: stdout is not JSON Lines: %v\n%s", files, err, stdout.String())
		}
		res.reports = append(res.reports, r)
	}
	return res
}

// byFile indexes reports by their file field.
func (r inspectResult) byFile() map[string]report {
	m := map[string]report{}
	for _, rep := range r.reports {
		m[rep.File] = rep
	}
	return m
}

// stderrLines returns the non-empty lines veil wrote to stderr.
func (r inspectResult) stderrLines() []string {
	var out []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// veilRun is a running `veil --datadir=… --netid=…` router.
type veilRun struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}

	mu      sync.Mutex
	waitErr error
}

// startVeil runs the veil router on dataDir as a direct child of the test;
// a t.Cleanup stops it by PID. Its stdout and stderr go to logPath. The
// HTTP proxy is off unless extra sets an httpproxy option (proxyOff).
func startVeil(t testing.TB, dataDir string, netID int, extra ...string) *veilRun {
	t.Helper()
	args := append([]string{"--datadir=" + dataDir, fmt.Sprintf("--netid=%d", netID), "--loglevel=debug"}, proxyOff(extra)...)
	return runVeil(t, exec.Command(veil(t), args...), "veil")
}

// runVeil starts cmd (a veil command, or one that execs veil so the PID is
// veil's) with its output in a log file; a t.Cleanup stops it by that PID
// (veilRun.stop: SIGTERM, SIGKILL after 15 s) and fails the test unless it
// exits 0. label names it in messages.
func runVeil(t testing.TB, cmd *exec.Cmd, label string) *veilRun {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "veil.log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // veil has its own copy
	cmd.Stdout, cmd.Stderr = out, out
	// If the test binary dies without its cleanups, the kernel stops veil.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", label, err)
	}
	v := &veilRun{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		v.mu.Lock()
		v.waitErr = err
		v.mu.Unlock()
		close(v.exited)
	}()
	t.Cleanup(func() {
		if err := v.stop(); err != nil {
			t.Errorf("%s: %v", label, err)
		}
	})
	t.Logf("%s pid %d: %s", label, cmd.Process.Pid, strings.Join(cmd.Args, " "))
	return v
}

func (v *veilRun) log() string {
	b, _ := os.ReadFile(v.logPath)
	return string(b)
}

// waitLog waits (at most timeout, at most 60 s) for a log line matching re
// and returns its submatches.
func (v *veilRun) waitLog(re *regexp.Regexp, timeout time.Duration) ([]string, error) {
	deadline := time.Now().Add(min(timeout, 60*time.Second))
	for {
		if m := re.FindStringSubmatch(v.log()); m != nil {
			return m, nil
		}
		select {
		case <-v.exited:
			if m := re.FindStringSubmatch(v.log()); m != nil {
				return m, nil
			}
			return nil, fmt.Errorf("veil exited (%v) without logging %s; log:\n%s", v.exitErr(), re, v.log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("veil did not log %s within %v; log:\n%s", re, timeout, v.log())
		}
	}
}

func (v *veilRun) exitErr() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.waitErr
}

// stop sends SIGTERM and waits up to 15 s (then SIGKILL). It returns an
// error if veil had to be killed or exited with a failure status.
// Idempotent.
func (v *veilRun) stop() error {
	select {
	case <-v.exited:
		return v.exitErr()
	default:
	}
	if err := v.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("SIGTERM pid %d: %w", v.cmd.Process.Pid, err)
	}
	select {
	case <-v.exited:
		if err := v.exitErr(); err != nil {
			return fmt.Errorf("exit after SIGTERM: %w; log:\n%s", err, v.log())
		}
		return nil
	case <-time.After(15 * time.Second):
		v.cmd.Process.Kill()
		<-v.exited
		return fmt.Errorf("pid %d ignored SIGTERM for 15 s; killed", v.cmd.Process.Pid)
	}
}

// hashLine matches veil's startup line, e.g.
//
//	level=INFO msg="router identity" hash="AbC…=" created=true …
var hashLine = regexp.MustCompile(`msg="router identity".*?\bhash="?([A-Za-z0-9~-]{43}=)"?`)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// flipped returns a copy of b with bit 0 of b[off] inverted.
func flipped(b []byte, off int) []byte {
	c := bytes.Clone(b)
	c[off] ^= 1
	return c
}

// isEd25519 reports whether a report names signature type 7.
func isEd25519(r report) bool {
	if r.SigTypeCode != nil {
		return *r.SigTypeCode == 7
	}
	return strings.Contains(r.SigType, "Ed25519") && !strings.Contains(r.SigType, "ph")
}

func trimB32(s string) string { return strings.TrimSuffix(s, ".b32.i2p") }
