package tunnel

import (
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// TestTransitSetAccept: with acceptance off (a graceful shutdown) every
// request is refused and the tunnels carried stay; on again, requests
// are accepted.
func TestTransitSetAccept(t *testing.T) {
	hop, next := newTestRouter(t), newTestRouter(t)
	tr := NewTransit(TransitConfig{Self: hop.ident, Keys: hop.keys, Accept: true})
	now := time.Unix(1_800_000_000, 0)
	build := func(i int) {
		t.Helper()
		out, err := tr.HandleBuild(data.Hash{byte(i)}, i2np.TypeShortTunnelBuild, participantBuild(t, hop, next, data.TunnelID(10+i), now), now, nil)
		if err != nil || len(out) != 1 {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	build(0)
	tr.SetAccept(false)
	build(1)
	if c := tr.Counters(); tr.Len() != 1 || c.Accepted != 1 || c.Rejected != 1 {
		t.Fatalf("closing: %d tunnels, counters %+v", tr.Len(), c)
	}
	tr.SetAccept(true)
	build(2)
	if c := tr.Counters(); tr.Len() != 2 || c.Accepted != 2 {
		t.Fatalf("open again: %d tunnels, counters %+v", tr.Len(), c)
	}
}
