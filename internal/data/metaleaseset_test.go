package data

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"pgregory.net/rapid"
)

func drawMetaLeaseSet(rt *rapid.T, dests []testDest) (*MetaLeaseSet, crypto.Signer) {
	h, s := drawHeader(rt, dests)
	ls := &MetaLeaseSet{LeaseSet2Header: h, Options: drawOptions(rt)}
	for range rapid.IntRange(1, 20).Draw(rt, "nleases") {
		ls.Leases = append(ls.Leases, MetaLease{
			Hash:  drawHash(rt, "hash"),
			Flags: rapid.Uint32Range(0, 0xFFFFFF).Draw(rt, "flags"),
			Cost:  rapid.Uint8().Draw(rt, "cost"),
			End:   Seconds(rapid.Uint32().Draw(rt, "end")),
		})
	}
	for range rapid.IntRange(0, 5).Draw(rt, "nrev") {
		ls.Revocations = append(ls.Revocations, drawHash(rt, "rev"))
	}
	return ls, s
}

func TestMetaLeaseSetRoundTrip(t *testing.T) {
	dests := testDests(t)
	rapid.Check(t, func(rt *rapid.T) {
		ls, s := drawMetaLeaseSet(rt, dests)
		if err := ls.Sign(s); err != nil {
			rt.Fatal(err)
		}
		got, err := ParseMetaLeaseSet(ls.Bytes())
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

func fixedMetaLeaseSet(t testing.TB, d testDest, offline bool) *MetaLeaseSet {
	t.Helper()
	ls := &MetaLeaseSet{
		LeaseSet2Header: LeaseSet2Header{Destination: d.dest, Published: 1_767_225_600, Expires: 65535},
		Options:         NewMapping(map[string]string{"x": "y"}),
		Leases: []MetaLease{
			{Hash: Hash{1}, Flags: uint32(StoreLeaseSet2), Cost: 10, End: 1_767_300_000},
			{Hash: Hash{2}, Flags: 0xABC000 | uint32(StoreMetaLeaseSet), Cost: 0, End: 1_767_300_001},
		},
		Revocations: []Hash{{9}},
	}
	s := d.signer
	if offline {
		ts, o := newTransient(t, d, crypto.SigRedDSASHA512, 1_800_000_000, 4)
		ls.Offline, s = &o, ts
	}
	if err := ls.Sign(s); err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestMetaLeaseSetRejects(t *testing.T) {
	for _, d := range testDests(t) {
		for _, offline := range []bool{false, true} {
			ls := fixedMetaLeaseSet(t, d, offline)
			b := ls.Bytes()
			checkTruncations(t, b, func(b []byte) error { _, err := ParseMetaLeaseSet(b); return err })
			checkFlips(t, b, allPositions(len(b)), func(b []byte) error {
				ls, err := ParseMetaLeaseSet(b)
				if err != nil {
					return err
				}
				return ls.Verify()
			})
			// The type byte differs from LeaseSet2's, so a MetaLeaseSet
			// signature is not a LeaseSet2 signature.
			if err := verifyLS2(StoreLeaseSet2, &ls.LeaseSet2Header, ls.raw, ls.Signature); err == nil {
				t.Error("MetaLeaseSet signature verified as a LeaseSet2's")
			}
		}
	}
	d := testDests(t)[0]
	ls := fixedMetaLeaseSet(t, d, false)
	if ls.Leases[1].Type() != StoreMetaLeaseSet || ls.Leases[0].Type() != StoreLeaseSet2 {
		t.Error("MetaLease.Type")
	}
	ls.Leases = nil
	if err := ls.Sign(d.signer); err == nil {
		t.Error("signed with no leases")
	}
	ls.Leases = []MetaLease{{Flags: 1 << 24}}
	if err := ls.Sign(d.signer); err == nil {
		t.Error("signed 25-bit flags")
	}
}

func FuzzParseMetaLeaseSet(f *testing.F) {
	for _, d := range testDests(f) {
		for _, offline := range []bool{false, true} {
			f.Add(fixedMetaLeaseSet(f, d, offline).Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ls, err := ParseMetaLeaseSet(b)
		if err != nil {
			return
		}
		if !bytes.Equal(ls.Bytes(), b) {
			t.Fatal("Bytes differs from input")
		}
		_ = ls.Verify()
		sorted := slices.IsSortedFunc(ls.Options.pairs, func(x, y Pair) int { return javaCompare(x.Key, y.Key) })
		body, err := ls.appendBody(nil)
		if err != nil {
			return
		}
		if sorted && !bytes.Equal(append(body, ls.Signature...), b) {
			t.Fatal("re-encoding of a sorted MetaLeaseSet differs")
		}
	})
}
