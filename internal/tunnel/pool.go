package tunnel

import (
	"math/rand/v2"
	"slices"
	"time"
)

// PoolConfig is a pool's shape, under i2pd's option names
// (inbound.length, inbound.quantity, inbound.lengthVariance, and the same
// for outbound; exploratory.* for the exploratory pool).
type PoolConfig struct {
	Name                              string
	InboundLength, OutboundLength     int
	InboundQuantity, OutboundQuantity int
	InboundVariance, OutboundVariance int // i2pd's lengthVariance
}

// Defaults of i2pd 2.45 for the exploratory pool and client tunnels.
const (
	DefaultExploratoryLength   = 2
	DefaultExploratoryQuantity = 3
	DefaultClientLength        = 3
	DefaultClientQuantity      = 5
)

// Pool is a set of inbound and outbound tunnels kept at the configured
// quantity: the exploratory pool, or one local destination's. The
// Tunnels manager owns its state (under the manager's lock).
type Pool struct {
	cfg      PoolConfig
	inbound  []*InboundTunnel
	outbound []*OutboundTunnel
	pendIn   int // builds in flight
	pendOut  int
	removed  bool // by RemovePool: builds that still answer are dropped
}

// Name is the pool's name, for status.
func (p *Pool) Name() string { return p.cfg.Name }

// length draws a tunnel length: the configured one plus a random variance,
// in [-v, v] for v > 0 and in [0, -v] for v < 0 (Java's and i2pd's
// lengthVariance), clamped to 0..MaxHops-1.
func length(base, variance int) int {
	n := base
	if variance > 0 {
		n += rand.IntN(2*variance+1) - variance
	} else if variance < 0 {
		n += rand.IntN(-variance + 1)
	}
	return min(max(n, 0), MaxHops-1)
}

// live drops expired tunnels at now and returns how many usable tunnels
// remain in each direction.
func (p *Pool) live(now time.Time) (in, out int) {
	p.inbound = slices.DeleteFunc(p.inbound, func(t *InboundTunnel) bool { return !now.Before(t.expires) })
	p.outbound = slices.DeleteFunc(p.outbound, func(t *OutboundTunnel) bool { return !now.Before(t.expires) })
	for _, t := range p.inbound {
		if t.usable(now) {
			in++
		}
	}
	for _, t := range p.outbound {
		if t.usable(now) {
			out++
		}
	}
	return in, out
}

// pickInbound returns a usable inbound tunnel at random, or nil.
func (p *Pool) pickInbound(now time.Time) *InboundTunnel {
	var c []*InboundTunnel
	for _, t := range p.inbound {
		if t.usable(now) {
			c = append(c, t)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[rand.IntN(len(c))]
}

// pickOutbound returns a usable outbound tunnel at random, or nil.
func (p *Pool) pickOutbound(now time.Time) *OutboundTunnel {
	var c []*OutboundTunnel
	for _, t := range p.outbound {
		if t.usable(now) {
			c = append(c, t)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[rand.IntN(len(c))]
}
