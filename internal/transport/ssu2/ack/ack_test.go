package ack

import (
	"encoding/binary"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestSpecExample is ssu2.rst's example: ACK 10 9 8 6 5 2 1 0, NACK 7 4
// 3 is ack through 10, acnt 2, ranges (1,2) (2,3).
func TestSpecExample(t *testing.T) {
	rs := []Range{{8, 10}, {5, 6}, {0, 2}}
	got := Append(nil, rs, 64)
	want := []byte{0, 0, 0, 10, 2, 1, 2, 2, 3}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Append = %v, want %v", got, want)
	}
	back, err := Parse(got, nil)
	if err != nil || !reflect.DeepEqual(back, rs) {
		t.Fatalf("Parse = %v, %v", back, err)
	}
}

func TestAppendParseRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var tr Tracker
		tr.MaxRanges, tr.MaxDepth = 1000, 100000
		top := uint32(r.IntN(5000))
		for range r.IntN(400) + 1 {
			tr.Add(uint32(r.IntN(int(top) + 1)))
		}
		rs := tr.Ranges()
		got, err := Parse(Append(nil, rs, 1<<16), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, rs) {
			t.Fatalf("case %d: round trip %v -> %v", i, rs, got)
		}
		// A small budget keeps the newest ranges and never lies.
		small, _ := Parse(Append(nil, rs, 9), nil)
		for _, s := range small {
			if !covered(rs, s) {
				t.Fatalf("case %d: truncated block acks %v outside %v", i, s, rs)
			}
		}
		if small[0].Hi != rs[0].Hi {
			t.Fatalf("truncated block lost ack through")
		}
	}
}

func covered(rs []Range, s Range) bool {
	for pn := s.Lo; ; pn++ {
		ok := false
		for _, r := range rs {
			ok = ok || pn >= r.Lo && pn <= r.Hi
		}
		if !ok {
			return false
		}
		if pn == s.Hi {
			return true
		}
	}
}

func TestLongRuns(t *testing.T) {
	rs := []Range{{2000, 2600}, {100, 900}} // acnt overflow, a 1099 gap
	got, err := Parse(Append(nil, rs, 200), nil)
	if err != nil || !reflect.DeepEqual(got, rs) {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestParseEdges(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    []byte
		want []Range
		err  bool
	}{
		{"short", []byte{0, 0, 0}, nil, true},
		{"odd ranges", []byte{0, 0, 0, 5, 0, 1}, nil, true},
		{"acnt past zero", []byte{0, 0, 0, 3, 9}, []Range{{0, 3}}, false},
		{"range past zero", []byte{0, 0, 0, 5, 0, 1, 10}, []Range{{5, 5}, {0, 3}}, false},
		{"zero pair ignored", []byte{0, 0, 0, 5, 1, 0, 0, 0, 1}, []Range{{3, 5}}, false},
		{"nack only then ack", []byte{0, 0, 0, 9, 0, 2, 0, 0, 2}, []Range{{9, 9}, {5, 6}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.d, nil)
			if (err != nil) != tc.err || !tc.err && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse = %v, %v; want %v (error %v)", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestTracker(t *testing.T) {
	var tr Tracker
	steps := []struct {
		pn  uint32
		ooo bool
	}{{0, false}, {1, false}, {3, true}, {2, true}, {7, true}, {5, true}, {6, true}, {4, true}}
	for _, s := range steps {
		if got := tr.Add(s.pn); got != s.ooo {
			t.Fatalf("Add(%d) out of order = %v", s.pn, got)
		}
	}
	if !reflect.DeepEqual(tr.Ranges(), []Range{{0, 7}}) {
		t.Fatalf("ranges %v", tr.Ranges())
	}
	tr.Add(20)
	tr.Add(10)
	tr.Forget(12)
	if !reflect.DeepEqual(tr.Ranges(), []Range{{20, 20}}) {
		t.Fatalf("after Forget: %v", tr.Ranges())
	}
	// Bounds: ranges and depth.
	tr = Tracker{MaxRanges: 4, MaxDepth: 100}
	for pn := uint32(0); pn < 1000; pn += 2 {
		tr.Add(pn)
	}
	if rs := tr.Ranges(); len(rs) != 4 || rs[0].Hi != 998 || slices.ContainsFunc(rs, func(r Range) bool { return r.Lo < 898 }) {
		t.Fatalf("bounded ranges %v", rs)
	}
	if l, ok := tr.Largest(); !ok || l != 998 {
		t.Fatalf("Largest = %d, %v", l, ok)
	}
}

func TestRTT(t *testing.T) {
	var r RTT
	if r.RTO() != InitialRTO {
		t.Fatalf("initial RTO %v", r.RTO())
	}
	r.Sample(100 * time.Millisecond)
	if r.SRTT() != 100*time.Millisecond || r.RTO() != DefaultMinRTO {
		t.Fatalf("after one sample: SRTT %v RTO %v", r.SRTT(), r.RTO())
	}
	r = RTT{MinRTO: time.Millisecond}
	r.Sample(100 * time.Millisecond) // RTTVAR 50: RTO = 100 + 200
	if r.RTO() != 300*time.Millisecond {
		t.Fatalf("RTO %v, want 300ms", r.RTO())
	}
	r.Sample(200 * time.Millisecond) // RTTVAR 62.5, SRTT 112.5
	if r.SRTT() != 112500*time.Microsecond || r.RTO() != 362500*time.Microsecond {
		t.Fatalf("SRTT %v RTO %v", r.SRTT(), r.RTO())
	}
	r.Backoff()
	r.Backoff()
	if r.RTO() != 4*362500*time.Microsecond {
		t.Fatalf("backed-off RTO %v", r.RTO())
	}
	for range 20 {
		r.Backoff()
	}
	if r.RTO() != DefaultMaxRTO {
		t.Fatalf("RTO %v, want the maximum", r.RTO())
	}
	r.Reset()
	if r.RTO() != 362500*time.Microsecond {
		t.Fatalf("RTO after Reset %v", r.RTO())
	}
}

// FuzzParse: Parse never panics, its ranges are disjoint, sorted and at
// or below ack through, and they encode back to a block that parses to
// the same ranges.
func FuzzParse(f *testing.F) {
	f.Add([]byte{0, 0, 0, 10, 2, 1, 2, 2, 3})
	f.Add([]byte{0, 0, 0, 0, 0})
	f.Add(binary.BigEndian.AppendUint32(nil, 1<<32-1))
	f.Add(Append(nil, []Range{{2000, 2600}, {100, 900}}, 200))
	f.Fuzz(func(t *testing.T, d []byte) {
		rs, err := Parse(d, nil)
		if err != nil {
			return
		}
		through := binary.BigEndian.Uint32(d)
		for i, r := range rs {
			if r.Lo > r.Hi || r.Hi > through || i > 0 && r.Hi+1 >= rs[i-1].Lo {
				t.Fatalf("bad ranges %v from %x", rs, d)
			}
		}
		back, err := Parse(Append(nil, rs, 1<<20), nil)
		if err != nil || !reflect.DeepEqual(back, rs) {
			t.Fatalf("re-encoded %v -> %v, %v", rs, back, err)
		}
	})
}

func BenchmarkAppendParse(b *testing.B) {
	var tr Tracker
	for pn := uint32(0); pn < 2000; pn++ {
		if pn%17 != 0 {
			tr.Add(pn)
		}
	}
	buf := make([]byte, 0, 256)
	dst := make([]Range, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		blk := Append(buf[:0], tr.Ranges(), 140)
		dst, _ = Parse(blk, dst[:0])
	}
}
