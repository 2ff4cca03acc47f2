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
// (reseeded) and one destination of 3-hop tunnels; each figure is the
// time from the router's start until its destination's LeaseSet is
// published (its first inbound and outbound client tunnels exist).
func TestJoinBench(t *testing.T) {
	if os.Getenv("VEIL_JOIN_BENCH") != "1" {
		t.Skip("VEIL_JOIN_BENCH=1 runs it (a few minutes)")
	}
	i2pdtest.Require(t)
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	const rounds = 4
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	n, err := testnet.Start(ctx, testnet.Config{Routers: 6, I2pd: 3, Spares: rounds, NetID: 79, Hops: 2,
		ProxyAddr: "127.0.0.1:0", SOCKSAddr: "-", LogLevel: "info"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Wait(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// A router that has no tunnel pair after testnet's wait (5 min) is
	// counted as failed, and the round goes on: that is a figure too.
	var veil, i2pd []time.Duration
	var veilFailed, i2pdFailed int
	for r := range rounds {
		v, err := n.JoinVeil(ctx, 3)
		if err != nil {
			t.Logf("round %d, veil: %v", r, err)
			veilFailed++
		} else {
			veil = append(veil, v)
		}
		i, err := n.JoinI2pd(ctx, 3)
		if err != nil {
			t.Logf("round %d, i2pd: %.500v", r, err)
			i2pdFailed++
		} else {
			i2pd = append(i2pd, i)
		}
		t.Logf("round %d: veil %v, i2pd %v", r, v.Round(time.Millisecond), i.Round(time.Millisecond))
	}
	recordBench(benchFigure{ID: "P1", Name: "fresh router joining a warm network: start to its first client tunnel pair", Unit: "s", Better: "lower",
		Veil: seconds(veil), I2pd: seconds(i2pd), VeilFailed: veilFailed, I2pdFailed: i2pdFailed})
	if veilFailed > 0 {
		t.Errorf("%d of %d veil routers built no client tunnel pair", veilFailed, rounds)
	}
}
