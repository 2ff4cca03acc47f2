package ntcp2

import (
	"net/netip"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/ratelimit"
)

func TestReplayCache(t *testing.T) {
	c := newReplayCache(2*time.Minute, 3)
	now := time.Unix(1000, 0)
	k := func(b byte) *[keyLen]byte { return &[keyLen]byte{b} }
	if !c.check(k(1), now) || c.check(k(1), now.Add(time.Minute)) {
		t.Fatal("replay within the window not caught")
	}
	if !c.check(k(1), now.Add(2*time.Minute)) {
		t.Fatal("key not forgotten after its lifetime")
	}
	for b := byte(2); b < 10; b++ {
		c.check(k(b), now.Add(3*time.Minute))
	}
	if c.len() > 3 || c.evicted == 0 {
		t.Fatalf("len %d evicted %d", c.len(), c.evicted)
	}
}

func TestRateLimiter(t *testing.T) {
	l := ratelimit.New[netip.Addr](1, 3, 2, true)
	now := time.Unix(1000, 0)
	a := netip.MustParseAddr("198.18.0.10")
	for i := 0; i < 3; i++ {
		if !l.Allow(ratelimit.SourceKey(a), now) {
			t.Fatalf("burst %d refused", i)
		}
	}
	if l.Allow(ratelimit.SourceKey(a), now) {
		t.Fatal("fourth handshake in the same instant allowed")
	}
	if !l.Allow(ratelimit.SourceKey(a), now.Add(time.Second)) {
		t.Fatal("no refill after a second")
	}
	// IPv6 sources share a /64.
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	for i := 0; i < 3; i++ {
		l.Allow(ratelimit.SourceKey(v6a), now)
	}
	if l.Allow(ratelimit.SourceKey(v6b), now) {
		t.Fatal("another host of the /64 got its own bucket")
	}
	// Past the cap, new sources pass untracked.
	if !l.Allow(ratelimit.SourceKey(netip.MustParseAddr("198.18.0.99")), now) {
		t.Fatal("new source refused when the table is full")
	}
}
