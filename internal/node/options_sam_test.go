package node

import (
	"testing"

	"github.com/veil-i2p/veil/internal/config"
	"github.com/veil-i2p/veil/internal/router"
)

func TestSAMOptions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want *router.SAMConfig
	}{
		{nil, &router.SAMConfig{Address: "127.0.0.1", Port: 7656}},
		{[]string{"--sam.enabled=false"}, nil},
		{[]string{"--sam.address=127.0.0.5", "--sam.port=9000", "--sam.portudp=9001", "--sam.singlethread=false"},
			&router.SAMConfig{Address: "127.0.0.5", Port: 9000, PortUDP: 9001}},
	} {
		o, err := config.Load(append([]string{"--datadir=" + t.TempDir()}, tc.args...), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := samConfig(o)
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("%v: %+v", tc.args, got)
		}
	}
	o, err := config.Load([]string{"--datadir=" + t.TempDir()}, nil)
	if err != nil || bobConfig(o) != nil {
		t.Fatalf("BOB on by default: %v", err)
	}
	o, err = config.Load([]string{"--datadir=" + t.TempDir(), "--bob.enabled=true", "--bob.port=2900"}, nil)
	if b := bobConfig(o); err != nil || b == nil || *b != (router.BOBConfig{Address: "127.0.0.1", Port: 2900}) {
		t.Fatalf("bob: %+v %v", b, err)
	}
	o, err = EmbeddedOptions(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if samConfig(o) != nil {
		t.Error("SAM on in an embedded router by default")
	}
}
