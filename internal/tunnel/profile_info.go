package tunnel

import (
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// PeerProfile is what the profiles know of one peer as a hop, for the
// router console.
type PeerProfile struct {
	Agreed, Rejected, TimedOut uint32 // build outcomes
	TestOK, TestFailed         uint32 // tunnel tests of tunnels it was in
	Last                       time.Time
	// Weight is its draw weight in hop selection, (0, 1].
	Weight float64
}

// Get returns h's profile; false when there is none yet.
func (p *Profiles) Get(h data.Hash) (PeerProfile, bool) {
	w := p.weight(h)
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.m[h]
	if pr == nil {
		return PeerProfile{}, false
	}
	return PeerProfile{Agreed: pr.Agreed, Rejected: pr.Rejected, TimedOut: pr.TimedOut,
		TestOK: pr.TestOK, TestFailed: pr.TestFailed, Last: pr.Last, Weight: w}, true
}

// Profiles are the peer profiles the tunnels build with.
func (t *Tunnels) Profiles() *Profiles { return t.cfg.Profiles }
