package i2pdtest

// TB is what this package needs of a test: *testing.T and *testing.B
// satisfy it, and so does a program's own lifetime holder (veil testnet
// --i2pd, the benchmarks), whose Fatal and Skip end the start-up with an
// error instead of a failed test. Cleanup functions run last-in first-out
// when the owner ends.
type TB interface {
	Helper()
	Cleanup(func())
	Error(args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Skip(args ...any)
	TempDir() string
}
