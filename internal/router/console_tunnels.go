package router

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/console"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Tunnels made from the console (console.TunnelManager): each is written
// to tunnels.conf, so the next start runs it like any other, and runs now
// as a session (sessions.go) with an i2ptunnel client or server on its
// streams. They can be stopped and started while the router runs; the
// tunnels the router started from tunnels.conf cannot (a change to one of
// those is saved for the next start).
//
// Lifetimes: ConsoleView.Run owns them: it gives them its context and,
// when it returns, stops every one and waits for it.

// openWait bounds the wait for the router to open a tunnel's session.
const openWait = 10 * time.Second

// managedTunnels is the console's tunnels, by name.
type managedTunnels struct {
	mu     sync.Mutex // guards the fields below; held while starting or stopping one
	ctx    context.Context
	byName map[string]*managedTunnel
	order  []string
}

// managedTunnel is one tunnel made from the console.
type managedTunnel struct {
	spec    console.TunnelSpec
	sess    *Session // nil when stopped
	listen  string
	cancel  context.CancelFunc
	done    chan struct{} // closed when its Serve has returned
	stopped bool
}

var _ console.TunnelManager = (*ConsoleView)(nil)

// runTunnels lets tunnels start under ctx until it ends, then stops them.
func (v *ConsoleView) runTunnels(ctx context.Context) {
	m := &v.managed
	m.mu.Lock()
	m.ctx = ctx
	m.mu.Unlock()
	<-ctx.Done()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ctx = nil
	for _, t := range m.byName {
		v.stopLocked(t)
	}
}

// startupTunnel reports whether name is a tunnels.conf section the
// router started with.
func (v *ConsoleView) startupTunnel(name string) bool {
	return slices.ContainsFunc(v.r.cfg.Destinations, func(d DestinationConfig) bool { return d.Name == name })
}

// SaveTunnel implements console.TunnelManager.
func (v *ConsoleView) SaveTunnel(spec console.TunnelSpec) (bool, error) {
	if err := console.CheckTunnel(spec); err != nil {
		return false, err
	}
	if v.opts.TunnelsFile == "" {
		return false, errors.New("no tunnels.conf to save to (tunconf)")
	}
	m := &v.managed
	m.mu.Lock()
	defer m.mu.Unlock()
	if v.startupTunnel(spec.Name) {
		return false, console.WriteTunnelSection(v.opts.TunnelsFile, spec.Name, console.TunnelSection(spec))
	}
	if m.ctx == nil {
		return false, errors.New("the router is not running")
	}
	old := m.byName[spec.Name]
	if old != nil {
		v.stopLocked(old)
	}
	if err := console.WriteTunnelSection(v.opts.TunnelsFile, spec.Name, console.TunnelSection(spec)); err != nil {
		return false, err
	}
	t := &managedTunnel{spec: spec, stopped: true}
	if m.byName == nil {
		m.byName = map[string]*managedTunnel{}
	}
	if old == nil {
		m.order = append(m.order, spec.Name)
	}
	m.byName[spec.Name] = t
	if err := v.startLocked(t); err != nil {
		return false, fmt.Errorf("saved to %s, but not started: %w", v.opts.TunnelsFile, err)
	}
	return true, nil
}

// StopTunnel implements console.TunnelManager.
func (v *ConsoleView) StopTunnel(name string) error {
	return v.switchTunnel(name, false)
}

// StartTunnel implements console.TunnelManager.
func (v *ConsoleView) StartTunnel(name string) error {
	return v.switchTunnel(name, true)
}

// switchTunnel starts (on) or stops a managed tunnel.
func (v *ConsoleView) switchTunnel(name string, on bool) error {
	m := &v.managed
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.byName[name]
	switch {
	case t == nil:
		return v.notManaged(name)
	case t.stopped != on:
		return fmt.Errorf("tunnel %s is already %s", name, map[bool]string{true: "running", false: "stopped"}[on])
	case !on:
		v.stopLocked(t)
		return nil
	case m.ctx == nil:
		return errors.New("the router is not running")
	}
	return v.startLocked(t)
}

func (v *ConsoleView) notManaged(name string) error {
	if v.startupTunnel(name) {
		return fmt.Errorf("tunnel %s comes from tunnels.conf at start: change it there (or with the form) and restart", name)
	}
	return fmt.Errorf("no tunnel %s", name)
}

// startLocked opens t's session and tunnel. v.managed.mu must be held.
func (v *ConsoleView) startLocked(t *managedTunnel) error {
	r, spec := v.r, t.spec
	var keys *keyfile.PrivateKeys
	if spec.Type != console.TunnelClient {
		k, err := r.LoadKeys(spec.Name + ".dat")
		if err != nil {
			return err
		}
		keys = k
	}
	octx, cancel := context.WithTimeout(v.managed.ctx, openWait)
	sess, err := r.OpenSession(octx, SessionConfig{Name: spec.Name, Keys: keys,
		Pool: PoolShape{InboundLength: spec.Hops, OutboundLength: spec.Hops, InboundQuantity: 5, OutboundQuantity: 5}})
	cancel()
	if err != nil {
		return err
	}
	log := r.log.With("tunnel", spec.Name)
	var serve func(context.Context) error
	switch spec.Type {
	case console.TunnelClient:
		c := i2ptunnel.NewClient(i2ptunnel.ClientConfig{Name: spec.Name, Port: spec.Port, Destination: spec.Destination,
			DestinationPort: uint16(spec.DestinationPort)}, sess.Streams(), sess.Resolve, log)
		ln, err := c.Listen()
		if err != nil {
			sess.Close()
			return err
		}
		t.listen = ln.Addr().String()
		serve = func(ctx context.Context) error { return c.Serve(ctx, ln) }
	default:
		s, err := i2ptunnel.NewServer(i2ptunnel.ServerConfig{Name: spec.Name, Type: spec.Type, Host: spec.Host, Port: spec.Port}, sess.Streams(), log)
		if err != nil {
			sess.Close()
			return err
		}
		ln, err := s.Listen()
		if err != nil {
			sess.Close()
			return err
		}
		t.listen = fmt.Sprintf("%s:%d", spec.Host, spec.Port)
		serve = func(ctx context.Context) error { return s.Serve(ctx, ln) }
	}
	tctx, stop := context.WithCancel(v.managed.ctx)
	t.sess, t.cancel, t.done, t.stopped = sess, stop, make(chan struct{}), false
	go func(done chan struct{}) {
		defer close(done)
		if err := serve(tctx); err != nil && tctx.Err() == nil {
			log.Warn("router: console tunnel stopped", "err", err)
		}
	}(t.done)
	r.log.Info("router: console tunnel started", "name", spec.Name, "type", spec.Type, "address", sess.Destination().B32())
	return nil
}

// stopLocked stops t and waits for it. v.managed.mu must be held.
func (v *ConsoleView) stopLocked(t *managedTunnel) {
	if t.stopped {
		return
	}
	t.cancel()
	t.sess.Close() // ends the streams, so Serve's connections end too
	<-t.done
	t.sess, t.stopped = nil, true
	v.r.log.Info("router: console tunnel stopped", "name", t.spec.Name)
}

// managedSnapshot lists the console's tunnels for the I2P tunnels page.
func (v *ConsoleView) managedSnapshot() []console.I2PTunnel {
	m := &v.managed
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []console.I2PTunnel
	for _, name := range m.order {
		t := m.byName[name]
		it := console.I2PTunnel{Name: name, Type: t.spec.Type, Listen: t.listen, Managed: true, Running: !t.stopped, Spec: t.spec}
		if t.sess != nil {
			it.Destination = t.sess.Destination().B32()
			it.Streams = t.sess.Streams().Conns()
		}
		out = append(out, it)
	}
	return out
}
