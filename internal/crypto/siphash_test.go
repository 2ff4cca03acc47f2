package crypto

import (
	"bufio"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The 64 vectors of the SipHash paper's appendix A / reference vectors.h:
// key 00..0f, message i = 00..(i-1).
func TestSipHash24Vectors(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "siphash_vectors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	key := seqBytes(0, 16)
	k0 := binary.LittleEndian.Uint64(key[:8])
	k1 := binary.LittleEndian.Uint64(key[8:])
	msg := seqBytes(0, 64)

	i := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		want := binary.LittleEndian.Uint64(hexOf(t, line))
		if got := SipHash24(k0, k1, msg[:i]); got != want {
			t.Errorf("len %d: got %016x, want %016x", i, got, want)
		}
		if i == 8 {
			if got := sipHash24Word(k0, k1, binary.LittleEndian.Uint64(msg[:8])); got != want {
				t.Errorf("word form: got %016x, want %016x", got, want)
			}
		}
		i++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if i != 64 {
		t.Fatalf("read %d vectors, want 64", i)
	}
}

// The ratchet follows ntcp2.rst literally: hash the 8 IV bytes, keep the
// output's little-endian bytes as the next IV, mask with its first two.
func TestSipHashRatchet(t *testing.T) {
	keys := seqBytes(0x10, 32)
	r, err := NewSipHashRatchet(keys)
	if err != nil {
		t.Fatal(err)
	}
	k1 := binary.LittleEndian.Uint64(keys[0:8])
	k2 := binary.LittleEndian.Uint64(keys[8:16])
	iv := append([]byte(nil), keys[16:24]...)
	if got := r.IV(); string(got[:]) != string(iv) {
		t.Fatalf("IV[0] %x, want %x", got, iv)
	}
	peer, _ := NewSipHashRatchet(keys)
	for n := 1; n <= 100; n++ {
		out := SipHash24(k1, k2, iv)
		binary.LittleEndian.PutUint64(iv, out)
		wantMask := binary.LittleEndian.Uint16(iv[:2]) // "first 2 bytes of IV[n]"
		if uint16(out) != wantMask {
			t.Fatal("low 16 bits and first two IV bytes disagree")
		}
		if got := r.Next(); got != wantMask {
			t.Fatalf("frame %d: mask %04x, want %04x", n, got, wantMask)
		}
		if got := r.IV(); string(got[:]) != string(iv) {
			t.Fatalf("frame %d: IV %x, want %x", n, got, iv)
		}
		// Both ends derive the same masks.
		if peer.Next() != wantMask {
			t.Fatalf("frame %d: peer disagrees", n)
		}
	}

	if _, err := NewSipHashRatchet(keys[:23]); err == nil {
		t.Error("23 key bytes accepted")
	}
	r.Zero()
	if r != (SipHashRatchet{}) {
		t.Error("Zero left state behind")
	}
}

func BenchmarkSipHashRatchet(b *testing.B) {
	r, _ := NewSipHashRatchet(seqBytes(1, 24))
	b.ReportAllocs()
	var sink uint16
	for b.Loop() {
		sink ^= r.Next()
	}
	_ = sink
}

func BenchmarkSipHash24_64B(b *testing.B) {
	msg := make([]byte, 64)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		SipHash24(1, 2, msg)
	}
}
