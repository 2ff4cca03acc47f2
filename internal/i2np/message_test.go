package i2np

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// Every message type survives Append → ParsePayload, and Parse with
// either header; no proper prefix of an encoding parses.
func TestMessageRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genMessage(t)
		p, err := AppendPayload(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		g, err := ParsePayload(m.MessageType(), p)
		if err != nil {
			t.Fatalf("%s: %v", TypeName(m.MessageType()), err)
		}
		if !reflect.DeepEqual(g, m) {
			t.Fatalf("%s: parsed %+v, want %+v", TypeName(m.MessageType()), g, m)
		}
		h := Header{ID: rapid.Uint32().Draw(t, "id"), Expiration: time.UnixMilli(rapid.Int64Range(1, 1<<50).Draw(t, "ms"))}
		for _, short := range []bool{false, true} {
			b, err := AppendMessage(nil, h, m, short)
			if err != nil {
				t.Fatal(err)
			}
			gh, gm, err := Parse(b, short)
			if err != nil {
				t.Fatalf("short %v: %v", short, err)
			}
			want := h
			want.Type = m.MessageType()
			if short {
				want.Expiration = timeOfSeconds(secondsOf(h.Expiration))
			} else if sb, _ := AppendStandard(nil, want, p); !bytes.Equal(sb, b) {
				t.Fatalf("AppendMessage %x, AppendStandard %x", b, sb)
			}
			if gh != want || !reflect.DeepEqual(gm, m) {
				t.Fatalf("short %v: %+v %+v", short, gh, gm)
			}
		}
		// Truncation: the short form's body length comes from outside,
		// so every proper prefix of the payload must fail on its own.
		for n := range prefixes(m, len(p)) {
			if _, err := ParsePayload(m.MessageType(), p[:n]); err == nil {
				t.Fatalf("%s: prefix %d of %d parsed", TypeName(m.MessageType()), n, len(p))
			}
		}
	})
}

// Every proper prefix of one instance of each type is refused, exhaustively.
func TestTruncatedPrefixes(t *testing.T) {
	for _, typ := range allTypes() {
		t.Run(TypeName(typ), func(t *testing.T) {
			m := rapid.Custom(genMessage).Filter(func(m Message) bool { return m.MessageType() == typ }).Example(int(typ))
			p, err := AppendPayload(nil, m)
			if err != nil {
				t.Fatal(err)
			}
			for n := range prefixes(m, len(p)) {
				if _, err := ParsePayload(typ, p[:n]); err == nil {
					t.Fatalf("prefix %d of %d parsed", n, len(p))
				}
			}
			full, _ := AppendMessage(nil, Header{ID: 1, Expiration: time.UnixMilli(1e12)}, m, false)
			for n := range len(full) {
				if _, _, err := Parse(full[:n], false); err == nil {
					t.Fatalf("message prefix %d of %d parsed", n, len(full))
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	ds := &DeliveryStatus{MsgID: 1, Timestamp: time.UnixMilli(1e12)}
	good, _ := AppendMessage(nil, Header{ID: 5, Expiration: time.UnixMilli(1e12)}, ds, false)
	unknown := bytes.Clone(good)
	unknown[0] = 99
	unknown[15] = good[15]
	short := AppendShortHeader(nil, Header{Type: 0, ID: 1})
	cases := map[string]struct {
		b     []byte
		short bool
		want  error
	}{
		"trailing":       {append(bytes.Clone(good), 0), false, ErrTrailing},
		"checksum":       {func() []byte { b := bytes.Clone(good); b[15]++; return b }(), false, ErrChecksum},
		"unknown type":   {unknown, false, ErrUnknownType},
		"type 0 short":   {short, true, ErrUnknownType},
		"oversized":      {make([]byte, MaxMessageLen+1), true, ErrTooLarge},
		"short body bad": {append(AppendShortHeader(nil, Header{Type: TypeDeliveryStatus}), 1, 2), true, ErrTruncated},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, m, err := Parse(c.b, c.short); !errors.Is(err, c.want) || m != nil {
				t.Fatalf("%v (message %v), want %v", err, m, c.want)
			}
		})
	}
}

func TestAppendMessageLimits(t *testing.T) {
	big := &Data{Payload: make([]byte, MaxMessageLen)}
	prefix := []byte("keep")
	if b, err := AppendMessage(prefix, Header{}, big, false); !errors.Is(err, ErrTooLarge) || !bytes.Equal(b, prefix) {
		t.Fatalf("%v, %d bytes", err, len(b))
	}
	// The largest short-header Data: 9 + 4 + n = 64 KiB.
	ok := &Data{Payload: make([]byte, MaxMessageLen-ShortHeaderLen-4)}
	b, err := AppendMessage(nil, Header{}, ok, true)
	if err != nil || len(b) != MaxMessageLen {
		t.Fatalf("%v, %d bytes", err, len(b))
	}
	if _, _, err := Parse(b, true); err != nil {
		t.Fatal(err)
	}
	if b, err := AppendMessage(prefix, Header{}, &VariableTunnelBuild{}, true); !errors.Is(err, ErrInvalid) || !bytes.Equal(b, prefix) {
		t.Fatalf("%v, %x", err, b)
	}
}

func TestCheckExpiration(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, c := range []struct {
		name string
		exp  time.Time
		want error
	}{
		{"zero", time.Time{}, ErrExpired},
		{"now", now, nil},
		{"a minute ago", now.Add(-ClockSkew), nil},
		{"just over a minute ago", now.Add(-ClockSkew - time.Millisecond), ErrExpired},
		{"in 60 s", now.Add(time.Minute), nil},
		{"in 3 min", now.Add(MaxFutureExpiration), nil},
		{"just over 3 min ahead", now.Add(MaxFutureExpiration + time.Millisecond), ErrFuture},
		{"in a day", now.Add(24 * time.Hour), ErrFuture},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckExpiration(c.exp, now)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("%v, want %v", err, c.want)
			}
		})
	}
}

// prefixes is how many leading proper prefixes of m's payload of length n
// must fail to parse: all of them, except that a DatabaseStore carries a
// LeaseSet to the end of its payload, with no length of its own (i2np.rst):
// the LeaseSet's parser in internal/data catches its truncation.
func prefixes(m Message, n int) int {
	if ds, ok := m.(*DatabaseStore); ok && ds.Type != StoreRouterInfo {
		return n - len(ds.Data) + 1
	}
	return n
}
