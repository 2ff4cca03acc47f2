package router

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/console"
	"github.com/veil-i2p/veil/internal/data"
)

// The console (internal/console) sits below the router in the layers and
// declares the Router interface it shows; ConsoleView adapts the router
// to it, mapping Status (status.go) onto the console's view types and
// keeping the bandwidth history the graphs draw.

// Bandwidth history: a sample every sampleEvery, historyLen of them.
const (
	sampleEvery = 5 * time.Second
	historyLen  = 120 // ten minutes
)

// ConsoleOptions are what the console needs besides the router.
type ConsoleOptions struct {
	// ConfFile is where SaveSettings writes (the file --conf read, or
	// <datadir>/i2pd.conf).
	ConfFile string
	// Settings are the values the router started with.
	Settings console.Settings
	// Shutdown stops the router (cancels Run's context).
	Shutdown func()
	// TunnelsFile is the tunnels.conf the console's tunnel form writes
	// (console_tunnels.go); "" disables the form.
	TunnelsFile string
	// Logs keeps the recent log lines the log page shows (nil: none).
	Logs *console.LogRing
	// Restart, if set, stops the router to start it again from its
	// configuration files (cmd/veil does the starting).
	Restart func()
}

// ConsoleView is the router as the console, the metrics endpoint and
// I2PControl see it. Run samples the bandwidth history.
type ConsoleView struct {
	r    *Router
	opts ConsoleOptions
	hist *console.History

	mu       sync.Mutex // guards settings and the last totals
	settings console.Settings
	lastAt   time.Time
	lastIn   uint64
	lastOut  uint64

	stopping atomic.Bool
	managed  managedTunnels // console_tunnels.go

	gracefulUntil time.Time // guarded by mu: a graceful shutdown's deadline
}

var _ console.Router = (*ConsoleView)(nil)

// ConsoleView returns the console's view of r.
func (r *Router) ConsoleView(o ConsoleOptions) *ConsoleView {
	return &ConsoleView{r: r, opts: o, hist: console.NewHistory(historyLen), settings: o.Settings}
}

// Run samples the router's traffic every few seconds, and runs the
// tunnels made from the console, until ctx ends.
func (v *ConsoleView) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { v.runTunnels(ctx) })
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	v.sample(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			v.sample(now)
			v.checkGraceful(now)
		}
	}
}

// sample adds the rates since the last sample to the history.
func (v *ConsoleView) sample(now time.Time) {
	in, out, ok := v.totals()
	if !ok {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.lastAt.IsZero() {
		dt := now.Sub(v.lastAt).Seconds()
		if dt > 0 {
			v.hist.Add(console.Sample{At: now, RateIn: float64(sub0(in, v.lastIn)) / dt, RateOut: float64(sub0(out, v.lastOut)) / dt})
		}
	}
	v.lastAt, v.lastIn, v.lastOut = now, in, out
}

func sub0(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

// totals are the bytes in and out of every session since Run.
func (v *ConsoleView) totals() (in, out uint64, ok bool) {
	v.r.mu.Lock()
	mgr := v.r.mgr
	v.r.mu.Unlock()
	if mgr == nil {
		return 0, 0, false
	}
	c := mgr.Counters()
	return c.BytesIn, c.BytesOut, true
}

// History implements console.Router.
func (v *ConsoleView) History() []console.Sample { return v.hist.Samples() }

// Settings implements console.Router.
func (v *ConsoleView) Settings() console.Settings {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.settings
}

// SaveSettings implements console.Router: the file changes now, the
// router at its next start.
func (v *ConsoleView) SaveSettings(s console.Settings) error {
	if err := console.WriteSettings(v.opts.ConfFile, s); err != nil {
		return err
	}
	v.mu.Lock()
	v.settings = s
	v.mu.Unlock()
	return nil
}

// Shutdown implements console.Router.
func (v *ConsoleView) Shutdown() {
	v.stopping.Store(true)
	if v.opts.Shutdown != nil {
		v.opts.Shutdown()
	}
}

// gracefulMax bounds a graceful shutdown's wait: transit tunnels live 10
// minutes.
const gracefulMax = 10*time.Minute + 30*time.Second

// ShutdownGraceful implements console.GracefulStopper, as i2pd's
// graceful shutdown: no new transit tunnels; the router stops once those
// it carries have ended, at most gracefulMax from now (Run checks every
// few seconds).
func (v *ConsoleView) ShutdownGraceful() {
	v.r.mu.Lock()
	transit := v.r.transit
	v.r.mu.Unlock()
	if transit == nil {
		v.Shutdown()
		return
	}
	transit.SetAccept(false)
	now := time.Now()
	v.mu.Lock()
	if v.gracefulUntil.IsZero() {
		v.gracefulUntil = now.Add(gracefulMax)
	}
	v.mu.Unlock()
	v.stopping.Store(true)
	v.r.log.Warn("router: graceful shutdown: no new transit tunnels; stopping when the others end", "transit", transit.Len())
	v.checkGraceful(now)
}

// checkGraceful stops the router when a graceful shutdown may end.
func (v *ConsoleView) checkGraceful(now time.Time) {
	v.mu.Lock()
	until := v.gracefulUntil
	v.mu.Unlock()
	if until.IsZero() {
		return
	}
	v.r.mu.Lock()
	transit := v.r.transit
	v.r.mu.Unlock()
	if transit == nil || transit.Len() == 0 || now.After(until) {
		v.Shutdown()
	}
}

// RecentLogs implements console.Logs.
func (v *ConsoleView) RecentLogs() []console.LogLine {
	if v.opts.Logs == nil {
		return nil
	}
	return v.opts.Logs.Lines()
}

// CanRestart implements console.Restarter.
func (v *ConsoleView) CanRestart() bool { return v.opts.Restart != nil }

// Restart implements console.Restarter.
func (v *ConsoleView) Restart() {
	if v.opts.Restart != nil {
		v.stopping.Store(true)
		v.opts.Restart()
	}
}

// Lookup implements console.Router with the control socket's lookups.
func (v *ConsoleView) Lookup(ctx context.Context, key, typ string) console.Lookup {
	var res LookupResult
	if data.IsB33(key) {
		res, _ = v.r.controlLookupB33(ctx, key, "")
	} else {
		res, _ = v.r.controlLookup(ctx, key, typ)
	}
	return console.Lookup{Key: res.Key, Type: res.Type, Found: res.Found, StoreType: res.StoreType,
		Published: res.Published, Expires: res.Expires, Destination: res.Destination, Leases: res.Leases, Error: res.Error}
}

// Snapshot implements console.Router.
func (v *ConsoleView) Snapshot() console.Snapshot {
	r := v.r
	st := r.Status()
	var snap console.Snapshot
	o := &snap.Overview
	o.Hash, o.Version, o.Caps, o.NetID = st.Router.Hash, st.Router.Version, st.Router.Caps, st.Router.NetID
	o.Uptime = time.Duration(st.Router.Uptime) * time.Second
	o.Status = networkStatus(st.Router.Reachability)
	o.BytesIn, o.BytesOut, _ = v.totals()
	if h := v.hist.Samples(); len(h) > 0 {
		o.RateIn, o.RateOut = h[len(h)-1].RateIn, h[len(h)-1].RateOut
	}
	o.BuildSuccess, o.Builds = st.Tunnels.BuildSuccess, st.Tunnels.Builds
	o.PeersKnown, o.PeersActive, o.Transit = st.NetDB.Routers, len(st.Transports), st.Tunnels.Transit
	o.Floodfill, o.Shutdown = st.NetDB.Floodfill, v.stopping.Load()
	v.mu.Lock()
	o.ShutdownBy = v.gracefulUntil
	v.mu.Unlock()

	v.peers(&snap, st)
	v.tunnels(&snap, st)
	snap.NetDB = console.NetDB{Routers: st.NetDB.Routers, Floodfills: st.NetDB.Floodfills,
		LeaseSets: st.NetDB.LeaseSets, Floodfill: st.NetDB.Floodfill, Counters: netdbCounters(st.NetDB.Counters)}
	v.destinations(&snap, st)
	streams := map[string]int{} // per destination: tunnels of one destination share its streams
	for _, t := range st.TCPTunnels {
		snap.I2PTunnels = append(snap.I2PTunnels, console.I2PTunnel{Name: t.Name, Type: t.Type, Destination: t.Destination, Listen: t.Listen, Streams: t.Streams})
		streams[t.Destination] = t.Streams
	}
	for _, t := range v.managedSnapshot() {
		snap.I2PTunnels = append(snap.I2PTunnels, t)
		streams[t.Destination] = t.Streams
	}
	for _, t := range st.UDPTunnels {
		snap.I2PTunnels = append(snap.I2PTunnels, console.I2PTunnel{Name: t.Name, Type: t.Type, Destination: t.Destination, Streams: t.Sessions})
	}
	for _, n := range streams {
		o.Streams += n
	}
	snap.Bootstrap = bootstrap(st)
	v.r.mu.Lock()
	bridge := v.r.samBridge
	v.r.mu.Unlock()
	if bridge != nil {
		c := bridge.Counters()
		snap.SAM = &console.SAM{Address: bridge.Addr().String(), ActiveSessions: c.ActiveSessions, ActiveConns: c.ActiveConns,
			Conns: c.Conns, Refused: c.Refused, Sessions: c.Sessions, Streams: c.Streams,
			DatagramsSent: c.DatagramsSent, DatagramsReceived: c.DatagramsReceived, Dropped: c.DatagramsDropped, Errors: c.Errors}
		if a := bridge.UDPAddr(); a != nil {
			snap.SAM.UDPAddress = a.String()
		}
	}
	return snap
}

// networkStatus is the overview's ok / firewalled / unknown.
func networkStatus(reach string) string {
	switch reach {
	case "ok":
		return "ok"
	case "firewalled", "symmetric-nat":
		return "firewalled"
	}
	return "unknown"
}

func (v *ConsoleView) peers(snap *console.Snapshot, st Status) {
	v.r.mu.Lock()
	store, tun := v.r.netdb, v.r.tunnels
	v.r.mu.Unlock()
	for _, s := range st.Transports {
		p := console.Peer{Hash: s.Peer, Transport: s.Transport, Direction: s.Direction, Address: s.Address,
			BytesIn: s.BytesIn, BytesOut: s.BytesOut}
		p.Established, _ = time.Parse(time.RFC3339, s.Established)
		if h, err := data.ParseHashBase64(s.Peer); err == nil && store != nil {
			if ri := store.Get(h); ri != nil {
				p.Caps, p.Version = ri.Caps(), ri.Version()
			}
			if tun != nil {
				if pr, ok := tun.Profiles().Get(h); ok {
					p.Profile = &console.PeerProfile{Agreed: pr.Agreed, Rejected: pr.Rejected, TimedOut: pr.TimedOut,
						TestOK: pr.TestOK, TestFailed: pr.TestFailed, Score: pr.Weight}
				}
			}
		}
		snap.Peers = append(snap.Peers, p)
	}
}

func (v *ConsoleView) tunnels(snap *console.Snapshot, st Status) {
	t := &snap.Tunnels
	add := func(list []TunnelStatus, dir string) {
		for _, x := range list {
			ct := console.Tunnel{Pool: x.Pool, Direction: dir, Hops: x.Peers, State: x.State}
			ct.Expires, _ = time.Parse(time.RFC3339, x.Expires)
			if x.Pool == "exploratory" {
				t.Exploratory = append(t.Exploratory, ct)
			} else {
				t.Client = append(t.Client, ct)
			}
		}
	}
	add(st.Tunnels.Inbound, "inbound")
	add(st.Tunnels.Outbound, "outbound")
	t.TransitCount, t.Pending = st.Tunnels.Transit, st.Tunnels.Pending
	t.BuiltOK, t.BuildsFailed, t.TestsOK, t.TestsFailed = st.Tunnels.BuiltOK, st.Tunnels.BuildsFailed, st.Tunnels.TestsOK, st.Tunnels.TestsFailed
	if c := st.Tunnels.TransitCounters; c != nil {
		t.Requests, t.Accepted, t.Rejected, t.Dropped, t.DataIn, t.DataOut = c.Requests, c.Accepted, c.Rejected, c.Dropped, c.DataIn, c.DataOut
	}
	v.r.mu.Lock()
	transit := v.r.transit
	v.r.mu.Unlock()
	if transit != nil {
		for _, x := range transit.Tunnels() {
			t.Transit = append(t.Transit, console.TransitTunnel{ID: uint32(x.ID), Role: x.Role.String(), Next: x.Next.String(), Expires: x.Expires, Messages: x.Messages})
		}
		slices.SortFunc(t.Transit, func(a, b console.TransitTunnel) int { return a.Expires.Compare(b.Expires) })
	}
}

func (v *ConsoleView) destinations(snap *console.Snapshot, st Status) {
	v.r.mu.Lock()
	dests := v.r.dests
	v.r.mu.Unlock()
	byAddr := map[string]*client.Destination{}
	for _, d := range dests {
		byAddr[d.B32()] = d.Destination
	}
	sessions := map[string]bool{} // opened while running: SAM, the Go API, console tunnels
	for _, s := range v.r.openSessions() {
		byAddr[s.d.B32()], sessions[s.d.B32()] = s.d, true
	}
	for _, d := range st.Destinations {
		cd := console.Destination{Name: d.Name, B32: d.Address, B33: d.B33, Stores: d.Stores, Sent: d.Sent, Received: d.Received,
			GarlicSent: d.GarlicSent, GarlicReceived: d.GarlicReceived, Session: sessions[d.Address]}
		cd.Published, _ = time.Parse(time.RFC3339, d.Published)
		if cl := byAddr[d.Address]; cl != nil {
			if ls := cl.LeaseSet(); ls != nil {
				for _, l := range ls.Leases {
					cd.Leases = append(cd.Leases, console.Lease{Gateway: l.Gateway.String(), TunnelID: uint32(l.TunnelID), Expires: l.End.Time()})
				}
			}
		}
		snap.Destinations = append(snap.Destinations, cd)
	}
}

// netdbCounters lists the netDb counters by their veil status names.
func netdbCounters(c *NetDBCounters) []console.Counter {
	if c == nil {
		return nil
	}
	type named struct {
		name string
		v    uint64
	}
	list := []named{
		{"stores_received", c.StoresReceived}, {"lookups_received", c.LookupsReceived}, {"lookups_answered", c.Answered},
		{"search_replies", c.SearchReplies}, {"encrypted_replies", c.Encrypted}, {"acks", c.Acks}, {"flooded", c.Flooded},
		{"stored", c.Stored}, {"unchanged", c.Unchanged}, {"expired", c.Expired},
		{"lookups", c.Lookups}, {"lookups_found", c.LookupsFound}, {"lookups_failed", c.LookupsFailed}, {"queries", c.Queries},
		{"explorations", c.Explorations}, {"published", c.Published}, {"publish_acked", c.PublishAcked},
		{"verified", c.Verified}, {"verify_failed", c.VerifyFailed},
		{"tunneled_queries", c.TunneledQueries}, {"encrypted_answers", c.EncryptedAnswers},
		{"send_dropped", c.SendDropped}, {"send_failed", c.SendFailed},
		{"garlic_received", c.GarlicIn}, {"garlic_bad", c.GarlicBad}, {"garlic_replayed", c.GarlicReplay},
	}
	var rej uint64
	for _, n := range c.Rejected {
		rej += n
	}
	list = append(list, named{"rejected", rej})
	out := make([]console.Counter, len(list))
	for i, x := range list {
		out[i] = console.Counter{Name: x.name, Value: x.v}
	}
	return out
}

// bootstrap is the start's progress: each stage counts as done only
// once the ones before it are.
func bootstrap(st Status) []console.Stage {
	exploratory := func(list []TunnelStatus) int {
		n := 0
		for _, t := range list {
			if t.Pool == "exploratory" {
				n++
			}
		}
		return n
	}
	published := 0
	for _, d := range st.Destinations {
		if d.Published != "" {
			published++
		}
	}
	in, out := exploratory(st.Tunnels.Inbound), exploratory(st.Tunnels.Outbound)
	stages := []console.Stage{
		{Name: "Reseed", Done: st.NetDB.Routers > 0, Detail: plural(st.NetDB.Routers, "router") + " known"},
		{Name: "NetDB", Done: len(st.Transports) > 0 && (st.NetDB.Floodfills > 0 || st.NetDB.Floodfill),
			Detail: plural(len(st.Transports), "peer") + " connected, " + plural(st.NetDB.Floodfills, "floodfill")},
		{Name: "First tunnels", Done: in > 0 && out > 0, Detail: itoa(in) + " inbound, " + itoa(out) + " outbound"},
		{Name: "LeaseSets published", Done: published == len(st.Destinations),
			Detail: itoa(published) + " of " + itoa(len(st.Destinations)) + " destinations"},
	}
	for i := 1; i < len(stages); i++ {
		stages[i].Done = stages[i].Done && stages[i-1].Done
	}
	return stages
}

func itoa(n int) string { return strconv.Itoa(n) }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
