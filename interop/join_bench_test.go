//go:build interop

package interop

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
	"github.com/veil-i2p/veil/internal/testnet"
)

// TestJoinBench is the benchmark suite's P1 (VEIL_JOIN_BENCH=1, or
// veil-bench -only P1): in one warm mixed network (veil testnet --i2pd:
// 6 veil and 3 i2pd 2.45.1 routers), fresh routers join one after the
// other, veil and i2pd in turn, each with a new identity, an empty netDb
// (reseeded: the cold start) and one destination of 3-hop tunnels, and
// then restart with their netDb kept (the warm start); each figure is the
// time from the router's start until its destination has its first
// established inbound and outbound client tunnels.
func TestJoinBench(t *testing.T) {
	if os.Getenv("VEIL_JOIN_BENCH") != "1" {
		t.Skip("VEIL_JOIN_BENCH=1 runs it (a few minutes)")
	}
	i2pdtest.Require(t)
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	const rounds = 3
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	n, err := testnet.Start(ctx, testnet.Config{Routers: 6, I2pd: 3, Spares: rounds, NetID: 79, Hops: 2,
		ProxyAddr: "-", SOCKSAddr: "-", LogLevel: "info"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Wait(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// A router that has no tunnel pair after testnet's wait (5 min) is
	// counted as failed, and the round goes on: that is a figure too.
	type side struct {
		cold, warm []time.Duration
		failed     int
	}
	var veil, i2pd side
	take := func(s *side, who string, r int, cold, warm time.Duration, err error) {
		switch {
		case err != nil:
			t.Logf("round %d, %s: %.500v", r, who, err)
			s.failed++
		default:
			s.cold, s.warm = append(s.cold, cold), append(s.warm, warm)
			t.Logf("round %d, %s: cold start %v, warm start %v", r, who, cold.Round(time.Millisecond), warm.Round(time.Millisecond))
		}
	}
	for r := range rounds {
		cold, warm, err := n.JoinVeil(ctx, 3)
		take(&veil, "veil", r, cold, warm, err)
		cold, warm, err = n.JoinI2pd(ctx, 3)
		take(&i2pd, "i2pd", r, cold, warm, err)
	}
	recordBench(benchFigure{ID: "P1", Name: "cold start (empty netDb, reseed) to the first client tunnel pair", Unit: "s", Better: "lower",
		Veil: seconds(veil.cold), I2pd: seconds(i2pd.cold), VeilFailed: veil.failed, I2pdFailed: i2pd.failed})
	recordBench(benchFigure{ID: "P1", Name: "warm start (netDb kept) to the first client tunnel pair", Unit: "s", Better: "lower",
		Veil: seconds(veil.warm), I2pd: seconds(i2pd.warm), VeilFailed: veil.failed, I2pdFailed: i2pd.failed})
	if veil.failed > 0 {
		t.Errorf("%d of %d veil routers built no client tunnel pair", veil.failed, rounds)
	}
}
