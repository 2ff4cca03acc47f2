package ratelimit

import (
	"net/netip"
	"testing"
	"time"
)

func TestBurstRefillAndCap(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, whenFull := range []bool{false, true} {
		l := New[string](1, 2, 1, whenFull)
		if !l.Allow("a", now) || !l.Allow("a", now) || l.Allow("a", now) {
			t.Fatal("burst of 2 not enforced")
		}
		if got := l.Allow("b", now); got != whenFull {
			t.Fatalf("new key on a full table: %v, want %v", got, whenFull)
		}
		if !l.Allow("b", now.Add(3*time.Second)) || l.Len() != 1 {
			t.Fatalf("refilled key not pruned (len %d)", l.Len())
		}
	}
	if !New[int](0, 0, 0, false).Allow(1, now) {
		t.Fatal("rate 0 must allow everything")
	}
}

func TestSourceKey(t *testing.T) {
	for in, want := range map[string]string{
		"198.18.0.1":        "198.18.0.1",
		"::ffff:198.18.0.1": "198.18.0.1",
		"2001:db8::1":       "2001:db8::",
		"2001:db8::2:0:0:1": "2001:db8::",
	} {
		if got := SourceKey(netip.MustParseAddr(in)); got.String() != want {
			t.Errorf("SourceKey(%s) = %s, want %s", in, got, want)
		}
	}
}
