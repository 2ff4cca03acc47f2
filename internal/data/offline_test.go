package data

import (
	"bytes"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"pgregory.net/rapid"
)

// newTransient makes a transient key and its offline signature by d.
func newTransient(t testing.TB, d testDest, tt crypto.SigType, expires Seconds, seed byte) (crypto.Signer, OfflineSignature) {
	t.Helper()
	ts, err := crypto.GenerateSigner(tt, testRand(seed))
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOfflineSignature(d.signer, expires, tt, ts.Public())
	if err != nil {
		t.Fatal(err)
	}
	return ts, o
}

func TestOfflineSignature(t *testing.T) {
	for _, d := range testDests(t) {
		for _, tt := range []crypto.SigType{crypto.SigEdDSASHA512, crypto.SigRedDSASHA512} {
			t.Run(d.dest.SigType().String()+"/"+tt.String(), func(t *testing.T) {
				_, o := newTransient(t, d, tt, 1_800_000_000, 7)
				b := o.Append([]byte{0xEE})[1:]
				if len(b) != o.Len() || o.Len() != 6+32+64 {
					t.Fatalf("length %d / Len %d", len(b), o.Len())
				}
				got, rest, err := ParseOfflineSignature(append(bytes.Clone(b), 1, 2), d.dest.SigType())
				if err != nil || !got.Equal(o) || !bytes.Equal(rest, []byte{1, 2}) {
					t.Fatalf("parse: %v %v", got, err)
				}
				pub := d.dest.SigningPublicKey()
				if err := got.Verify(d.dest.SigType(), pub); err != nil {
					t.Fatal(err)
				}
				checkTruncations(t, b, func(b []byte) error { _, _, err := ParseOfflineSignature(b, d.dest.SigType()); return err })
				checkFlips(t, b, allPositions(len(b)), func(b []byte) error {
					o, _, err := ParseOfflineSignature(b, d.dest.SigType())
					if err != nil {
						return err
					}
					return o.Verify(d.dest.SigType(), pub)
				})
				other := testDests(t)[0]
				if err := got.Verify(other.dest.SigType(), other.dest.SigningPublicKey()); err == nil && other.dest.Hash() != d.dest.Hash() {
					t.Error("verified with another key")
				}
			})
		}
	}
}

func TestOfflineSignatureExpired(t *testing.T) {
	o := OfflineSignature{Expires: SecondsOf(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))}
	if o.Expired(time.Date(2029, 12, 31, 23, 59, 59, 0, time.UTC)) {
		t.Error("expired a second early")
	}
	if !o.Expired(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("not expired at its expiry")
	}
}

func TestOfflineSignatureRejects(t *testing.T) {
	d := testDests(t)[0]
	if _, err := NewOfflineSignature(d.signer, 1, crypto.SigEdDSASHA512, make([]byte, 31)); err == nil {
		t.Error("short transient key accepted")
	}
	// Unknown transient type: nothing after it can be located.
	b := []byte{0, 0, 0, 1, 0x12, 0x34}
	b = append(b, make([]byte, 96)...)
	if _, _, err := ParseOfflineSignature(b, crypto.SigEdDSASHA512); err == nil {
		t.Error("unknown transient type accepted")
	}
}

func TestSeconds(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		s := Seconds(rapid.Uint32().Draw(rt, "s"))
		if SecondsOf(s.Time()) != s {
			rt.Fatalf("%d does not round-trip", s)
		}
	})
	if SecondsOf(time.Unix(-5, 0)) != 0 || SecondsOf(time.Unix(1<<33, 0)) != 0xFFFFFFFF {
		t.Error("out-of-range times not clamped")
	}
}
