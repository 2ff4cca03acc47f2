package i2np

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestDeliveryStatusKnownAnswer(t *testing.T) {
	// The SSU-era "session established" form: random id, time stamp 2
	// (i2np.rst, DeliveryStatus notes).
	b, _ := hex.DecodeString("cafebabe0000000000000002")
	m, err := ParseDeliveryStatus(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.MsgID != 0xcafebabe || !m.Timestamp.Equal(time.UnixMilli(2)) {
		t.Fatalf("%+v", m)
	}
	if !bytes.Equal(m.Append(nil), b) {
		t.Fatal("re-encoding differs")
	}
	for n := range len(b) {
		if _, err := ParseDeliveryStatus(b[:n]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("prefix %d: %v", n, err)
		}
	}
	if _, err := ParseDeliveryStatus(append(b, 0)); !errors.Is(err, ErrTrailing) {
		t.Fatalf("trailing: %v", err)
	}
}

func TestDeliveryStatusRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := DeliveryStatus{MsgID: rapid.Uint32().Draw(t, "id")}
		if ms := rapid.Int64Range(0, 1<<60).Draw(t, "ms"); ms != 0 {
			m.Timestamp = time.UnixMilli(ms)
		}
		b := m.Append(nil)
		if len(b) != DeliveryStatusLen {
			t.Fatalf("%d bytes", len(b))
		}
		g, err := ParseDeliveryStatus(b)
		if err != nil || g != m {
			t.Fatalf("%+v != %+v (%v)", g, m, err)
		}
	})
}

func FuzzParseDeliveryStatus(f *testing.F) {
	f.Add(DeliveryStatus{MsgID: 1, Timestamp: time.UnixMilli(1e12)}.Append(nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseDeliveryStatus(b)
		if err != nil {
			return
		}
		if !bytes.Equal(m.Append(nil), b) {
			t.Fatalf("re-encoded %x from %x", m.Append(nil), b)
		}
	})
}
