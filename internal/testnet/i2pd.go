package testnet

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
)

// Mixing in i2pd (Config.I2pd): i2pd 2.45.1 drops peers on loopback and
// private addresses, so a mixed network lives on 198.19.<netid>.0/24 (in
// the RFC 2544 range it accepts): each i2pd router in a network namespace
// of its own on a bridge (internal/i2pdtest, as the interop tests run
// them), and this process joined to the bridge with one address per veil
// router. The namespaces have no default route; nothing leaves the
// subnet. Root only.

// Addresses in the mixed subnet.
const (
	i2pdHostBase = 10  // i2pd router k is .10+k
	veilHostBase = 100 // veil router i is .100+i
	maxMixed     = 150 // veil routers a mixed network holds (.100–.249)
	i2pdProxy    = 4444
)

// mixed is the i2pd side of a network.
type mixed struct {
	life    *lifetime
	net     *i2pdtest.Network
	subnet  string
	hosts   []string // veil router i's address
	routers []*i2pdtest.Router
	proxies []string // i2pd router k's HTTP proxy (host:port)
}

// i2pdAvailable says why i2pd cannot be mixed in, or nil.
func i2pdAvailable() error {
	if os.Geteuid() != 0 {
		return errors.New("testnet: --i2pd needs root (network namespaces): run it with sudo")
	}
	if _, ok := i2pdtest.Available(); !ok {
		return errors.New("testnet: --i2pd needs i2pd 2.45 or later installed (apt-get install i2pd; it must not run as a service)")
	}
	return nil
}

// newMixed creates the namespaces' bridge and this process's addresses on
// it, for veils veil routers.
func newMixed(dir string, netID, veils int, log *slog.Logger) (m *mixed, err error) {
	if veils > maxMixed {
		return nil, fmt.Errorf("testnet: --routers %d: a network with i2pd holds at most %d veil routers", veils, maxMixed)
	}
	m = &mixed{life: newLifetime(filepath.Join(dir, "i2pd"), log), subnet: "198.19." + strconv.Itoa(netID)}
	err = m.life.try(func() {
		m.net = i2pdtest.NewNetwork(m.life, i2pdtest.NetworkConfig{Subnet: m.subnet})
		hosts := make([]int, veils)
		for i := range hosts {
			hosts[i] = veilHostBase + i
		}
		m.hosts = m.net.AddHost(hosts...)
	})
	if err != nil {
		m.life.close()
		return nil, err
	}
	return m, nil
}

// startI2pd starts k i2pd routers, the first floodfill when floodfill is
// set, each seeded with ris (RouterInfo files) and the RouterInfos of the
// i2pd routers started before it, with an HTTP proxy on its address.
func (m *mixed) startI2pd(k int, netID int, floodfill bool, ris [][]byte) error {
	return m.life.try(func() {
		seeds := ris
		for j := range k {
			ns, addr := m.net.Add("i2pd"+strconv.Itoa(j), i2pdHostBase+j)
			dir := filepath.Join(m.life.dir, "r"+strconv.Itoa(j))
			zip := filepath.Join(m.life.dir, "seed"+strconv.Itoa(j)+".zip")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				m.life.Fatal(err)
			}
			if err := i2pdtest.WriteReseedZip(zip, seeds...); err != nil {
				m.life.Fatal(err)
			}
			r := i2pdtest.Start(m.life, i2pdtest.Config{
				DataDir: dir, NetID: netID, Host: addr, Netns: ns, Floodfill: floodfill && j == 0, ReseedZip: zip,
				Options: map[string]string{
					"httpproxy.enabled": "true", "httpproxy.address": addr, "httpproxy.port": strconv.Itoa(i2pdProxy),
					"httpproxy.inbound.length": "2", "httpproxy.outbound.length": "2",
					"exploratory.inbound.length": "2", "exploratory.outbound.length": "2",
				},
			})
			if err := r.WaitRouterInfo(30 * time.Second); err != nil {
				m.life.Fatal(err)
			}
			ri, err := os.ReadFile(r.RouterInfoPath())
			if err != nil {
				m.life.Fatal(err)
			}
			seeds = append(seeds, ri)
			m.routers = append(m.routers, r)
			m.proxies = append(m.proxies, addr+":"+strconv.Itoa(i2pdProxy))
		}
	})
}

// routerInfos are the i2pd routers' router.info files.
func (m *mixed) routerInfos() ([][]byte, error) {
	var out [][]byte
	for _, r := range m.routers {
		b, err := os.ReadFile(r.RouterInfoPath())
		if err != nil {
			return nil, fmt.Errorf("testnet: i2pd: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// close stops the i2pd routers and removes the namespaces.
func (m *mixed) close() error { return m.life.close() }

// lifetime is the i2pdtest.TB of a program: cleanups run when the
// network closes; Fatal and Skip abort the start-up step under try, which
// returns them as an error; Error is remembered.
type lifetime struct {
	dir string
	log *slog.Logger

	mu       sync.Mutex
	cleanups []func()
	temps    int
	errs     []error
}

// abort carries a Fatal or Skip out of the step that called it.
type abort struct{ err error }

func newLifetime(dir string, log *slog.Logger) *lifetime {
	return &lifetime{dir: dir, log: log}
}

// try runs step, turning a Fatal or Skip inside it into an error.
func (l *lifetime) try(step func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			a, ok := r.(abort)
			if !ok {
				panic(r)
			}
			err = a.err
		}
	}()
	step()
	return nil
}

func (l *lifetime) Helper() {}

func (l *lifetime) Cleanup(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cleanups = append(l.cleanups, f)
}

func (l *lifetime) Error(args ...any) { l.record(errors.New(fmt.Sprint(args...))) }
func (l *lifetime) Errorf(format string, args ...any) {
	l.record(fmt.Errorf(format, args...))
}
func (l *lifetime) Fatal(args ...any) {
	panic(abort{fmt.Errorf("testnet: i2pd: %s", fmt.Sprint(args...))})
}
func (l *lifetime) Fatalf(format string, args ...any) {
	panic(abort{fmt.Errorf("testnet: i2pd: "+format, args...)})
}
func (l *lifetime) Skip(args ...any) { l.Fatal(args...) }
func (l *lifetime) Logf(format string, args ...any) {
	l.log.Info(fmt.Sprintf(format, args...), "subsystem", "i2pd")
}

// TempDir returns a new folder under the lifetime's folder.
func (l *lifetime) TempDir() string {
	l.mu.Lock()
	l.temps++
	d := filepath.Join(l.dir, "tmp"+strconv.Itoa(l.temps))
	l.mu.Unlock()
	if err := os.MkdirAll(d, 0o700); err != nil {
		l.Fatal(err)
	}
	return d
}

func (l *lifetime) record(err error) {
	l.log.Warn("testnet: i2pd", "err", err)
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

// close runs the cleanups, last first, and returns the errors recorded.
func (l *lifetime) close() error {
	l.mu.Lock()
	cs := l.cleanups
	l.cleanups = nil
	l.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return errors.Join(l.errs...)
}
