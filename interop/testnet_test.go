//go:build interop

package interop

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTestnetCommand is the README's first command as a person runs it:
// `veil testnet` prints the curl line within 60 s of its start, curl (the
// real one) fetches the demo page through the printed proxy, and Ctrl-C
// (SIGINT) stops it within 10 s, leaving no process, no folder and no
// listening proxy behind.
func TestTestnetCommand(t *testing.T) {
	inParallel(t)
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	tmp := t.TempDir()
	start := time.Now()
	// Port 0 for the proxy: another test may hold 4444.
	cmd := exec.Command(veil(t), "testnet", "--httpproxy=127.0.0.1:0")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	curlLine := regexp.MustCompile(`^\s+curl -x (http://127\.0\.0\.1:\d+) (http://[a-z2-7]{52}\.b32\.i2p/)$`)
	folder := regexp.MustCompile(`^folder (\S+) `)
	var proxy, site, dir string
	deadline := time.After(60 * time.Second)
	for proxy == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("veil testnet ended before printing the curl line: %v", <-exited)
			}
			t.Log(l)
			if m := folder.FindStringSubmatch(l); m != nil {
				dir = m[1]
			}
			if m := curlLine.FindStringSubmatch(l); m != nil {
				proxy, site = m[1], m[2]
			}
		case <-deadline:
			t.Fatal("no curl line within 60 s")
		}
	}
	t.Logf("curl line %v after start", time.Since(start).Round(time.Millisecond))
	if !strings.HasPrefix(dir, tmp) {
		t.Fatalf("folder %q, want one in TMPDIR %s", dir, tmp)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	page, err := exec.CommandContext(ctx, curl, "-sS", "--max-time", "50", "-x", proxy, site).CombinedOutput()
	if err != nil || !strings.Contains(string(page), "Hello from the veil testnet") {
		t.Fatalf("curl: %v\n%s", err, page)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var rest []string
	timeout := time.After(10 * time.Second)
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				done = true
				break
			}
			rest = append(rest, l)
		case <-timeout:
			t.Fatalf("veil testnet still running 10 s after SIGINT; said %q", rest)
		}
	}
	if err := <-exited; err != nil {
		t.Fatalf("exit: %v; said %q", err, rest)
	}
	if !strings.Contains(strings.Join(rest, "\n"), "removed "+dir) {
		t.Errorf("last lines %q do not say the folder was removed", rest)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("left behind in TMPDIR: %v", ents)
	}
	if _, err := os.Stat(filepath.Join(dir, "routers", "r0", "veil.sock")); !os.IsNotExist(err) {
		t.Errorf("control socket left: %v", err)
	}
	if c, err := (&net.Dialer{Timeout: time.Second}).Dial("tcp", strings.TrimPrefix(proxy, "http://")); err == nil {
		c.Close()
		t.Errorf("proxy %s still answers", proxy)
	}
}
