//go:build interop

package interop

import (
	"os"
	"testing"
)

// TestTransitI2pdSSU2 is TestTransitI2pd over SSU2, the only transport of
// every router: i2pd r1's client tunnels cross either veil or i2pd r2 on
// their way to r0's server, so the same 1 MiB fetches run veil <-> i2pd
// links in one path and i2pd <-> i2pd links in the other, side by side;
// it logs the median times, their ratio and each relay's CPU per GB. The
// relay's tunnel work is in the figure too, the same for both. It takes
// 3 to 4 minutes, so CI runs only the NTCP2 one: VEIL_SSU2_BENCH=1 runs
// it.
func TestTransitI2pdSSU2(t *testing.T) {
	if os.Getenv("VEIL_SSU2_BENCH") != "1" {
		t.Skip("VEIL_SSU2_BENCH=1 runs it")
	}
	testTransitI2pd(t, "SSU2")
}
