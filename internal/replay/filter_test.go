package replay

import (
	"sync"
	"testing"
	"time"
)

var t0 = time.Unix(1_700_000_000, 0)

func TestFilterZeroValue(t *testing.T) {
	var f Filter
	if f.Seen(42, t0) {
		t.Fatal("new key reported as seen")
	}
	if !f.Seen(42, t0) {
		t.Fatal("repeated key not seen")
	}
	if f.Seen(43, t0) {
		t.Fatal("other key reported as seen")
	}
	if f.Added() != 2 {
		t.Fatalf("Added %d", f.Added())
	}
}

func TestFilterDecay(t *testing.T) {
	const p = time.Minute
	for _, c := range []struct {
		name  string
		after time.Duration // time of the second Seen after the first
		want  bool
	}{
		{"same instant", 0, true},
		{"just before one period", p - time.Nanosecond, true},
		{"one period", p, true},
		{"just before two periods", 2*p - time.Nanosecond, true},
		{"two periods", 2 * p, false},
		{"an hour", time.Hour, false},
		{"clock stepped back", -time.Hour, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := NewFilter(p, 1000)
			f.Seen(7, t0)
			if got := f.Seen(7, t0.Add(c.after)); got != c.want {
				t.Fatalf("Seen after %v = %v, want %v", c.after, got, c.want)
			}
		})
	}
}

// A key added late in a period survives the next rotation: it is always
// remembered for at least one period.
func TestFilterRemembersAtLeastOnePeriod(t *testing.T) {
	const p = time.Minute
	f := NewFilter(p, 1000)
	f.Seen(1, t0) // starts the first period
	for i := range uint64(200) {
		at := t0.Add(time.Duration(i) * 3 * time.Second)
		if f.Seen(1000+i, at) {
			t.Fatalf("key %d: false duplicate", i)
		}
		if !f.Seen(1000+i, at.Add(p)) {
			t.Fatalf("key %d added at %v forgotten one period later", i, at.Sub(t0))
		}
	}
}

func TestFilterFalsePositives(t *testing.T) {
	const n = 1 << 14
	f := NewFilter(time.Minute, n)
	for i := range uint64(n) {
		if f.Seen(i*2654435761, t0) {
			t.Logf("false positive while filling at %d", i)
		}
	}
	fp := 0
	for i := range uint64(n) {
		if inCur, _ := f.probeLocked(1<<40+i, false); inCur {
			fp++
		}
	}
	// Designed for about 1e-4 per half at capacity.
	if fp > n/1000 {
		t.Fatalf("%d false positives in %d", fp, n)
	}
	t.Logf("%d false positives in %d", fp, n)
}

func TestFilterBounds(t *testing.T) {
	if f := NewFilter(0, 0); f.period != DefaultPeriod || len(f.cur) != (1024*bitsPerKey+63)/64 {
		t.Fatalf("period %v, %d words", f.period, len(f.cur))
	}
	if f := NewFilter(time.Second, 1<<40); len(f.cur) != MaxCapacity*bitsPerKey/64 {
		t.Fatalf("%d words", len(f.cur))
	}
}

func TestFilterConcurrent(t *testing.T) {
	f := NewFilter(time.Minute, 1<<12)
	var wg sync.WaitGroup
	dups := make([]int, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range uint64(1000) {
				if f.Seen(i, t0.Add(time.Duration(i)*time.Millisecond)) {
					dups[g]++
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for _, d := range dups {
		total += d
	}
	// Each key is new exactly once across all goroutines.
	if total != 7*1000 {
		t.Fatalf("%d duplicates, want %d", total, 7*1000)
	}
}

func BenchmarkFilterSeen(b *testing.B) {
	f := NewFilter(time.Minute, DefaultCapacity)
	b.ReportAllocs()
	var i uint64
	for b.Loop() {
		f.Seen(i, t0)
		i++
	}
}
