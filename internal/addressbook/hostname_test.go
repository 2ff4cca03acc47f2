package addressbook

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeName(t *testing.T) {
	good := map[string]string{
		"example.i2p":                    "example.i2p",
		"Example.I2P":                    "example.i2p",
		"a.b-c.i2p":                      "a.b-c.i2p",
		"xn--bcher-kva.i2p":              "xn--bcher-kva.i2p",
		"w.xn--bcher-kva.i2p":            "w.xn--bcher-kva.i2p",
		"0.i2p":                          "0.i2p",
		strings.Repeat("a", 63) + ".i2p": strings.Repeat("a", 63) + ".i2p",
	}
	for in, want := range good {
		got, err := NormalizeName(in)
		if err != nil || got != want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{
		"", ".i2p", "i2p", "example.com", "example", ".example.i2p", "-example.i2p",
		"ex..ample.i2p", "ex.-ample.i2p", "ex-.ample.i2p", "ex--ample.i2p", "axn--b.i2p",
		"ex_ample.i2p", "ex ample.i2p", "exämple.i2p", "ex/ample.i2p",
		strings.Repeat("a", 64) + ".i2p",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b32.i2p", "b32.i2p",
		"proxy.i2p", "router.i2p", "console.i2p", "x.console.i2p", "localhost.i2p",
	}
	for _, in := range bad {
		if got, err := NormalizeName(in); !errors.Is(err, ErrBadName) {
			t.Errorf("NormalizeName(%q) = %q, %v; want ErrBadName", in, got, err)
		}
	}
}
