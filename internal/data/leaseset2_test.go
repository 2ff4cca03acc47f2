package data

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"pgregory.net/rapid"
)

func drawOptions(rt *rapid.T) Mapping {
	m := map[string]string{}
	for range rapid.IntRange(0, 4).Draw(rt, "nopts") {
		k := rapid.StringMatching(`[a-zA-Z0-9._]{1,12}`).Draw(rt, "key")
		m[k] = rapid.StringMatching(`[a-zA-Z0-9 .,=]{0,20}`).Draw(rt, "value")
	}
	if rapid.Bool().Draw(rt, "srv") {
		m[ServiceKey("smtp", "tcp")] = "1 86400 0 0 25 example.i2p"
	}
	return NewMapping(m)
}

// drawKeys draws 1–4 keys of known types and of an unknown one (which any
// length is fine for).
func drawKeys(rt *rapid.T) []EncryptionKey {
	var keys []EncryptionKey
	for range rapid.IntRange(1, 4).Draw(rt, "nkeys") {
		t := crypto.EncType(rapid.SampledFrom([]uint16{0, 4, 5, 6, 7, 300}).Draw(rt, "ktype"))
		n := t.PubLen()
		if !t.Known() {
			n = rapid.IntRange(0, 40).Draw(rt, "klen")
		}
		keys = append(keys, EncryptionKey{Type: t, Key: drawBytes(rt, n, "key")})
	}
	return keys
}

// drawHeader draws a header for one of dests and returns the key that
// must sign the LeaseSet.
func drawHeader(rt *rapid.T, dests []testDest) (LeaseSet2Header, crypto.Signer) {
	d := dests[rapid.IntRange(0, len(dests)-1).Draw(rt, "dest")]
	h := LeaseSet2Header{
		Destination: d.dest,
		Published:   Seconds(rapid.Uint32().Draw(rt, "published")),
		Expires:     rapid.Uint16().Draw(rt, "expires"),
		Flags:       rapid.SampledFrom([]uint16{0, FlagUnpublished, FlagBlindedWhenPublished | FlagUnpublished}).Draw(rt, "flags"),
	}
	if !rapid.Bool().Draw(rt, "offline") {
		return h, d.signer
	}
	tt := rapid.SampledFrom([]crypto.SigType{crypto.SigEdDSASHA512, crypto.SigRedDSASHA512}).Draw(rt, "ttype")
	ts, err := crypto.GenerateSigner(tt, bytes.NewReader(drawBytes(rt, 64, "tseed")))
	if err != nil {
		rt.Fatal(err)
	}
	o, err := NewOfflineSignature(d.signer, Seconds(rapid.Uint32().Draw(rt, "texp")), tt, ts.Public())
	if err != nil {
		rt.Fatal(err)
	}
	h.Offline = &o
	return h, ts
}

func drawLeaseSet2(rt *rapid.T, dests []testDest) (*LeaseSet2, crypto.Signer) {
	h, s := drawHeader(rt, dests)
	ls := &LeaseSet2{LeaseSet2Header: h, Options: drawOptions(rt), Keys: drawKeys(rt)}
	for range rapid.IntRange(1, maxLeases).Draw(rt, "nleases") {
		ls.Leases = append(ls.Leases, drawLease2(rt))
	}
	return ls, s
}

func TestLeaseSet2RoundTrip(t *testing.T) {
	dests := testDests(t)
	rapid.Check(t, func(rt *rapid.T) {
		ls, s := drawLeaseSet2(rt, dests)
		if err := ls.Sign(s); err != nil {
			rt.Fatal(err)
		}
		got, err := ParseLeaseSet2(ls.Bytes())
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
		// A few random one-byte changes must break parse or signature.
		for range 3 {
			i := rapid.IntRange(0, len(ls.Bytes())-1).Draw(rt, "flip")
			c := bytes.Clone(ls.Bytes())
			c[i] ^= 0x80
			if p, err := ParseLeaseSet2(c); err == nil && p.Verify() == nil {
				rt.Fatalf("byte %d changed, still verifies", i)
			}
		}
	})
}

// fixedLeaseSet2 is a LeaseSet2 exercising every optional part.
func fixedLeaseSet2(t testing.TB, d testDest, offline bool) (*LeaseSet2, crypto.Signer) {
	t.Helper()
	ls := &LeaseSet2{
		LeaseSet2Header: LeaseSet2Header{Destination: d.dest, Published: 1_767_225_600, Expires: 600, Flags: FlagBlindedWhenPublished},
		Options:         NewMapping(map[string]string{"_smtp._tcp": "0 86400 25", "a": "b"}),
		Keys: []EncryptionKey{
			{Type: crypto.EncMLKEM768X25519, Key: bytes.Repeat([]byte{6}, 32)},
			{Type: crypto.EncX25519, Key: bytes.Repeat([]byte{4}, 32)},
			{Type: 999, Key: []byte("future")},
		},
	}
	for i := range 3 {
		ls.Leases = append(ls.Leases, Lease2{Gateway: Hash{byte(i)}, TunnelID: TunnelID(i + 1), End: Seconds(1_767_226_000 + i)})
	}
	s := d.signer
	if offline {
		ts, o := newTransient(t, d, crypto.SigEdDSASHA512, 1_800_000_000, 9)
		ls.Offline, s = &o, ts
	}
	if err := ls.Sign(s); err != nil {
		t.Fatal(err)
	}
	return ls, s
}

func TestLeaseSet2Rejects(t *testing.T) {
	for _, d := range testDests(t) {
		for _, offline := range []bool{false, true} {
			name := d.dest.SigType().String()
			if offline {
				name += "/offline"
			}
			t.Run(name, func(t *testing.T) {
				ls, _ := fixedLeaseSet2(t, d, offline)
				b := ls.Bytes()
				checkTruncations(t, b, func(b []byte) error { _, err := ParseLeaseSet2(b); return err })
				checkFlips(t, b, allPositions(len(b)), func(b []byte) error {
					ls, err := ParseLeaseSet2(b)
					if err != nil {
						return err
					}
					return ls.Verify()
				})
				if _, err := ParseLeaseSet2(append(bytes.Clone(b), 0)); err == nil {
					t.Error("trailing byte accepted")
				}
			})
		}
	}
}

func TestLeaseSet2Fields(t *testing.T) {
	d := testDests(t)[0]
	ls, _ := fixedLeaseSet2(t, d, true)
	got, err := ParseLeaseSet2(ls.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got.Flags != FlagOfflineKeys|FlagUnpublished|FlagBlindedWhenPublished {
		t.Errorf("flags %#x: blinded must imply unpublished, offline set from Offline", got.Flags)
	}
	if !got.Unpublished() || !got.BlindedWhenPublished() {
		t.Error("flag accessors")
	}
	if want := time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC); !got.Expiration().Equal(want) {
		t.Errorf("Expiration %v, want %v", got.Expiration(), want)
	}
	if k, ok := got.Key(crypto.EncX25519); !ok || k[0] != 4 {
		t.Error("Key(X25519)")
	}
	if k, _ := got.Keys[2], 0; k.Type != 999 || string(k.Key) != "future" {
		t.Errorf("unknown key not preserved: %+v", k)
	}
	if got.Hash() != d.dest.Hash() || got.StoreType() != StoreLeaseSet2 {
		t.Error("Hash or StoreType")
	}
	recs, err := got.ServiceRecords("smtp", "tcp")
	if err != nil || len(recs) != 1 || !recs[0].Self || recs[0].Port != 25 {
		t.Errorf("service records %+v %v", recs, err)
	}
}

func TestLeaseSet2SignRejects(t *testing.T) {
	d := testDests(t)[0]
	base := func() *LeaseSet2 {
		ls, _ := fixedLeaseSet2(t, d, false)
		return ls
	}
	cases := []struct {
		name   string
		mutate func(*LeaseSet2)
	}{
		{"no leases", func(ls *LeaseSet2) { ls.Leases = nil }},
		{"17 leases", func(ls *LeaseSet2) { ls.Leases = make([]Lease2, 17) }},
		{"no keys", func(ls *LeaseSet2) { ls.Keys = nil }},
		{"short X25519 key", func(ls *LeaseSet2) { ls.Keys[1].Key = ls.Keys[1].Key[:31] }},
		{"reserved flag", func(ls *LeaseSet2) { ls.Flags |= 1 << 9 }},
		{"no destination", func(ls *LeaseSet2) { ls.Destination = Destination{} }},
		{"offline but destination key", func(ls *LeaseSet2) {
			_, o := newTransient(t, d, crypto.SigEdDSASHA512, 1, 3)
			ls.Offline = &o
		}},
		{"offline signature by another key", func(ls *LeaseSet2) {
			_, o := newTransient(t, testDests(t)[1], crypto.SigEdDSASHA512, 1, 3)
			ls.Offline = &o
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ls := base()
			c.mutate(ls)
			if err := ls.Sign(d.signer); err == nil {
				t.Fatal("signed")
			}
		})
	}
}

// TestLeaseSet2Lenient: a LeaseSet2 with no leases and no keys parses and
// verifies (the field ranges allow 0), though Sign refuses to make one.
func TestLeaseSet2Lenient(t *testing.T) {
	d := testDests(t)[0]
	ls := &LeaseSet2{LeaseSet2Header: LeaseSet2Header{Destination: d.dest, Published: 5}}
	body, err := ls.appendBody(nil)
	if err != nil {
		t.Fatal(err)
	}
	sig, raw, err := signLS2(StoreLeaseSet2, &ls.LeaseSet2Header, body, d.signer)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseLeaseSet2(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(); err != nil || !bytes.Equal(got.Signature, sig) {
		t.Fatal(err)
	}
	// A known key type with another length is malformed.
	bad := &LeaseSet2{LeaseSet2Header: ls.LeaseSet2Header, Keys: []EncryptionKey{{Type: 999, Key: make([]byte, 31)}}}
	body, _ = bad.appendBody(nil)
	i := bytes.Index(body, []byte{0x03, 0xE7, 0, 31})
	body[i], body[i+1] = 0, 4 // type 999 -> X25519, length still 31
	_, raw, _ = signLS2(StoreLeaseSet2, &ls.LeaseSet2Header, body, d.signer)
	var pe *ParseError
	if _, err := ParseLeaseSet2(raw); !errors.As(err, &pe) || pe.Field != "keys" || !errors.Is(err, ErrInvalid) {
		t.Errorf("31-byte X25519 key: %v", err)
	}
}

func FuzzParseLeaseSet2(f *testing.F) {
	for _, d := range testDests(f) {
		for _, offline := range []bool{false, true} {
			ls, _ := fixedLeaseSet2(f, d, offline)
			f.Add(ls.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ls, err := ParseLeaseSet2(b)
		if err != nil {
			return
		}
		if !bytes.Equal(ls.Bytes(), b) {
			t.Fatal("Bytes differs from input")
		}
		_ = ls.Verify()
		// appendBody sorts the options in place, so look first.
		sorted := slices.IsSortedFunc(ls.Options.pairs, func(x, y Pair) int { return javaCompare(x.Key, y.Key) })
		body, err := ls.appendBody(nil)
		if err != nil {
			return // e.g. a key containing '=', which only Append refuses
		}
		if sorted && !bytes.Equal(append(body, ls.Signature...), b) {
			t.Fatal("re-encoding of a sorted LeaseSet2 differs")
		}
	})
}
