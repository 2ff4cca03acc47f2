package data

import (
	"bytes"
	"io"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"pgregory.net/rapid"
)

// Shared helpers for the LeaseSet family's tests.

// testRand is a deterministic reader for key generation and padding.
func testRand(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// testDest is a Destination with its signing key.
type testDest struct {
	signer crypto.Signer
	dest   Destination
}

func newTestDest(t testing.TB, st crypto.SigType, seed byte) testDest {
	t.Helper()
	r := testRand(seed)
	s, err := crypto.GenerateSigner(st, r)
	if err != nil {
		t.Fatal(err)
	}
	enc := make([]byte, 256)
	io.ReadFull(r, enc)
	d, err := NewKeysAndCert(crypto.EncElGamal, enc, st, s.Public(), r)
	if err != nil {
		t.Fatal(err)
	}
	return testDest{s, d}
}

// testDests are the two signing types veil can sign with.
func testDests(t testing.TB) []testDest {
	return []testDest{newTestDest(t, crypto.SigEdDSASHA512, 1), newTestDest(t, crypto.SigRedDSASHA512, 2)}
}

// drawBytes draws n bytes, never nil, so that DeepEqual matches what the
// parsers return.
func drawBytes(rt *rapid.T, n int, label string) []byte {
	return append(make([]byte, 0, n), rapid.SliceOfN(rapid.Byte(), n, n).Draw(rt, label)...)
}

func drawHash(rt *rapid.T, label string) Hash {
	var h Hash
	copy(h[:], drawBytes(rt, 32, label))
	return h
}

func drawLease(rt *rapid.T) Lease {
	return Lease{Gateway: drawHash(rt, "gw"), TunnelID: TunnelID(rapid.Uint32().Draw(rt, "tid")), End: Date(rapid.Uint64().Draw(rt, "end"))}
}

func drawLease2(rt *rapid.T) Lease2 {
	return Lease2{Gateway: drawHash(rt, "gw"), TunnelID: TunnelID(rapid.Uint32().Draw(rt, "tid")), End: Seconds(rapid.Uint32().Draw(rt, "end"))}
}

// checkTruncations requires every proper prefix of b to fail to parse.
func checkTruncations(t testing.TB, b []byte, parse func([]byte) error) {
	t.Helper()
	for n := range len(b) {
		if err := parse(b[:n]); err == nil {
			t.Fatalf("prefix of %d/%d bytes parsed", n, len(b))
		}
	}
}

// checkFlips requires that changing any one byte at the given positions
// makes parse-then-verify fail.
func checkFlips(t testing.TB, b []byte, positions []int, parseVerify func([]byte) error) {
	t.Helper()
	for _, i := range positions {
		c := bytes.Clone(b)
		c[i] ^= 0x5A
		if err := parseVerify(c); err == nil {
			t.Fatalf("byte %d/%d changed, still verifies", i, len(b))
		}
	}
}

func allPositions(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

func TestLeaseRoundTrip(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		l := drawLease(rt)
		b := l.Append(nil)
		if len(b) != LeaseLen {
			rt.Fatalf("lease is %d bytes", len(b))
		}
		got, rest, err := ParseLease(append(b, 9))
		if err != nil || got != l || !bytes.Equal(rest, []byte{9}) {
			rt.Fatalf("got %v %v %v, want %v", got, rest, err, l)
		}
		l2 := drawLease2(rt)
		b = l2.Append(nil)
		if len(b) != Lease2Len {
			rt.Fatalf("lease2 is %d bytes", len(b))
		}
		got2, _, err := ParseLease2(b)
		if err != nil || got2 != l2 {
			rt.Fatalf("got %v %v, want %v", got2, err, l2)
		}
	})
	if _, _, err := ParseLease(make([]byte, 43)); err == nil {
		t.Error("43-byte lease parsed")
	}
	if _, _, err := ParseLease2(make([]byte, 39)); err == nil {
		t.Error("39-byte lease2 parsed")
	}
}

func drawLeaseSet(rt *rapid.T, d testDest) *LeaseSet {
	ls := &LeaseSet{Destination: d.dest, EncryptionKey: drawBytes(rt, 256, "enc")}
	if rapid.Bool().Draw(rt, "sigkey") {
		ls.SigningKey = drawBytes(rt, d.dest.SigType().PubLen(), "sigkey")
	}
	n := rapid.IntRange(0, maxLeases).Draw(rt, "n")
	for range n {
		ls.Leases = append(ls.Leases, drawLease(rt))
	}
	return ls
}

func TestLeaseSetRoundTrip(t *testing.T) {
	dests := testDests(t)
	rapid.Check(t, func(rt *rapid.T) {
		d := dests[rapid.IntRange(0, 1).Draw(rt, "dest")]
		ls := drawLeaseSet(rt, d)
		if err := ls.Sign(d.signer); err != nil {
			rt.Fatal(err)
		}
		got, err := ParseLeaseSet(ls.Bytes())
		if err != nil {
			rt.Fatal(err)
		}
		if !reflect.DeepEqual(got, ls) {
			rt.Fatalf("parsed %+v\nsigned %+v", got, ls)
		}
		if err := got.Verify(); err != nil {
			rt.Fatal(err)
		}
		body, err := got.appendBody(nil)
		if err != nil || !bytes.Equal(append(body, got.Signature...), ls.Bytes()) {
			rt.Fatalf("re-encoding differs (%v)", err)
		}
	})
}

func TestLeaseSetRejects(t *testing.T) {
	d := testDests(t)[0]
	ls := &LeaseSet{Destination: d.dest, EncryptionKey: make([]byte, 256)}
	for i := range 3 {
		ls.Leases = append(ls.Leases, Lease{TunnelID: TunnelID(i), End: Date(1000 + i)})
	}
	if err := ls.Sign(d.signer); err != nil {
		t.Fatal(err)
	}
	b := ls.Bytes()
	checkTruncations(t, b, func(b []byte) error { _, err := ParseLeaseSet(b); return err })
	checkFlips(t, b, allPositions(len(b)), func(b []byte) error {
		ls, err := ParseLeaseSet(b)
		if err != nil {
			return err
		}
		return ls.Verify()
	})
	if _, err := ParseLeaseSet(append(bytes.Clone(b), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	// 17 leases: the count byte sits right after the signing key.
	c := bytes.Clone(b)
	c[d.dest.Len()+256+32] = 17
	if _, err := ParseLeaseSet(c); err == nil {
		t.Error("17 leases accepted")
	}
	if got, want := ls.Earliest(), Date(1000); got != want {
		t.Errorf("Earliest = %d, want %d", got, want)
	}
	if got, want := ls.Latest(), Date(1002); got != want {
		t.Errorf("Latest = %d, want %d", got, want)
	}
	other := testDests(t)[1]
	if err := ls.Sign(other.signer); err == nil {
		t.Error("signed with another Destination's key")
	}
}

func FuzzParseLeaseSet(f *testing.F) {
	d := testDests(f)[0]
	for n := range 3 {
		ls := &LeaseSet{Destination: d.dest, EncryptionKey: make([]byte, 256)}
		for i := range n * 4 {
			ls.Leases = append(ls.Leases, Lease{TunnelID: TunnelID(i), End: Date(i)})
		}
		if err := ls.Sign(d.signer); err != nil {
			f.Fatal(err)
		}
		f.Add(ls.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ls, err := ParseLeaseSet(b)
		if err != nil {
			return
		}
		if !bytes.Equal(ls.Bytes(), b) {
			t.Fatal("Bytes differs from input")
		}
		body, err := ls.appendBody(nil)
		if err != nil || !bytes.Equal(append(body, ls.Signature...), b) {
			t.Fatalf("re-encoding differs (%v)", err)
		}
		_ = ls.Verify()
	})
}
