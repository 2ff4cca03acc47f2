//go:build interop

package interop

import (
	"encoding/json"
	"fmt"
)

// The benchmark suite (cmd/veil-bench) runs the interop benchmarks and
// reads their figures from lines "VEIL-BENCH {json}" on the test's
// standard output: one benchFigure each, with every sample the test
// took, so the suite can give medians and spreads and draw them.

// benchPrefix starts a figure line.
const benchPrefix = "VEIL-BENCH "

// benchFigure is one figure measured for veil and, side by side in the
// same run, for i2pd.
type benchFigure struct {
	ID     string    `json:"id"`     // the name: P1 … P6
	Name   string    `json:"name"`   // what was measured, for a table row
	Unit   string    `json:"unit"`   // of the samples
	Better string    `json:"better"` // "higher" or "lower"
	Veil   []float64 `json:"veil"`
	I2pd   []float64 `json:"i2pd,omitempty"`
	// VeilFailed and I2pdFailed count tries that gave no figure (a
	// router that never got there in the time allowed).
	VeilFailed int `json:"veil_failed,omitempty"`
	I2pdFailed int `json:"i2pd_failed,omitempty"`
}

// recordBench prints f for the suite.
func recordBench(f benchFigure) {
	b, err := json.Marshal(f)
	if err != nil {
		panic(err) // floats and strings only
	}
	fmt.Println(benchPrefix + string(b))
}

// seconds turns durations into samples in seconds.
func seconds[D ~int64](ds []D) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / 1e9
	}
	return out
}
