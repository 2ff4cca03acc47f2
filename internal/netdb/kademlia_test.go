package netdb

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

func TestRoutingKey(t *testing.T) {
	var key data.Hash
	for i := range key {
		key[i] = byte(i)
	}
	// SHA-256(key || "20261125"), computed independently (Python hashlib).
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), "07645a6f86219235b5c92ad0e07533289b56617dc1e3a2b13fb5ebc0bd52fce8"},
		{time.Date(2026, 11, 25, 23, 59, 59, 0, time.UTC), "07645a6f86219235b5c92ad0e07533289b56617dc1e3a2b13fb5ebc0bd52fce8"},
		// 01:00 in UTC+3 is still the 25th in UTC.
		{time.Date(2026, 11, 26, 1, 0, 0, 0, time.FixedZone("UTC+3", 3*3600)), "07645a6f86219235b5c92ad0e07533289b56617dc1e3a2b13fb5ebc0bd52fce8"},
		{time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), "36c0b180d83baa16bfbec20407d73e895186dd1f698921409fdb09bb32c4791c"},
	}
	for _, c := range cases {
		rk := RoutingKey(key, c.t)
		if got := hex.EncodeToString(rk[:]); got != c.want {
			t.Errorf("%v: %s, want %s", c.t, got, c.want)
		}
	}
}

func TestCloser(t *testing.T) {
	rk := data.Hash{0x80}
	if !Closer(rk, data.Hash{0x81}, data.Hash{0x00}) || Closer(rk, data.Hash{0x00}, data.Hash{0x81}) || Closer(rk, rk, rk) {
		t.Fatal("Closer")
	}
}

// TestClosest compares Closest with sorting every candidate.
func TestClosest(t *testing.T) {
	now := t0
	s := New(Config{NetID: 99, Now: func() time.Time { return now }})
	var all []data.Hash
	ffs := map[data.Hash]bool{}
	for i := range 24 {
		caps := "X"
		if i%3 == 0 {
			caps = "Xf"
		}
		ri := newRouter(t).ri(t, now, caps, 99, nil)
		if _, err := s.Put(ri); err != nil {
			t.Fatal(err)
		}
		all = append(all, ri.Hash())
		ffs[ri.Hash()] = caps == "Xf"
	}
	for range 20 {
		var rk data.Hash
		rand.Read(rk[:])
		skip := all[0]
		for _, floodfill := range []bool{true, false} {
			var want []data.Hash
			for _, h := range all {
				if ffs[h] == floodfill && h != skip {
					want = append(want, h)
				}
			}
			slices.SortFunc(want, func(a, b data.Hash) int {
				switch {
				case Closer(rk, a, b):
					return -1
				case Closer(rk, b, a):
					return 1
				}
				return 0
			})
			got := s.Closest(rk, 3, floodfill, func(h data.Hash) bool { return h == skip })
			if len(got) != 3 {
				t.Fatalf("%d routers", len(got))
			}
			for i, ri := range got {
				if ri.Hash() != want[i] {
					t.Fatalf("floodfill=%v: #%d is %s, want %s", floodfill, i, ri.Hash(), want[i])
				}
			}
		}
	}
	if got := s.Closest(data.Hash{}, 100, true, nil); len(got) != 8 {
		t.Fatalf("all floodfills: %d", len(got))
	}
}
