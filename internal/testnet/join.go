package testnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/router"
)

// Joining a warm network (the benchmark suite's P1): a fresh router with
// one destination is started beside the running ones, and the time from
// its start until that destination has its first inbound and outbound
// client tunnels is measured. Veil and i2pd routers join the same
// network, so the two figures compare.

// joinDestination names the joining router's destination.
const joinDestination = "join"

// JoinVeil starts a fresh veil router (new identity, empty netDb,
// reseeded from the network's reseed server: a cold start) with one
// destination of hops-long tunnels and waits until the destination has
// an established tunnel each way; then it stops the router and starts it
// again from the same folder (identity and netDb kept, no reseed: a warm
// start) and waits the same. It returns both times, each from the
// router's start.
func (n *Network) JoinVeil(ctx context.Context, hops int) (cold, warm time.Duration, err error) {
	k := n.veilJoins.Add(1)
	host := "127.0.0.1"
	if n.i2pd != nil {
		i := len(n.routers) + int(k) - 1
		if i >= len(n.i2pd.hosts) {
			return 0, 0, fmt.Errorf("testnet: no address left for a joining router (Config.Spares %d)", n.cfg.Spares)
		}
		host = n.i2pd.hosts[i]
	}
	port, err := freePort(map[int]bool{})
	if err != nil {
		return 0, 0, err
	}
	cfg := router.Config{
		DataDir: filepath.Join(n.dir, "join", "v"+strconv.Itoa(int(k))), NetID: n.cfg.NetID, Host: host, Port: port, Address4: host,
		NTCP2Enabled: true, NTCP2Published: true, SSU2: router.SSU2Config{Enabled: !n.cfg.NoSSU2, Published: !n.cfg.NoSSU2},
		AllowReserved: true, MaxPerIP: -1, Exploratory: shape(min(2, hops), 2),
		Reseed:       router.ReseedConfig{Threshold: 25, Verify: true, URLs: []string{n.reseed.url}, CertsDir: filepath.Join(n.dir, certsDir)},
		Destinations: []router.DestinationConfig{{Name: joinDestination, Pool: shape(hops, 2)}},
		Logger:       n.cfg.Logger.With("router", "join"+strconv.Itoa(int(k))),
	}
	if cold, err = runUntilTunnels(ctx, cfg); err != nil {
		return 0, 0, fmt.Errorf("testnet: joining veil router, cold start: %w", err)
	}
	cfg.Reseed.Threshold = 1 // its netDb holds the network now
	if warm, err = runUntilTunnels(ctx, cfg); err != nil {
		return cold, 0, fmt.Errorf("testnet: joining veil router, warm start: %w", err)
	}
	return cold, warm, nil
}

// runUntilTunnels runs a router made from cfg until its destination has
// an established tunnel each way, stops it, and returns how long that
// took from its start.
func runUntilTunnels(ctx context.Context, cfg router.Config) (time.Duration, error) {
	start := time.Now()
	r, err := router.New(cfg)
	if err != nil {
		return 0, err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(maxWait)
	for {
		st := r.Status()
		if established(st.Tunnels.Inbound, joinDestination) > 0 && established(st.Tunnels.Outbound, joinDestination) > 0 {
			return time.Since(start), nil
		}
		select {
		case err := <-done:
			done <- err
			return 0, fmt.Errorf("router stopped: %v", err)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no client tunnel pair after %v", maxWait)
		}
	}
}

// JoinI2pd does the same with a fresh i2pd router in a namespace of its
// own (mixed networks only), seeded with every router of the network
// (cold), then restarted on the same data folder (warm): each time from
// the i2pd process's start until its console shows the destination with
// an established inbound and outbound tunnel. (Its LeaseSet is not
// waited for: i2pd 2.45.1 often refuses to publish one whose inbound
// tunnels were ready before its outbound ones, "Destination is not
// ready", and tries again only when its leases change.)
func (n *Network) JoinI2pd(ctx context.Context, hops int) (cold, warm time.Duration, err error) {
	if n.i2pd == nil {
		return 0, 0, errors.New("testnet: JoinI2pd needs i2pd routers in the network (Config.I2pd)")
	}
	k := n.i2pdJoins.Add(1)
	err = n.i2pd.life.try(func() {
		m := n.i2pd
		ns, addr := m.net.Add("j"+strconv.Itoa(int(k)), i2pdHostBase+n.cfg.I2pd+int(k))
		dir := filepath.Join(m.life.dir, "join"+strconv.Itoa(int(k)))
		zip := dir + "-seed.zip"
		if err := os.MkdirAll(dir, 0o700); err != nil {
			m.life.Fatal(err)
		}
		ris, err := n.allRouterInfos()
		if err != nil {
			m.life.Fatal(err)
		}
		if err := i2pdtest.WriteReseedZip(zip, ris...); err != nil {
			m.life.Fatal(err)
		}
		h := strconv.Itoa(hops)
		tunnels := fmt.Sprintf("[%s]\ntype = server\nhost = 127.0.0.1\nport = 9\nkeys = join.dat\n"+
			"inbound.length = %s\noutbound.length = %s\ninbound.quantity = 2\noutbound.quantity = 2\n", joinDestination, h, h)
		start := time.Now()
		r := i2pdtest.Start(m.life, i2pdtest.Config{DataDir: dir, NetID: n.cfg.NetID, Host: addr, Netns: ns, ReseedZip: zip,
			Tunnels: tunnels, Options: map[string]string{"exploratory.inbound.length": "2", "exploratory.outbound.length": "2"}})
		defer r.Stop()
		b32, _, err := r.LoggedKeysB32(filepath.Join(dir, "join.dat"), 30*time.Second)
		if err != nil {
			m.life.Fatal(err)
		}
		cold = waitI2pdTunnels(m.life, r, b32, start)
		start = time.Now()
		r.Restart()
		warm = waitI2pdTunnels(m.life, r, b32, start)
	})
	return cold, warm, err
}

// waitI2pdTunnels polls i2pd's console page of destination b32 until it
// lists an established tunnel each way and returns the time since start.
func waitI2pdTunnels(life *lifetime, r *i2pdtest.Router, b32 string, start time.Time) time.Duration {
	page := "/?page=local_destination&b32=" + strings.TrimSuffix(b32, ".b32.i2p")
	deadline := time.Now().Add(maxWait)
	for {
		p, err := r.ConsoleGet(page)
		if err == nil && consoleTunnelPair(p) {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			life.Fatalf("joining i2pd: no established client tunnel pair after %v (%v)", maxWait, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// allRouterInfos are the router.info files of every router of the
// network, veil and i2pd.
func (n *Network) allRouterInfos() ([][]byte, error) {
	var out [][]byte
	for _, d := range n.dirs {
		b, err := os.ReadFile(filepath.Join(d, router.RouterInfoFile))
		if err != nil {
			return nil, fmt.Errorf("testnet: %w", err)
		}
		out = append(out, b)
	}
	if n.i2pd != nil {
		theirs, err := n.i2pd.routerInfos()
		if err != nil {
			return nil, err
		}
		out = append(out, theirs...)
	}
	return out, nil
}

// consoleTunnelPair reports whether an i2pd console page of a local
// destination lists an established inbound and an established outbound
// tunnel.
func consoleTunnelPair(page string) bool {
	_, rest, ok := strings.Cut(page, "<b>Inbound tunnels:</b>")
	if !ok {
		return false
	}
	in, out, ok := strings.Cut(rest, "<b>Outbound tunnels:</b>")
	if !ok {
		return false
	}
	out, _, _ = strings.Cut(out, "<b>")
	const est = `class="tunnel established"`
	return strings.Contains(in, est) && strings.Contains(out, est)
}
