package router

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/veil-i2p/veil/internal/keyfile"
)

// Live reload of tunnels.conf (SIGHUP). Each local destination of
// tunnels.conf runs as a unit: its LeaseSet upkeep, streaming Manager,
// TCP and UDP tunnels under a context of its own, a child of Run's.
// ReloadTunnels compares the new configuration with the running units,
// destination by destination (the sections sharing a keys file, as
// newDestinations groups them): an identical one keeps running, streams
// open; one no longer there is stopped (its streams reset, its tunnel
// pool removed); a changed one is stopped and started anew; a new one is
// started.

// unit is one running destination and what it serves.
type unit struct {
	nd     *namedDestination
	cancel context.CancelFunc
	done   chan struct{} // closed once its goroutines have ended
}

// unitTable is the running units. Run owns it: runUnits starts the
// first ones and, when Run stops, waits for all.
type unitTable struct {
	mu    sync.Mutex
	ctx   context.Context // Run's; nil when Run is not running
	units []*unit
	wg    sync.WaitGroup
}

// ReloadResult says what ReloadTunnels did, by first section name.
type ReloadResult struct {
	Started, Stopped, Restarted, Unchanged []string
}

// runUnits runs a unit per destination of ds until ctx ends, and the
// units ReloadTunnels starts meanwhile, and waits for them all.
func (r *Router) runUnits(ctx context.Context, ds []*namedDestination) {
	t := &r.units
	t.mu.Lock()
	t.ctx = ctx
	for _, d := range ds {
		r.startUnitLocked(d)
	}
	t.mu.Unlock()
	<-ctx.Done()
	t.mu.Lock()
	t.ctx = nil
	t.units = nil
	t.mu.Unlock()
	t.wg.Wait()
}

// startUnitLocked runs d's upkeep, streams and UDP tunnels. Must hold
// r.units.mu.
func (r *Router) startUnitLocked(d *namedDestination) {
	t := &r.units
	ctx, cancel := context.WithCancel(t.ctx)
	u := &unit{nd: d, cancel: cancel, done: make(chan struct{})}
	t.units = append(t.units, u)
	ds := []*namedDestination{d}
	t.wg.Go(func() {
		defer close(u.done)
		var wg sync.WaitGroup
		wg.Go(func() { r.runDestinations(ctx, ds) })
		wg.Go(func() { r.runUDPTunnels(ctx, ds) })
		wg.Go(func() { r.runStreams(ctx, ds) })
		wg.Wait()
	})
}

// stopUnitLocked stops u and undoes its destination: its tunnels and
// streams end (RESETs sent while the pool still exists), then its pool
// and deliveries go. Must hold r.units.mu.
func (r *Router) stopUnitLocked(u *unit) {
	u.cancel()
	<-u.done
	pool := u.nd.Pool()
	r.handlers.remove(pool)
	if tun := (routerNet{r}).Tunnels(); tun != nil {
		tun.RemovePool(pool)
	}
	r.mu.Lock()
	r.dests = slices.DeleteFunc(r.dests, func(d *namedDestination) bool { return d == u.nd })
	r.mu.Unlock()
	r.units.units = slices.DeleteFunc(r.units.units, func(x *unit) bool { return x == u })
}

// ErrNotRunning is returned by ReloadTunnels when Run is not running.
var ErrNotRunning = errors.New("router: not running")

// ReloadTunnels applies a new set of tunnels.conf destinations (as
// Config.Destinations) to the running router. Destinations whose
// sections are unchanged keep running untouched.
func (r *Router) ReloadTunnels(cfgs []DestinationConfig) (ReloadResult, error) {
	var res ReloadResult
	groups, err := r.groupSections(cfgs)
	if err != nil {
		return res, err
	}
	t := &r.units
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx == nil {
		return res, ErrNotRunning
	}
	// Keys files are read before anything stops: a bad one changes
	// nothing.
	keys := make([]*keyfile.PrivateKeys, len(groups))
	matched := make([]*unit, len(groups))
	for i, g := range groups {
		for _, u := range t.units {
			if u.nd.sections[0].Name == g.sections[0].Name {
				matched[i] = u
			}
		}
		if u := matched[i]; u != nil && reflect.DeepEqual(u.nd.sections, g.sections) {
			continue
		}
		if g.path != "" {
			if keys[i], err = r.LoadKeys(g.path); err != nil {
				return res, fmt.Errorf("router: reload: destination %s: %w", g.sections[0].Name, err)
			}
		}
	}
	for _, u := range slices.Clone(t.units) {
		if !slices.Contains(matched, u) {
			r.stopUnitLocked(u)
			res.Stopped = append(res.Stopped, u.nd.name)
		}
	}
	for i, g := range groups {
		name := g.sections[0].Name
		u := matched[i]
		if u != nil && reflect.DeepEqual(u.nd.sections, g.sections) {
			res.Unchanged = append(res.Unchanged, name)
			continue
		}
		if u != nil {
			r.stopUnitLocked(u)
		}
		nd, err := r.openDestination(g.sections, keys[i])
		if err != nil {
			r.log.Error("router: reload: destination not started", "name", name, "err", err)
			continue
		}
		r.mu.Lock()
		r.dests = append(r.dests, nd)
		r.mu.Unlock()
		r.handlers.set(nd.Pool(), r.destinationHandler(nd.name, nd.Destination))
		r.startUnitLocked(nd)
		if u != nil {
			res.Restarted = append(res.Restarted, name)
		} else {
			res.Started = append(res.Started, name)
		}
	}
	r.log.Info("router: tunnels reloaded", "started", res.Started, "stopped", res.Stopped,
		"restarted", res.Restarted, "unchanged", len(res.Unchanged))
	return res, nil
}

// sectionGroup is the sections of one destination: those naming one
// keys file share it, as in i2pd.
type sectionGroup struct {
	path     string // keys file, "" for a transient destination
	sections []DestinationConfig
}

// groupSections groups cfgs by keys file, in order.
func (r *Router) groupSections(cfgs []DestinationConfig) ([]sectionGroup, error) {
	var out []sectionGroup
	byKeys := make(map[string]int)
	for _, dc := range cfgs {
		path := r.keysPath(dc.KeysFile)
		if i, ok := byKeys[path]; ok && path != "" {
			out[i].sections = append(out[i].sections, dc)
			continue
		}
		byKeys[path] = len(out)
		out = append(out, sectionGroup{path: path, sections: []DestinationConfig{dc}})
	}
	return out, nil
}

// openDestination creates the destination of a group of sections with
// keys (nil: transient); the first section's pool and LeaseSet options
// shape it.
func (r *Router) openDestination(sections []DestinationConfig, keys *keyfile.PrivateKeys) (*namedDestination, error) {
	dc := sections[0]
	d, err := r.newClient(dc.Name, keys, dc.Pool, dc.EncTypes, dc.LeaseSet)
	if err != nil {
		return nil, fmt.Errorf("router: destination %s: %w", dc.Name, err)
	}
	if d.Encrypted() {
		r.log.Info("router: destination", "name", dc.Name, "address", d.B32(), "b33", d.B33())
	} else {
		r.log.Info("router: destination", "name", dc.Name, "address", d.B32())
	}
	return &namedDestination{name: dc.Name, Destination: d, sections: sections}, nil
}

// destOrderLocked maps each destination's address to its place in
// r.dests: status lists tunnels in configuration order, whichever unit
// started first. Must hold r.mu.
func (r *Router) destOrderLocked() map[string]int {
	m := make(map[string]int, len(r.dests))
	for i, d := range r.dests {
		m[d.B32()] = i
	}
	return m
}
