package tunnel

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2np"
)

// hexTestdata reads a hex file of testdata/ (line breaks ignored).
func hexTestdata(t testing.TB, name string) []byte {
	t.Helper()
	s, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(s)), ""))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// katLayerInput is the plaintext of testdata/layer-kat.hex: IV 40 41 … 4f,
// data byte i = 7i+3.
func katLayerInput() *[i2np.TunnelDataLen]byte {
	var m [i2np.TunnelDataLen]byte
	copy(m[:], seq(0x40, ivLen))
	for i := range dataLen {
		m[ivLen+i] = byte(i*7 + 3)
	}
	return &m
}

// TestLayerKnownAnswer checks one hop's encryption against a vector made
// with the openssl command line from the spec's three steps, layer key
// 00…1f, IV key 20…3f:
//
//	openssl enc -aes-256-ecb -nopad -K $IVKEY -in iv -out iv1
//	openssl enc -aes-256-cbc -nopad -K $LAYERKEY -iv $(xxd -p iv1) -in data -out data1
//	openssl enc -aes-256-ecb -nopad -K $IVKEY -in iv1 -out iv2
//	cat iv2 data1 > layer-kat
func TestLayerKnownAnswer(t *testing.T) {
	want := hexTestdata(t, "layer-kat.hex")
	l := NewLayer([32]byte(seq(0, 32)), [32]byte(seq(0x20, 32)))
	m := katLayerInput()
	l.Encrypt(m)
	if !bytes.Equal(m[:], want) {
		t.Fatalf("Encrypt:\n got %x\nwant %x", m[:48], want[:48])
	}
	l.Decrypt(m)
	if *m != *katLayerInput() {
		t.Fatal("Decrypt does not undo Encrypt")
	}
}

// refEncrypt is the spec's hop operation written with the standard
// library's CBC mode, as a second implementation to compare with.
func refEncrypt(layerKey, ivKey []byte, m *[i2np.TunnelDataLen]byte) {
	lb, _ := aes.NewCipher(layerKey)
	ib, _ := aes.NewCipher(ivKey)
	ib.Encrypt(m[:16], m[:16])
	cipher.NewCBCEncrypter(lb, m[:16]).CryptBlocks(m[16:], m[16:])
	ib.Encrypt(m[:16], m[:16])
}

func refDecrypt(layerKey, ivKey []byte, m *[i2np.TunnelDataLen]byte) {
	lb, _ := aes.NewCipher(layerKey)
	ib, _ := aes.NewCipher(ivKey)
	ib.Decrypt(m[:16], m[:16])
	cipher.NewCBCDecrypter(lb, m[:16]).CryptBlocks(m[16:], m[16:])
	ib.Decrypt(m[:16], m[:16])
}

func TestLayerMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		var lk, ik [32]byte
		var m [i2np.TunnelDataLen]byte
		fill(r, lk[:], ik[:], m[:])
		l := NewLayer(lk, ik)
		got, want := m, m
		l.Encrypt(&got)
		refEncrypt(lk[:], ik[:], &want)
		if got != want {
			t.Fatal("Encrypt differs from the reference")
		}
		l.Decrypt(&got)
		refDecrypt(lk[:], ik[:], &want)
		if got != want || got != m {
			t.Fatal("Decrypt differs from the reference")
		}
	}
}

func fill(r *rand.Rand, bs ...[]byte) {
	for _, b := range bs {
		for i := range b {
			b[i] = byte(r.Uint32())
		}
	}
}

func testLayers(r *rand.Rand, n int) []*Layer {
	hops := make([]*Layer, n)
	for i := range hops {
		var lk, ik [32]byte
		fill(r, lk[:], ik[:])
		hops[i] = NewLayer(lk, ik)
	}
	return hops
}

// TestDecryptLayers runs both tunnel directions: the outbound gateway's
// pre-decryption undone by the hops in path order, and the hops'
// encryption in path order undone by the inbound creator.
func TestDecryptLayers(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 8; n++ {
		hops := testLayers(r, n)
		var plain [i2np.TunnelDataLen]byte
		fill(r, plain[:])

		m := plain
		DecryptLayers(hops, &m)
		for _, h := range hops {
			if m == plain {
				t.Fatalf("%d hops: plaintext visible before the endpoint", n)
			}
			h.Encrypt(&m)
		}
		if m != plain {
			t.Fatalf("%d hops: outbound endpoint does not see the plaintext", n)
		}

		for _, h := range hops {
			h.Encrypt(&m)
		}
		DecryptLayers(hops, &m)
		if m != plain {
			t.Fatalf("%d hops: inbound creator does not recover the plaintext", n)
		}
	}
}

func TestLayerAllocs(t *testing.T) {
	l := NewLayer([32]byte{1}, [32]byte{2})
	m := new([i2np.TunnelDataLen]byte)
	key := new([16]byte)
	if a := testing.AllocsPerRun(100, func() { l.Encrypt(m); l.Decrypt(m); DupKey(key, m) }); a != 0 {
		t.Fatalf("%v allocations per run", a)
	}
}

func TestDupKey(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var m [i2np.TunnelDataLen]byte
	fill(r, m[:])
	k1, k2 := [16]byte{1}, [16]byte{2}
	if DupKey(&k1, &m) == DupKey(&k2, &m) {
		t.Fatal("key does not change the hash")
	}
	// Only IV XOR the first block counts: swapping them, or changing
	// later blocks, keeps the key.
	s := m
	copy(s[:16], m[16:32])
	copy(s[16:32], m[:16])
	s[100] ^= 1
	if DupKey(&k1, &s) != DupKey(&k1, &m) {
		t.Fatal("swapping IV and first block changed the key")
	}
	s[20] ^= 1
	if DupKey(&k1, &s) == DupKey(&k1, &m) {
		t.Fatal("changing the first block kept the key")
	}

	f := NewDupFilter(k1, 0, 0)
	now := time.Unix(1e9, 0)
	if f.Seen(&m, now) {
		t.Fatal("first body seen")
	}
	if !f.Seen(&m, now.Add(DefaultDupPeriod)) {
		t.Fatal("replay within a period not seen")
	}
	if f.Seen(&s, now) {
		t.Fatal("other body seen")
	}
}

func BenchmarkLayerEncrypt(b *testing.B) { benchLayer(b, (*Layer).Encrypt) }
func BenchmarkLayerDecrypt(b *testing.B) { benchLayer(b, (*Layer).Decrypt) }

func benchLayer(b *testing.B, op func(*Layer, *[i2np.TunnelDataLen]byte)) {
	l := NewLayer([32]byte{1}, [32]byte{2})
	m := new([i2np.TunnelDataLen]byte)
	b.SetBytes(i2np.TunnelDataLen)
	b.ReportAllocs()
	for b.Loop() {
		op(l, m)
	}
}

func BenchmarkDupFilter(b *testing.B) {
	f := NewDupFilter([16]byte{1}, 0, 1<<16)
	m := new([i2np.TunnelDataLen]byte)
	now := time.Unix(1e9, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m[0], m[1] = byte(i), byte(i>>8)
		f.Seen(m, now)
	}
}
