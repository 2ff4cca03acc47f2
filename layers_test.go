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
	"cmd/veil":                 12,
	"interop":                  12,
}

const module = "github.com/veil-i2p/veil/"

func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(f[0], module), "github.com/veil-i2p/veil")
		if pkg == "" {
			continue // the root holds only this test
		}
		lp, ok := level(pkg)
		if !ok {
			t.Errorf("package %s has no layer: add it to layers_test.go", pkg)
			continue
		}
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			if strings.HasPrefix(pkg, dep+"/") || strings.HasPrefix(dep, pkg+"/") {
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
