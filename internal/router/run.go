package router

// Run's flow:
//
//  1. Start: identity, keys, router.info (router.go).
//  2. The control socket, which also guards against a second router on
//     the same data folder.
//  3. The netDb store, loaded from netDb/.
//  4. The transport Manager (I2NP dispatch: dispatch.go) and the NTCP2
//     transport, registered with it.
//  5. Goroutines: Manager.Run, each transport's Run, the connector
//     (connector.go), which first reseeds a netDb below reseed.threshold
//     (reseed.go), and the control server (control.go).
//  6. When ctx ends: the connector stops, every session is closed with
//     reason 3 (router shutdown) and given closeTimeout to send it, then
//     the transports and the control server stop, and Run returns once
//     every goroutine has.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/ntcp2"
)

// closeTimeout bounds how long shutdown waits for sessions to send their
// Termination.
const closeTimeout = 5 * time.Second

// Run starts the router and blocks until ctx ends or a subsystem fails,
// then shuts down cleanly. It may be called once.
func (r *Router) Run(ctx context.Context) error {
	defer r.stopSessions() // sessions.go: OpenSession fails from now on
	if err := r.Start(); err != nil {
		return err
	}
	ctl, err := r.listenControl()
	if err != nil {
		return err
	}
	ri := r.RouterInfo()
	store := netdb.New(netdb.Config{
		Dir:    filepath.Join(r.cfg.DataDir, NetDBDir),
		NetID:  r.cfg.NetID,
		Self:   ri.Hash(),
		Logger: r.log,
		Now:    r.cfg.Now,
	})
	if _, err := store.Load(); err != nil {
		closeListener(ctl)
		return fmt.Errorf("router: %w", err)
	}
	mgr := transport.NewManager(transport.ManagerConfig{
		Self:          ri.Hash(),
		RouterInfos:   store,
		MaxSessions:   r.cfg.MaxSessions,
		MaxPerIP:      r.cfg.MaxPerIP,
		CheckReserved: !r.cfg.AllowReserved,
		Connected:     r.connected,
		Logger:        r.log,
		Now:           r.cfg.Now,
	})
	r.mu.Lock()
	r.netdb, r.mgr, r.started = store, mgr, time.Now()
	r.mu.Unlock()
	r.registerHandlers(mgr)
	transit, err := r.newTransit()
	if err != nil {
		closeListener(ctl)
		return fmt.Errorf("router: %w", err)
	}
	sender := newTunnelSender(r, mgr, ri.Hash())
	profiles := r.loadProfiles()
	tun := r.newTunnels(store, mgr, sender, profiles)
	r.registerTunnels(mgr, tun, transit, sender.Send)
	r.mu.Lock()
	r.transit, r.tunnels = transit, tun
	r.mu.Unlock()
	dests, err := r.newDestinations()
	if err != nil {
		closeListener(ctl)
		return err
	}
	r.mu.Lock()
	r.dests = dests
	r.mu.Unlock()
	for _, d := range dests {
		r.handlers.set(d.Pool(), r.destinationHandler(d.name, d.Destination))
	}

	trs, err := r.newTransports(mgr)
	if err != nil {
		closeListener(ctl)
		return err
	}

	// Subsystems run under their own contexts so shutdown can stop them
	// in order; fail cancels everything when one of them fails.
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	runCtx, fail := context.WithCancel(ctx)
	defer fail()
	trCtx, stopTransports := context.WithCancel(context.Background())
	defer stopTransports()
	mgrCtx, stopManager := context.WithCancel(context.Background())
	defer stopManager()
	report := func(what string, err error) {
		if err == nil {
			return
		}
		errMu.Lock()
		if firstErr == nil {
			firstErr = fmt.Errorf("router: %s: %w", what, err)
		}
		errMu.Unlock()
		fail()
	}
	wg.Go(func() { report("transport manager", mgr.Run(mgrCtx)) })
	for _, t := range trs {
		wg.Go(func() {
			err := t.Run(trCtx)
			if err == nil && trCtx.Err() == nil {
				err = errors.New("stopped")
			}
			report(t.Name(), err)
		})
	}
	var loops sync.WaitGroup // stop before the sessions are closed
	loops.Go(func() { sender.Run(runCtx) })
	loops.Go(func() { r.runTransit(runCtx, transit) })
	loops.Go(func() { tun.Run(runCtx) })
	loops.Go(func() { r.saveProfilesEvery(runCtx, profiles) })
	loops.Go(func() { r.runUnits(runCtx, dests) }) // reload.go: upkeep, UDP and TCP tunnels per destination
	loops.Go(func() { r.runNetDB(runCtx) })
	loops.Go(func() { r.runSSU2Introducers(runCtx) })
	loops.Go(func() { r.runAddressBook(runCtx) })
	loops.Go(func() { r.runSAM(runCtx) })
	loops.Go(func() { r.runBOB(runCtx) })
	loops.Go(func() {
		r.reseedIfNeeded(runCtx, store)
		r.runConnector(runCtx, mgr, store)
	})
	srvDone := make(chan struct{})
	go func() {
		defer close(srvDone)
		report("control", r.serveControl(runCtx, ctl))
	}()

	r.sessionsReady()
	r.log.Info("router running", "hash", ri.Hash().String(), "netid", r.cfg.NetID,
		"routers", store.Len(), "floodfills", store.Floodfills())
	<-runCtx.Done()

	r.log.Info("router stopping")
	r.stopSessions()
	loops.Wait()
	closeCtx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	if err := mgr.CloseAll(closeCtx, transport.ReasonRouterShutdown); err != nil {
		r.log.Warn("router: sessions did not all close in time", "err", err)
	}
	cancel()
	stopTransports()
	stopManager()
	wg.Wait()
	<-srvDone
	r.log.Info("router stopped")
	errMu.Lock()
	defer errMu.Unlock()
	return firstErr
}

// newTransports creates the enabled transports and registers them.
func (r *Router) newTransports(mgr *transport.Manager) ([]transport.Transport, error) {
	var trs []transport.Transport
	r.mu.Lock()
	keys := r.ntcp2
	r.mu.Unlock()
	if r.cfg.NTCP2Enabled && keys != nil {
		t, err := ntcp2.New(ntcp2.Config{
			NetID:       r.cfg.NetID,
			StaticKeys:  keys,
			RouterInfo:  r.RouterInfo,
			Handler:     mgr,
			ListenAddrs: r.listenAddrs("NTCP2"),
			Logger:      r.log.With("transport", "NTCP2"),
			Now:         r.cfg.Now,
			Rand:        r.cfg.Rand,
			Banned:      mgr.IPBlocked,
			Ban:         mgr.BanIP,
			NoIPv4:      r.cfg.NoIPv4,
			NoIPv6:      !r.cfg.IPv6,
			Listen:      listenFamily,
			// Until tunnels carry traffic through them, sessions to the
			// few peers we keep would go idle and churn every two
			// minutes; keep them up (the Manager's limits bound them).
			KeepAlive: sessionKeepAlive,
		})
		if err != nil {
			return nil, fmt.Errorf("router: %w", err)
		}
		mgr.Register(t)
		trs = append(trs, t)
	}
	if t, err := r.newSSU2(mgr); err != nil {
		return nil, err
	} else if t != nil {
		mgr.Register(t)
		trs = append(trs, t)
	}
	r.mu.Lock()
	r.trs = trs
	r.mu.Unlock()
	return trs, nil
}

// listenAddrs are the addresses to accept a transport's sessions on:
// none unless our RouterInfo publishes a port for it; then, per enabled
// family, Address4/Address6 or every interface, as i2pd binds.
func (r *Router) listenAddrs(style string) []string {
	port := 0
	for _, a := range r.RouterInfo().Addresses {
		if a.Transport == style && a.Port() != 0 {
			port = a.Port()
		}
	}
	if port == 0 {
		return nil
	}
	p := strconv.Itoa(port)
	var out []string
	if !r.cfg.NoIPv4 {
		out = append(out, net.JoinHostPort(orDefault(r.cfg.Address4, "0.0.0.0"), p))
	}
	if r.cfg.IPv6 {
		out = append(out, net.JoinHostPort(orDefault(r.cfg.Address6, "::"), p))
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// listenFamily listens with the address's own family ("tcp4", "tcp6"),
// so 0.0.0.0:p and [::]:p can both be bound: Go makes a "tcp" listener
// on [::] dual-stack, which would take the IPv4 port too.
func listenFamily(ctx context.Context, network, address string) (net.Listener, error) {
	if host, _, err := net.SplitHostPort(address); err == nil && network == "tcp" {
		if ip, err := netip.ParseAddr(host); err == nil {
			if ip.Is4() {
				network = "tcp4"
			} else {
				network = "tcp6"
			}
		}
	}
	return (&net.ListenConfig{}).Listen(ctx, network, address)
}

// connected runs when a session becomes a peer's session (the Manager's
// Connected callback, on the session's goroutine). A floodfill gets our
// RouterInfo in a DatabaseStore (reply token 0), which it stores: that is
// how our RouterInfo reaches the netDb of every floodfill we talk to.
// Peers already have it from the handshake (NTCP2 message 3 when we dial,
// the first data frame when they do).
func (r *Router) connected(s transport.Session) {
	if peer := s.PeerRouterInfo(); peer != nil && netdb.IsFloodfill(peer) {
		r.publishTo(s)
	}
}

// publishTo sends our RouterInfo to s's peer as a DatabaseStore.
func (r *Router) publishTo(s transport.Session) {
	ri := r.RouterInfo()
	payload, err := i2np.NewRouterInfoStore(ri, 0, data.Hash{}).Append(nil)
	if err != nil {
		r.log.Error("router: DatabaseStore of our RouterInfo", "err", err)
		return
	}
	m := &transport.Message{Type: i2np.TypeDatabaseStore, ID: r.msgID(), Expiration: r.cfg.now().Add(time.Minute), Payload: payload}
	if err := s.Send(m, transport.PriorityHigh); err != nil {
		r.log.Debug("router: publish RouterInfo", "peer", s.Peer().String(), "transport", s.Transport(), "err", err)
		return
	}
	r.log.Debug("router: RouterInfo published", "peer", s.Peer().String(), "transport", s.Transport())
}

// closeListener closes a control listener that may be nil.
func closeListener(l net.Listener) {
	if l != nil {
		l.Close()
	}
}
