package replay

import (
	"testing"

	"pgregory.net/rapid"
)

func TestWindowBasics(t *testing.T) {
	var w Window
	for _, c := range []struct {
		n    uint64
		want bool
	}{
		{0, true}, {0, false}, {1, true}, {5, true}, {3, true}, {3, false},
		{5000, true}, {5000 - WindowSize, false}, {5000 - WindowSize + 1, true},
		{5000 - WindowSize + 1, false}, {4999, true}, {1, false},
		{1 << 40, true}, {5000, false}, {^uint64(0), false},
	} {
		if got := w.Accept(c.n); got != c.want {
			t.Fatalf("Accept(%d) = %v, want %v", c.n, got, c.want)
		}
	}
	w.Reset()
	if !w.Accept(1) {
		t.Fatal("after Reset")
	}
}

// The window agrees with a model that remembers everything and refuses
// what is WindowSize or more behind the highest accepted counter.
func TestWindowModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var w Window
		seen := map[uint64]bool{}
		var top uint64
		empty := true
		base := rapid.Uint64Range(0, 1<<62).Draw(t, "base")
		steps := rapid.SliceOfN(rapid.Int64Range(-2500, 2500), 1, 300).Draw(t, "steps")
		cur := base
		for _, s := range steps {
			n := uint64(int64(cur) + s)
			if int64(n) < 0 {
				n = 0
			}
			want := !seen[n] && (empty || n > top || top-n < WindowSize)
			if got := w.Accept(n); got != want {
				t.Fatalf("Accept(%d) = %v, want %v (top %d)", n, got, want, top)
			}
			if want {
				seen[n] = true
				if empty || n > top {
					top = n
				}
				empty = false
			}
			if s > 0 {
				cur = n
			}
		}
	})
}

func BenchmarkWindowAccept(b *testing.B) {
	var w Window
	b.ReportAllocs()
	var n uint64
	for b.Loop() {
		w.Accept(n)
		n += 1 + n%3
	}
}
