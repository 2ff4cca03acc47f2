package i2pdtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// pollInterval is how often the Wait* helpers look again.
const pollInterval = 50 * time.Millisecond

func clampWait(d time.Duration) time.Duration {
	if d <= 0 || d > MaxWait {
		return MaxWait
	}
	return d
}

// WaitFile waits until path exists and is not empty (timeout at most
// MaxWait).
func WaitFile(path string, timeout time.Duration) error {
	timeout = clampWait(timeout)
	deadline := time.Now().Add(timeout)
	for {
		st, err := os.Stat(path)
		if err == nil && st.Size() > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("empty")
			}
			return fmt.Errorf("i2pdtest: %s not there after %v: %w", path, timeout, err)
		}
		time.Sleep(pollInterval)
	}
}

// WaitRouterInfo waits until i2pd has written router.info and router.keys.
// i2pd writes router.info in one go once its transports are configured.
func (r *Router) WaitRouterInfo(timeout time.Duration) error {
	if err := WaitFile(r.KeysPath(), timeout); err != nil {
		return err
	}
	return WaitFile(r.RouterInfoPath(), timeout)
}

// Log returns i2pd's whole log file (all runs of this router).
func (r *Router) Log() string {
	b, _ := os.ReadFile(r.LogPath())
	return string(b)
}

// LogContains reports whether any line i2pd logged (in any run) contains s.
func (r *Router) LogContains(s string) bool {
	return strings.Contains(r.Log(), s)
}

// currentLog is the part of the log written since the current (or last) run
// started.
func (r *Router) currentLog() string {
	r.mu.Lock()
	off := r.logOffset
	r.mu.Unlock()
	f, err := os.Open(r.LogPath())
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, 64<<20))
	return string(b)
}

// WaitLog waits until a line logged in the current run contains s and
// returns that line (timeout at most MaxWait). It gives up early if i2pd
// exits.
func (r *Router) WaitLog(s string, timeout time.Duration) (string, error) {
	timeout = clampWait(timeout)
	deadline := time.Now().Add(timeout)
	for {
		if line, ok := findLine(r.currentLog(), s); ok {
			return line, nil
		}
		if !r.Running() {
			if line, ok := findLine(r.currentLog(), s); ok {
				return line, nil
			}
			return "", fmt.Errorf("i2pdtest: i2pd is not running and did not log %q; log tail:\n%s", s, r.logTail(15))
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("i2pdtest: i2pd did not log %q within %v; log tail:\n%s", s, timeout, r.logTail(15))
		}
		time.Sleep(pollInterval)
	}
}

func findLine(log, s string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			return sc.Text(), true
		}
	}
	return "", false
}

// logTail returns the last n lines of the log for error messages.
func (r *Router) logTail(n int) string {
	lines := strings.Split(strings.TrimRight(r.Log(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out, _ := os.ReadFile(r.cfg.DataDir + "/stdout.log")
	if s := strings.TrimSpace(string(out)); s != "" {
		lines = append(lines, "[stdout/stderr] "+s)
	}
	return "    " + strings.Join(lines, "\n    ")
}

// ConsoleURL is the base URL of i2pd's web console.
func (r *Router) ConsoleURL() string {
	return "http://" + net.JoinHostPort(r.cfg.Host, strconv.Itoa(r.cfg.HTTPPort))
}

// ConsoleGet fetches a page of i2pd's web console, e.g. "/?page=i2p_tunnels",
// and returns its body. Status codes other than 200 are errors.
func (r *Router) ConsoleGet(path string) (string, error) {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.ConsoleURL()+path, nil)
	if err != nil {
		return "", fmt.Errorf("i2pdtest: console %s: %w", path, err)
	}
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	if r.cfg.Netns != "" {
		tr.DialContext = netnsDialer(r.cfg.Netns)
	}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", fmt.Errorf("i2pdtest: console %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return "", fmt.Errorf("i2pdtest: console %s: read: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("i2pdtest: console %s: %s", path, resp.Status)
	}
	return string(body), nil
}

// b32Link matches a console list item of ?page=i2p_tunnels (2.45.1):
//
//	<a href="/?page=local_destination&b32=XXX">name</a> &#8658; XXX.b32.i2p:port
var b32Link = regexp.MustCompile(`>([^<>]*)</a> &#8658; ([a-z2-7]{52,})\.b32\.i2p:[0-9]+`)

// ServerTunnelB32 returns the address ("….b32.i2p") that i2pd's console
// shows for the server tunnel called name, waiting for it up to timeout.
func (r *Router) ServerTunnelB32(name string, timeout time.Duration) (string, error) {
	timeout = clampWait(timeout)
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		page, err := r.ConsoleGet("/?page=i2p_tunnels")
		if err != nil {
			lastErr = err
		} else {
			for _, m := range b32Link.FindAllStringSubmatch(page, -1) {
				if m[1] == name {
					return m[2] + ".b32.i2p", nil
				}
			}
			lastErr = fmt.Errorf("no server tunnel %q listed", name)
		}
		time.Sleep(4 * pollInterval)
	}
	return "", fmt.Errorf("i2pdtest: console ?page=i2p_tunnels after %v: %w", timeout, lastErr)
}

// keysLogLine matches the line i2pd 2.45.1 logs when it creates or loads a
// tunnel's key file:
//
//	Clients: New private keys file /dd/test.dat for XXX.b32.i2p created
//	Clients: Local address XXX.b32.i2p loaded
var keysLogLine = regexp.MustCompile(`Clients: (?:New private keys file (\S+) for|Local address) ([a-z2-7]{52,}\.b32\.i2p) (?:created|loaded)`)

// LoggedKeysB32 returns the b32 address i2pd logged when it created
// (created=true) or loaded a tunnel key file; keysPath restricts "created"
// lines to that file. It searches the current run only.
func (r *Router) LoggedKeysB32(keysPath string, timeout time.Duration) (b32 string, created bool, err error) {
	timeout = clampWait(timeout)
	deadline := time.Now().Add(timeout)
	for {
		for _, m := range keysLogLine.FindAllStringSubmatch(r.currentLog(), -1) {
			if m[1] == "" {
				return m[2], false, nil
			}
			if m[1] == keysPath {
				return m[2], true, nil
			}
		}
		if time.Now().After(deadline) || !r.Running() {
			return "", false, fmt.Errorf("i2pdtest: no %q line for %s; log tail:\n%s", "Clients: New private keys file", keysPath, r.logTail(15))
		}
		time.Sleep(pollInterval)
	}
}
