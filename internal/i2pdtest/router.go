package i2pdtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// MaxWait bounds every wait of this package.
	MaxWait = 60 * time.Second
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	// i2pd exits at once on SIGTERM (SIGINT would start a graceful shutdown
	// of up to 10 minutes).
	StopTimeout = 15 * time.Second
	// RequireEnv, when set to 1, turns "i2pd is not installed" from a skip
	// into a failure (CI sets it).
	RequireEnv = "VEIL_REQUIRE_I2PD"
)

// Available reports the i2pd executable on PATH (or $I2PD if set).
func Available() (path string, ok bool) {
	if p := os.Getenv("I2PD"); p != "" {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, true
		}
		return "", false
	}
	p, err := exec.LookPath("i2pd")
	return p, err == nil
}

// Require returns the i2pd executable, or skips the test (fails it when
// VEIL_REQUIRE_I2PD=1) if i2pd is not installed.
func Require(t TB) string {
	t.Helper()
	p, ok := Available()
	if ok {
		return p
	}
	msg := "i2pd is not installed (apt-get install i2pd, or set I2PD=/path/to/i2pd); interop test needs it"
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s [%s=1]", msg, RequireEnv)
	}
	t.Skip(msg)
	return ""
}

// Version runs "i2pd --version" and returns its version ("2.45.1").
func Version(binary string) (string, error) {
	out, err := exec.Command(binary, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("i2pdtest: %s --version: %w", binary, err)
	}
	m := regexp.MustCompile(`i2pd version ([0-9][0-9.]*)`).FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("i2pdtest: %s --version: unexpected output %q", binary, firstLine(out))
	}
	return string(m[1]), nil
}

// Router is one i2pd process and its data directory. Create it with Start.
type Router struct {
	t   TB
	cfg Config // resolved: every default filled in

	mu        sync.Mutex
	cmd       *exec.Cmd     // nil when stopped
	exited    chan struct{} // closed when cmd has been waited for
	waitErr   error         // cmd.Wait's result, valid once exited is closed
	logOffset int64         // size of i2pd.log when the current run started
}

// Start writes the config into cfg.DataDir, starts i2pd and waits until its
// web console answers. The router is stopped by a t.Cleanup. Start skips the
// test if i2pd is missing (see Require) and fails it on any other problem.
func Start(t TB, cfg Config) *Router {
	t.Helper()
	if cfg.Binary == "" {
		cfg.Binary = Require(t)
	}
	if err := resolve(t, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := writeConfig(&cfg); err != nil {
		t.Fatal(err)
	}
	r := &Router{t: t, cfg: cfg}
	t.Cleanup(r.Stop)
	if err := r.start(); err != nil {
		t.Fatal(err)
	}
	return r
}

func resolve(t TB, c *Config) error {
	if c.DataDir == "" {
		c.DataDir = t.TempDir()
	}
	dd, err := filepath.Abs(c.DataDir)
	if err != nil {
		return fmt.Errorf("i2pdtest: datadir: %w", err)
	}
	c.DataDir = dd
	if c.NetID == 0 {
		c.NetID = DefaultNetID
	}
	if err := checkNetID(c.NetID); err != nil {
		return err
	}
	if err := checkOptions(c.Options); err != nil {
		return err
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.StartTimeout <= 0 || c.StartTimeout > MaxWait {
		c.StartTimeout = 30 * time.Second
	}
	if c.Netns != "" {
		return resolveNetns(c)
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if !isLoopback(c.Host) {
		return fmt.Errorf("i2pdtest: host %s: loopback mode only allows 127.0.0.0/8 (use a Network for other addresses)", c.Host)
	}
	if c.Port == 0 {
		if c.Port, err = freePort(c.Host); err != nil {
			return err
		}
	}
	for c.HTTPPort == 0 || c.HTTPPort == c.Port {
		if c.HTTPPort, err = freePort(c.Host); err != nil {
			return err
		}
	}
	return nil
}

func writeConfig(c *Config) error {
	if err := os.MkdirAll(filepath.Join(c.DataDir, "tunnels.d"), 0o755); err != nil {
		return fmt.Errorf("i2pdtest: datadir: %w", err)
	}
	files := map[string]string{
		"i2pd.conf":    confFile(c),
		"tunnels.conf": c.Tunnels,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(c.DataDir, name), []byte(body), 0o644); err != nil {
			return fmt.Errorf("i2pdtest: write %s: %w", name, err)
		}
	}
	return nil
}

// start launches i2pd and waits until it is ready.
func (r *Router) start() error {
	c := &r.cfg
	args := []string{"--datadir=" + c.DataDir, "--conf=" + r.ConfPath()}
	var cmd *exec.Cmd
	if c.Netns != "" {
		// "ip netns exec" execs the program, so the PID stays i2pd's (checked
		// against i2pd's own pid file below).
		cmd = exec.Command("ip", append([]string{"netns", "exec", c.Netns, c.Binary}, args...)...)
	} else {
		cmd = exec.Command(c.Binary, args...)
	}
	cmd.Dir = c.DataDir
	cmd.SysProcAttr = childAttr()
	out, err := os.OpenFile(filepath.Join(c.DataDir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("i2pdtest: stdout log: %w", err)
	}
	defer out.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = out, out
	os.Remove(filepath.Join(c.DataDir, "i2pd.pid"))
	var off int64
	if st, err := os.Stat(r.LogPath()); err == nil {
		off = st.Size()
	}

	r.mu.Lock()
	if r.cmd != nil {
		select {
		case <-r.exited: // died on its own; starting again is fine
		default:
			r.mu.Unlock()
			return errors.New("i2pdtest: start: already running")
		}
	}
	if err := cmd.Start(); err != nil {
		r.mu.Unlock()
		return fmt.Errorf("i2pdtest: start %s: %w", c.Binary, err)
	}
	exited := make(chan struct{})
	r.cmd, r.exited, r.logOffset = cmd, exited, off
	r.mu.Unlock()
	go func() {
		err := cmd.Wait()
		r.mu.Lock()
		r.waitErr = err
		r.mu.Unlock()
		close(exited)
	}()

	if err := r.waitReady(cmd.Process.Pid, exited); err != nil {
		r.Stop()
		return err
	}
	return nil
}

// waitReady waits until i2pd wrote its pid file with our child's PID and its
// console answers.
func (r *Router) waitReady(pid int, exited chan struct{}) error {
	deadline := time.Now().Add(r.cfg.StartTimeout)
	pidOK := false
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("i2pdtest: i2pd exited during start (%v); log tail:\n%s", r.exitErr(), r.logTail(20))
		case <-time.After(100 * time.Millisecond):
		}
		if !pidOK {
			b, err := os.ReadFile(filepath.Join(r.cfg.DataDir, "i2pd.pid"))
			if err != nil || len(bytes.TrimSpace(b)) == 0 {
				continue
			}
			got, _ := strconv.Atoi(string(bytes.TrimSpace(b)))
			if got != pid {
				return fmt.Errorf("i2pdtest: i2pd.pid says %d, our child is %d (did i2pd daemonize?)", got, pid)
			}
			pidOK = true
		}
		if _, err := r.ConsoleGet("/"); err == nil {
			return nil
		}
	}
	return fmt.Errorf("i2pdtest: i2pd (pid %d) not ready after %v (pid file ok: %v); log tail:\n%s",
		pid, r.cfg.StartTimeout, pidOK, r.logTail(20))
}

// Stop sends SIGTERM to the i2pd process and waits for it (SIGKILL after
// StopTimeout). It is idempotent and safe to call on a stopped router.
// Problems are reported with t.Errorf.
func (r *Router) Stop() {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	pid := cmd.Process.Pid
	t0 := time.Now()
	defer func() {
		if d := time.Since(t0); d > time.Second {
			r.t.Logf("i2pdtest: stopping i2pd pid %d took %v", pid, d.Round(time.Millisecond))
		}
	}()
	select {
	case <-exited:
	default:
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			r.t.Errorf("i2pdtest: SIGTERM pid %d: %v", pid, err)
		}
		select {
		case <-exited:
		case <-time.After(StopTimeout):
			r.t.Errorf("i2pdtest: i2pd pid %d ignored SIGTERM for %v, sending SIGKILL", pid, StopTimeout)
			cmd.Process.Kill()
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				r.t.Errorf("i2pdtest: i2pd pid %d did not exit after SIGKILL", pid)
				return
			}
		}
	}
	r.mu.Lock()
	if r.cmd == cmd {
		r.cmd = nil
	}
	r.mu.Unlock()
}

// Restart stops the router and starts it again with the same config and data
// directory (same identity). It fails the test if the new start fails.
func (r *Router) Restart() {
	r.t.Helper()
	r.Stop()
	if err := r.start(); err != nil {
		r.t.Fatal(err)
	}
}

// Running reports whether the process is alive.
func (r *Router) Running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return false
	}
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

// PID is the process id of the running i2pd, or 0.
func (r *Router) PID() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return 0
	}
	return r.cmd.Process.Pid
}

func (r *Router) exitErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.waitErr
}

// Config returns the resolved config (ports and defaults filled in).
func (r *Router) Config() Config { return r.cfg }

// DataDir is i2pd's data directory.
func (r *Router) DataDir() string { return r.cfg.DataDir }

// ConfPath is the i2pd.conf the harness wrote.
func (r *Router) ConfPath() string { return filepath.Join(r.cfg.DataDir, "i2pd.conf") }

// LogPath is i2pd's log file (kept across restarts).
func (r *Router) LogPath() string { return filepath.Join(r.cfg.DataDir, "i2pd.log") }

// RouterInfoPath is i2pd's own signed RouterInfo.
func (r *Router) RouterInfoPath() string { return filepath.Join(r.cfg.DataDir, "router.info") }

// KeysPath is i2pd's router private keys file (identity + private keys).
func (r *Router) KeysPath() string { return filepath.Join(r.cfg.DataDir, "router.keys") }

// NetDbPath is the netDb directory (netDb/r<c>/routerInfo-<hash>.dat).
func (r *Router) NetDbPath() string { return filepath.Join(r.cfg.DataDir, "netDb") }

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}
