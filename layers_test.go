package veil_test

import (
	"os/exec"
	"strings"
	"testing"
)

// layers gives each package its level in the data path (README,
// "Architecture"). A package may import only packages of a lower level,
// or its own parent; siblings on one level never import each other. New
// packages must be added here, which keeps the layout a decision.
var layers = map[string]int{
	"internal/crypto":          0,
	"internal/atomicfile":      0,
	"internal/config":          0,
	"internal/replay":          0,
	"internal/ratelimit":       0,
	"internal/data":            1,
	"internal/noise":           1,
	"internal/keyfile":         2,
	"internal/su3":             2,
	"internal/i2np":            3,
	"internal/peer":            3,
	"internal/transport":       4,
	"internal/transport/ntcp2": 5,
	"internal/transport/ssu2":  5,
	"internal/netdb":           6,
	"internal/tunnel":          6,
	"internal/reseed":          7, // imports netdb (6)
	"internal/garlic":          6,
	"internal/client":          7,
	"internal/streaming":       8,
	"internal/sam":             9,
	"internal/i2cp":            9,
	"internal/bob":             9,
	"internal/i2ptunnel":       9,
	"internal/addressbook":     9,
	"internal/console":         9,
	"internal/inspect":         9,
	"internal/router":          10,
	"internal/i2pdtest":        11, // test support: runs real i2pd routers
	"internal/node":            11, // options -> router.Config, for cmd/veil and the public API
	".":                        12, // package veil, the public Go API
	"internal/testnet":         12, // a private network in one process (veil testnet)
	"cmd/veil":                 13,
	"cmd/veil-bench":           13, // the benchmark suite (runs the interop benchmarks)
	"interop":                  13,
}

const (
	root   = "github.com/veil-i2p/veil"
	module = root + "/"
)

// rel is a package's path in the module; "." for the root package.
func rel(pkg string) string {
	if pkg == root {
		return "."
	}
	return strings.TrimPrefix(pkg, module)
}

func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := rel(f[0])
		lp, ok := level(pkg)
		if !ok {
			t.Errorf("package %s has no layer: add it to layers_test.go", pkg)
			continue
		}
		for _, imp := range f[1:] {
			if imp != root && !strings.HasPrefix(imp, module) {
				continue
			}
			dep := rel(imp)
			if pkg != "." && dep != "." && (strings.HasPrefix(pkg, dep+"/") || strings.HasPrefix(dep, pkg+"/")) {
				continue // a package and its subpackages share a layer
			}
			ld, ok := level(dep)
			if !ok {
				t.Errorf("package %s has no layer: add it to layers_test.go", dep)
				continue
			}
			if ld >= lp {
				t.Errorf("%s (level %d) imports %s (level %d): imports must go down the data path", pkg, lp, dep, ld)
			}
		}
	}
}

// level finds the level of pkg or of its nearest listed ancestor.
func level(pkg string) (int, bool) {
	if pkg == "." {
		l, ok := layers["."]
		return l, ok
	}
	for p := pkg; p != "" && p != "."; {
		if l, ok := layers[p]; ok {
			return l, true
		}
		i := strings.LastIndex(p, "/")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0, false
}
