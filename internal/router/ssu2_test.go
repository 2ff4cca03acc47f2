package router

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/veil-i2p/veil/internal/keyfile"
)

// ssu2LoopbackConfig is a loopback router that speaks SSU2 only.
func ssu2LoopbackConfig(t *testing.T, dir string) Config {
	c := loopbackConfig(t, dir)
	c.NTCP2Enabled = false
	c.SSU2 = SSU2Config{Enabled: true, Published: true}
	return c
}

func TestSSU2Addresses(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  SSU2Config
		want map[string]string // options that must be there ("" must be absent)
		caps string
	}{
		{"published", SSU2Config{Enabled: true, Published: true, Port: 23456},
			map[string]string{"host": "198.18.0.5", "port": "23456", "v": "2", "caps": "BC", "mtu": ""}, "LR"},
		{"published with MTU", SSU2Config{Enabled: true, Published: true, MTU4: 1400},
			map[string]string{"host": "198.18.0.5", "port": "12345", "mtu": "1400"}, "LR"},
		{"unpublished", SSU2Config{Enabled: true},
			map[string]string{"host": "", "port": "", "caps": "4", "v": "2"}, "LU"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{DataDir: dir, NetID: 99, Host: "198.18.0.5", Port: 12345, SSU2: tc.cfg}
			r, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Start(); err != nil {
				t.Fatal(err)
			}
			ri := r.RouterInfo()
			if len(ri.Addresses) != 1 || ri.Addresses[0].Transport != "SSU2" || ri.Caps() != tc.caps {
				t.Fatalf("addresses %+v, caps %q", ri.Addresses, ri.Caps())
			}
			a := ri.Addresses[0]
			for k, v := range tc.want {
				if got := a.Options.Value(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			b, err := os.ReadFile(filepath.Join(dir, SSU2KeysFile))
			if err != nil {
				t.Fatal(err)
			}
			keys, err := keyfile.ParseStaticKeys(b, keyfile.SSU2IntroLen)
			if err != nil {
				t.Fatal(err)
			}
			if a.Options.Value("s") == "" || a.Options.Value("i") == "" || len(b) != 96 || keys.Public[0] == 0 && keys.Public[1] == 0 {
				t.Fatalf("keys: %+v", a.Options)
			}
		})
	}
}

// TestTwoRoutersSSU2 runs two routers that speak SSU2 only: a knows b,
// dials it over SSU2, and both show the session.
func TestTwoRoutersSSU2(t *testing.T) {
	goroutineLeakCheck(t)
	dirA, dirB := t.TempDir(), t.TempDir()
	ra, err := New(ssu2LoopbackConfig(t, dirA))
	if err != nil {
		t.Fatal(err)
	}
	cb := ssu2LoopbackConfig(t, dirB)
	cb.Floodfill = true
	rb, err := New(cb)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Router{ra, rb} {
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
	}
	seed(t, dirB, dirA)
	running(t, rb)
	waitStatus(t, dirB, "b running", func(Status) bool { return true })
	running(t, ra)
	want := func(peer *Router) func(Status) bool {
		return func(st Status) bool {
			return len(st.Transports) == 1 && st.Transports[0].Peer == peer.Hash().String() && st.Transports[0].BytesIn > 0
		}
	}
	sa := waitStatus(t, dirA, "a's SSU2 session to b", want(rb))
	sb := waitStatus(t, dirB, "b's SSU2 session from a", want(ra))
	if sa.Transports[0].Transport != "SSU2" || sa.Transports[0].Direction != "out" || sb.Transports[0].Direction != "in" {
		t.Fatalf("sessions %+v / %+v", sa.Transports, sb.Transports)
	}
	if sa.Transports[0].Address != "127.0.0.1:"+strconv.Itoa(rb.cfg.Port) {
		t.Fatalf("a reached b at %s", sa.Transports[0].Address)
	}
	// b stored a's RouterInfo from Session Confirmed; a sent b, a
	// floodfill, its RouterInfo in a DatabaseStore.
	waitStatus(t, dirB, "a in b's netDb", func(st Status) bool { return st.NetDB.Routers == 1 })
}
