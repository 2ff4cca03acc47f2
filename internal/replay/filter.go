package replay

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
	"time"
)

// Defaults of a zero Filter: message ids live at most a few minutes
// (i2np.rst recommends expirations at most 60 s ahead, and peers allow
// 60 s of clock skew), and a busy router sees some tens of thousands of
// messages a minute.
const (
	DefaultPeriod   = 2 * time.Minute
	DefaultCapacity = 1 << 16

	// MaxCapacity bounds a Filter's memory to about 2 × 20 MiB.
	MaxCapacity = 1 << 23

	// bitsPerKey and hashes size each half for a false-positive rate of
	// about 1e-4 at capacity (m/n = -ln p / ln²2 ≈ 19.2, k = m/n · ln 2
	// ≈ 13); a lookup tests both halves, so about 2e-4 in all.
	bitsPerKey = 20
	hashes     = 13
)

// Filter is a decaying Bloom filter of 64-bit keys: two bit sets, the
// current one and the previous one. Seen adds a key to the current set
// and reports whether either set already held it. Every period the
// previous set is dropped and the current set becomes the previous one,
// so a key is remembered for at least one period and at most two.
//
// A Bloom filter never misses a key it holds; past its capacity per
// period it reports more false duplicates, so a flood makes it drop more
// good messages, never accept a replay. Memory is fixed at NewFilter.
// Bit positions come from hash/maphash with a random seed per Filter, so
// a peer cannot choose ids that collide.
//
// The zero value is ready to use with DefaultPeriod and DefaultCapacity.
// A Filter is safe for concurrent use; it must not be copied after first
// use.
type Filter struct {
	mu      sync.Mutex
	period  time.Duration
	seeds   [2]maphash.Seed
	cur     []uint64 // bit set, len(cur) == len(prev)
	prev    []uint64
	added   int       // keys added to cur since it was cleared
	rotated time.Time // when cur was started; zero before first use
}

// NewFilter returns a Filter that remembers keys for period to 2×period,
// sized for capacity keys per period (at least 1024, at most
// MaxCapacity). A period ≤ 0 means DefaultPeriod.
func NewFilter(period time.Duration, capacity int) *Filter {
	f := &Filter{}
	f.init(period, capacity)
	return f
}

func (f *Filter) init(period time.Duration, capacity int) {
	if period <= 0 {
		period = DefaultPeriod
	}
	capacity = min(max(capacity, 1024), MaxCapacity)
	words := (capacity*bitsPerKey + 63) / 64
	f.period = period
	f.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	f.cur = make([]uint64, words)
	f.prev = make([]uint64, words)
}

// Seen records key at time now and reports whether the filter (probably)
// held it already: true means a duplicate, or with small probability a
// false positive; false is always right. A time earlier than the last
// rotation is treated as that rotation's time: a clock stepping back never
// makes the filter forget.
func (f *Filter) Seen(key uint64, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur == nil {
		f.init(0, DefaultCapacity)
	}
	f.decayLocked(now)
	inCur, inPrev := f.probeLocked(key, true)
	if !inCur {
		f.added++
	}
	return inCur || inPrev
}

// probeLocked reports whether key is in the current and in the previous
// set, adding it to the current set if add. Must hold f.mu.
func (f *Filter) probeLocked(key uint64, add bool) (inCur, inPrev bool) {
	h1, h2 := f.hash(key)
	nbits := uint64(len(f.cur)) * 64
	inCur, inPrev = true, true
	for i := range uint64(hashes) {
		bit := (h1 + i*h2) % nbits
		w, m := bit/64, uint64(1)<<(bit%64)
		if f.cur[w]&m == 0 {
			inCur = false
			if add {
				f.cur[w] |= m
			}
		}
		if f.prev[w]&m == 0 {
			inPrev = false
		}
	}
	return inCur, inPrev
}

// Added returns how many distinct keys (as far as the filter can tell)
// were added in the current period: compare it with the capacity to see
// whether the filter is overloaded.
func (f *Filter) Added() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.added
}

// Must hold f.mu.
func (f *Filter) decayLocked(now time.Time) {
	switch {
	case f.rotated.IsZero():
		f.rotated = now
		return
	case now.Before(f.rotated.Add(f.period)):
		return
	case now.Before(f.rotated.Add(2 * f.period)):
		f.cur, f.prev = f.prev, f.cur
		clear(f.cur)
		f.rotated = f.rotated.Add(f.period) // stays on the period grid
	default: // idle for two periods or more: everything is stale
		clear(f.cur)
		clear(f.prev)
		f.rotated = now
	}
	f.added = 0
}

// hash gives two independent 64-bit values for double hashing (Kirsch
// and Mitzenmacher); h2 is odd so that it never steps by 0.
func (f *Filter) hash(key uint64) (h1, h2 uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], key)
	return maphash.Bytes(f.seeds[0], b[:]), maphash.Bytes(f.seeds[1], b[:]) | 1
}
