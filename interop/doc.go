// Package interop holds end-to-end tests (build tag interop) that run the
// veil command built from ./cmd/veil against real i2pd 2.45.1 routers
// started by internal/i2pdtest:
//
//	go test -tags interop -count=1 -v ./interop/...
//
// Each test skips when i2pd is not installed, or fails if VEIL_REQUIRE_I2PD=1
// (CI). Every wait is bounded; every process is stopped by its PID in a
// t.Cleanup. The tests check veil against i2pd and against file names and
// hashes computed independently of veil's code (i2pdtest's own decoders).
package interop
