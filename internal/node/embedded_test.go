package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
)

// TestEmbeddedOptions: options as name=value override the data folder's
// i2pd.conf; services i2pd runs by default stay off unless set either
// way; malformed and unknown options are errors naming them.
func TestEmbeddedOptions(t *testing.T) {
	dir := t.TempDir()
	o, err := EmbeddedOptions(dir, []string{"netid=99", " floodfill = true", "reservedrange=false"})
	if err != nil {
		t.Fatal(err)
	}
	if o.DataDir != dir || o.NetID != 99 || !o.Floodfill || o.ReservedRange || o.HTTPProxy.Enabled || o.SAM.Enabled || o.HTTP.Enabled || o.SOCKSProxy.Enabled {
		t.Fatalf("%+v", o)
	}
	if err := os.WriteFile(filepath.Join(dir, "i2pd.conf"), []byte("netid = 42\n[sam]\nenabled = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err = EmbeddedOptions(dir, []string{"httpproxy.enabled=true"})
	if err != nil {
		t.Fatal(err)
	}
	if o.NetID != 42 || !o.SAM.Enabled || !o.HTTPProxy.Enabled || o.HTTP.Enabled {
		t.Fatalf("with i2pd.conf: %+v", o)
	}
	for _, bad := range []string{"netid", "--netid=3", "nosuch=1", "netid=300"} {
		if _, err := EmbeddedOptions(t.TempDir(), []string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := EmbeddedOptions(t.TempDir(), []string{"nosuch=1"}); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown option: %v", err)
	}
}

// TestSessionConfig: a destination's options take tunnels.conf's names
// and defaults.
func TestSessionConfig(t *testing.T) {
	sc, err := SessionConfig("x", nil)
	if err != nil || sc.Name != "x" || sc.Pool.InboundLength != 3 || sc.Pool.OutboundQuantity != 5 || sc.EncTypes != nil || sc.Streaming == nil {
		t.Fatalf("defaults: %+v %v", sc, err)
	}
	sc, err = SessionConfig("", []string{"inbound.length=0", "outbound.length=1", "inbound.quantity=2", "i2cp.leaseSetEncType=4", "i2p.streaming.maxConnsPerMinute=7"})
	if err != nil || sc.Pool.InboundLength != 0 || sc.Pool.OutboundLength != 1 || sc.Pool.InboundQuantity != 2 ||
		len(sc.EncTypes) != 1 || sc.EncTypes[0] != crypto.EncX25519 || sc.Streaming.MaxConnsPerMinute != 7 {
		t.Fatalf("set: %+v %v", sc, err)
	}
	for _, bad := range [][]string{{"inbound.length"}, {"port=80"}, {"inbound.length=9"}, {"inbound.length=1", "inbound.length=2"}, {"i2cp.leaseSetEncType=1"}} {
		if _, err := SessionConfig("x", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
