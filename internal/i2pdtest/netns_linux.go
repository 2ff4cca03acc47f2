package i2pdtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Netns mode: each router runs in its own network namespace with an address
// in 198.18.0.0/24 (RFC 2544 benchmarking range, which i2pd 2.45.1 does not
// treat as reserved). The namespaces are joined by a bridge living in a hub
// namespace; nothing is attached to the root namespace and no namespace has a
// default route, so packets cannot leave them. Same topology as
// /work/shared/testnet/start. Root only.

// NetworkConfig describes a private network of namespaces.
type NetworkConfig struct {
	// Prefix of the namespace names (Prefix-hub, Prefix-<name>); default
	// "vt" and 6 random hex digits, so parallel tests do not collide.
	Prefix string
	// Subnet is the /24 to use, "A.B.C"; default "198.18.0". It must lie in
	// 198.18.0.0/15.
	Subnet string
}

// Network owns a hub namespace with a bridge and the namespaces added to it.
// A t.Cleanup deletes all of them (after the routers started later in the
// same test have been stopped: cleanups run last-in first-out).
type Network struct {
	t      TB
	prefix string
	subnet string

	mu    sync.Mutex
	names []string // namespaces created, hub first
	links int      // veth pairs made so far
}

// NewNetwork creates the hub namespace. It skips the test unless running as
// root with iproute2 available.
func NewNetwork(t TB, cfg NetworkConfig) *Network {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("i2pdtest: netns mode needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("i2pdtest: netns mode needs iproute2 (ip)")
	}
	if cfg.Prefix == "" {
		var b [3]byte
		rand.Read(b[:])
		cfg.Prefix = "vt" + hex.EncodeToString(b[:])
	}
	if cfg.Subnet == "" {
		cfg.Subnet = "198.18.0"
	}
	if ip := net.ParseIP(cfg.Subnet + ".1").To4(); ip == nil || ip[0] != 198 || ip[1]&^1 != 18 {
		t.Fatalf("i2pdtest: subnet %q: want A.B.C inside 198.18.0.0/15", cfg.Subnet)
	}
	n := &Network{t: t, prefix: cfg.Prefix, subnet: cfg.Subnet}
	t.Cleanup(n.close)
	hub := n.prefix + "-hub"
	if err := n.addNamespace(hub); err != nil {
		t.Fatal(err)
	}
	if err := runIP("-n", hub, "link", "add", "br0", "type", "bridge"); err != nil {
		t.Fatal(err)
	}
	if err := runIP("-n", hub, "link", "set", "br0", "up"); err != nil {
		t.Fatal(err)
	}
	return n
}

// Add creates namespace Prefix-name attached to the bridge with address
// Subnet.host (host 2..254) and returns the namespace and the address.
func (n *Network) Add(name string, host int) (ns, addr string) {
	n.t.Helper()
	if host < 2 || host > 254 {
		n.t.Fatalf("i2pdtest: host number %d: want 2..254", host)
	}
	ns = n.prefix + "-" + name
	addr = n.subnet + "." + strconv.Itoa(host)
	if err := n.addNamespace(ns); err != nil {
		n.t.Fatal(err)
	}
	n.mu.Lock()
	n.links++
	veth := "v" + strconv.Itoa(n.links)
	n.mu.Unlock()
	hub := n.prefix + "-hub"
	steps := [][]string{
		{"-n", hub, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
		{"-n", hub, "link", "set", veth, "master", "br0", "up"},
		{"-n", ns, "addr", "add", addr + "/24", "dev", "eth0"},
		{"-n", ns, "link", "set", "eth0", "up"},
	}
	for _, s := range steps {
		if err := runIP(s...); err != nil {
			n.t.Fatal(err)
		}
	}
	return ns, addr
}

// AddHost joins this machine's own (root) namespace to the bridge, with
// addresses Subnet.h for each of hosts (2..254), and returns them, so
// routers running in this process (veil testnet --i2pd) reach the routers
// in the namespaces and they reach them. The namespaces still have no
// default route: their packets reach only the subnet. Deleting the hub
// namespace removes the link too; a cleanup removes it at once. Call it
// at most once.
func (n *Network) AddHost(hosts ...int) []string {
	n.t.Helper()
	hostIf, hubIf := n.prefix+"h", "vh"
	hub := n.prefix + "-hub"
	steps := [][]string{
		{"-n", hub, "link", "add", hubIf, "type", "veth", "peer", "name", hostIf, "netns", strconv.Itoa(os.Getpid())},
		{"-n", hub, "link", "set", hubIf, "master", "br0", "up"},
		{"link", "set", hostIf, "up"},
	}
	addrs := make([]string, 0, len(hosts))
	for _, h := range hosts {
		if h < 2 || h > 254 {
			n.t.Fatalf("i2pdtest: host number %d: want 2..254", h)
		}
		a := n.subnet + "." + strconv.Itoa(h)
		addrs = append(addrs, a)
		steps = append(steps, []string{"addr", "add", a + "/24", "dev", hostIf})
	}
	for i, s := range steps {
		if err := runIP(s...); err != nil {
			n.t.Fatal(err)
		}
		if i == 0 {
			// The kernel removes the pair with the hub only once every
			// reference to the hub is gone: remove it at once.
			n.t.Cleanup(func() { runIP("link", "del", hostIf) })
		}
	}
	return addrs
}

// Command returns a command that runs prog inside namespace ns. "ip netns
// exec" execs prog, so cmd.Process.Pid is prog's PID.
func (n *Network) Command(ns, prog string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns, prog}, args...)...)
}

// Dialer returns a DialContext that opens connections from inside ns.
func (n *Network) Dialer(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return netnsDialer(ns)
}

func (n *Network) addNamespace(ns string) error {
	if _, err := os.Stat(filepath.Join("/run/netns", ns)); err == nil {
		return fmt.Errorf("i2pdtest: namespace %s exists already; not touching it", ns)
	}
	if err := runIP("netns", "add", ns); err != nil {
		return err
	}
	n.mu.Lock()
	n.names = append(n.names, ns)
	n.mu.Unlock()
	return runIP("-n", ns, "link", "set", "lo", "up")
}

// close deletes the namespaces this Network created, hub last.
func (n *Network) close() {
	n.mu.Lock()
	names := n.names
	n.names = nil
	n.mu.Unlock()
	for i := len(names) - 1; i >= 0; i-- {
		if err := runIP("netns", "del", names[i]); err != nil {
			n.t.Errorf("i2pdtest: %v", err)
		}
	}
}

func runIP(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("i2pdtest: ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// resolveNetns fills in netns-mode defaults: each namespace has its own
// ports, so fixed numbers are fine.
func resolveNetns(c *Config) error {
	if _, err := os.Stat(filepath.Join("/run/netns", c.Netns)); err != nil {
		return fmt.Errorf("i2pdtest: namespace %s: %w (create it with a Network)", c.Netns, err)
	}
	ip := net.ParseIP(c.Host).To4()
	if ip == nil || ip[0] != 198 || ip[1]&^1 != 18 {
		return fmt.Errorf("i2pdtest: netns mode: host %q must be the namespace's 198.18.0.0/15 address", c.Host)
	}
	if c.Port == 0 {
		c.Port = 20000
	}
	if c.HTTPPort == 0 {
		c.HTTPPort = c.Port + 1
	}
	return nil
}

// netnsDialer dials from inside namespace ns: a goroutine locked to its OS
// thread switches the thread into ns, creates the socket (a socket stays in
// the namespace it was made in), and switches back. If switching back fails
// the goroutine exits still locked, so the runtime discards that thread.
func netnsDialer(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := inNetns(ns, func() (err error) {
			c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
}

// Listen opens a TCP listener on addr inside namespace ns, for a test
// server that the routers there can reach (the socket stays in ns).
func (n *Network) Listen(ns, addr string) (net.Listener, error) {
	var l net.Listener
	err := inNetns(ns, func() (err error) {
		l, err = net.Listen("tcp", addr)
		return err
	})
	return l, err
}

// ListenPacket opens a UDP socket on addr inside namespace ns, for an
// SSU2 transport under test that the routers there can reach (the socket
// stays in ns).
func (n *Network) ListenPacket(ns, network, addr string) (net.PacketConn, error) {
	var pc net.PacketConn
	err := inNetns(ns, func() (err error) {
		pc, err = net.ListenPacket(network, addr)
		return err
	})
	return pc, err
}

// inNetns runs f on a locked OS thread switched into namespace ns, and
// switches back. If switching back fails, the goroutine exits still
// locked, so the runtime discards that thread.
func inNetns(ns string, f func() error) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		restored, err := withNetns(ns, f)
		if restored {
			runtime.UnlockOSThread()
		}
		ch <- err
	}()
	return <-ch
}

func withNetns(ns string, f func() error) (restored bool, err error) {
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return true, fmt.Errorf("i2pdtest: netns: %w", err)
	}
	defer self.Close()
	target, err := os.Open(filepath.Join("/run/netns", ns))
	if err != nil {
		return true, fmt.Errorf("i2pdtest: netns: %w", err)
	}
	defer target.Close()
	if err := setns(target.Fd()); err != nil {
		return true, fmt.Errorf("i2pdtest: netns: setns %s: %w", ns, err)
	}
	ferr := f()
	if rerr := setns(self.Fd()); rerr != nil {
		return false, fmt.Errorf("i2pdtest: netns: back to own namespace: %w", rerr)
	}
	return true, ferr
}

func setns(fd uintptr) error {
	nr, ok := setnsSyscall[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("setns: syscall number unknown on %s", runtime.GOARCH)
	}
	if _, _, e := syscall.Syscall(nr, fd, syscall.CLONE_NEWNET, 0); e != 0 {
		return e
	}
	return nil
}

// setnsSyscall holds setns(2)'s number per architecture; package syscall is
// frozen and lacks SYS_SETNS on most of them (and go.mod has no x/sys).
var setnsSyscall = map[string]uintptr{
	"amd64": 308, "386": 346, "arm64": 268, "arm": 375, "riscv64": 268,
	"loong64": 268, "ppc64le": 350, "ppc64": 350, "s390x": 339, "mips64le": 5303,
}

// childAttr makes the kernel send SIGTERM to i2pd if the test process dies
// without running its cleanups (e.g. killed by go test -timeout), so no
// router outlives the test. The signal is tied to the thread that forked;
// the netns dialer never lets a thread die in normal operation.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.To4() != nil && ip.IsLoopback()
}
