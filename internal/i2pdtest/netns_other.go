//go:build !linux

package i2pdtest

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"syscall"
)

var errNoNetns = errors.New("i2pdtest: netns mode needs Linux")

// NetworkConfig describes a private network of namespaces (Linux only).
type NetworkConfig struct {
	Prefix string
	Subnet string
}

// Network is a private network of namespaces (Linux only).
type Network struct{}

// NewNetwork skips the test: network namespaces need Linux.
func NewNetwork(t TB, cfg NetworkConfig) *Network {
	t.Helper()
	t.Skip(errNoNetns.Error())
	return nil
}

// Add is not available without Linux.
func (n *Network) Add(name string, host int) (ns, addr string) { return "", "" }

// AddHost is not available without Linux.
func (n *Network) AddHost(hosts ...int) []string { return nil }

// Command is not available without Linux.
func (n *Network) Command(ns, prog string, args ...string) *exec.Cmd { return nil }

// Dialer is not available without Linux.
func (n *Network) Dialer(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return netnsDialer(ns)
}

// ListenPacket is not available without Linux.
func (n *Network) ListenPacket(ns, network, addr string) (net.PacketConn, error) {
	return nil, errNoNetns
}

func resolveNetns(c *Config) error { return errNoNetns }

func netnsDialer(string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) { return nil, errNoNetns }
}

func childAttr() *syscall.SysProcAttr { return nil }

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.To4() != nil && ip.IsLoopback()
}

// Listen needs Linux network namespaces.
func (n *Network) Listen(ns, addr string) (net.Listener, error) { return nil, errNoNetns }
