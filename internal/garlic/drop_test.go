package garlic

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// TestDropped: replayed, truncated, altered, wrongly keyed and oversized
// messages of every kind are refused with an error, never a panic, and
// leave the sessions working.
func TestDropped(t *testing.T) {
	for _, typ := range []crypto.EncType{crypto.EncX25519, crypto.EncMLKEM768X25519} {
		t.Run(typ.String(), func(t *testing.T) {
			a, b, c := newNode(t, typ), newNode(t, typ), newNode(t, typ)
			ns, err := a.e.Encrypt(t0, b.remote, dataClove("ns"))
			if err != nil {
				t.Fatal(err)
			}
			checkDropped(t, b, ns.Body, c)
			if _, err := b.e.Decrypt(t0, ns.Body); !errors.Is(err, ErrReplay) {
				t.Fatalf("replayed NS: %v", err)
			}
			nsr, err := b.e.Encrypt(t0, a.remote, dataClove("nsr"))
			if err != nil {
				t.Fatal(err)
			}
			checkDropped(t, a, nsr.Body, c)
			es, err := a.e.Encrypt(t0, b.remote, dataClove("es"))
			if err != nil {
				t.Fatal(err)
			}
			checkDropped(t, b, es.Body, c)
			if _, err := b.e.Decrypt(t0, es.Body); err == nil {
				t.Fatal("replayed ES opened")
			}
			for i := range 5 {
				send(t, a, b, t0, fmt.Sprint(i))
				send(t, b, a, t0, fmt.Sprint(i))
			}
		})
	}
}

// checkDropped feeds to n corrupted forms of body (a valid message for
// n), then body itself, which must still open; and body to the wrong
// engine, which must not.
func checkDropped(t *testing.T, n *node, body []byte, wrong *node) {
	t.Helper()
	var bad [][]byte
	for _, l := range []int{0, 1, 7, 8, 23, 24, 40, 71, 72, 95, 96, len(body) - 1} {
		if l < len(body) {
			bad = append(bad, body[:l])
		}
	}
	for _, i := range []int{0, 8, 31, 32, 40, 48, 60, 100, len(body) - 17, len(body) - 1} {
		if i < len(body) {
			x := bytes.Clone(body)
			x[i] ^= 0x10
			bad = append(bad, x)
		}
	}
	bad = append(bad, append(bytes.Clone(body), 0), append(bytes.Clone(body), make([]byte, maxBody)...))
	for i, x := range bad {
		if _, err := n.e.Decrypt(t0, x); err == nil {
			t.Fatalf("corrupted message %d (%d bytes) opened", i, len(x))
		}
	}
	if _, err := wrong.e.Decrypt(t0, body); err == nil {
		t.Fatal("opened by the wrong engine")
	}
	if _, err := n.e.Decrypt(t0, body); err != nil {
		t.Fatalf("genuine message after corrupted copies: %v", err)
	}
}

// TestStaleNS: a New Session dated outside -5/+2 minutes is refused.
func TestStaleNS(t *testing.T) {
	a, b := newNode(t), newNode(t)
	for _, d := range []time.Duration{-6 * time.Minute, 3 * time.Minute} {
		s, err := a.e.Encrypt(t0.Add(d), b.remote, dataClove("old"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.e.Decrypt(t0, s.Body); !errors.Is(err, ErrReplay) {
			t.Errorf("NS dated %v: %v", d, err)
		}
	}
	if st := b.e.Stats(); st.Replayed != 2 || st.Dropped != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestOversized: a message over the I2NP limit is refused at both ends.
func TestOversized(t *testing.T) {
	a, b := newNode(t), newNode(t)
	big := dataClove(string(make([]byte, maxBlockData-20)))
	if _, err := a.e.Encrypt(t0, b.remote, big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("encrypt oversized: %v", err)
	}
	if _, err := b.e.Decrypt(t0, make([]byte, maxBody+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("decrypt oversized: %v", err)
	}
}

// TestNSFlood: a flood of New Sessions from many keys and repeated ones
// from one key keeps the engine within its limits, and an established
// session survives it.
func TestNSFlood(t *testing.T) {
	lim := Limits{Peers: 64, Tags: 4096, InboundNS: 2}
	b := newNodeCfg(t, Config{Limits: lim})
	a := newNode(t)
	establish(t, a, b, t0)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	attackers := make([]*node, 8)
	for i := range attackers {
		attackers[i] = newNode(t)
	}
	for i := range 600 {
		x := attackers[i%len(attackers)]
		if i%3 == 0 {
			x = newNode(t) // a fresh key
		}
		s, err := x.e.Encrypt(t0, b.remote, dataClove("flood"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.e.Decrypt(t0, s.Body); err != nil {
			t.Fatal(err)
		}
		// Make b answer some, which costs it tags.
		if i%5 == 0 {
			if _, err := b.e.Encrypt(t0, x.remote, dataClove("reply")); err != nil {
				t.Fatal(err)
			}
		}
		if i%50 == 0 {
			send(t, a, b, t0, "still here")
		}
	}
	st := b.e.Stats()
	if st.Peers > lim.Peers || st.Tags > lim.Tags {
		t.Errorf("%d peers, %d tags; limits %d, %d", st.Peers, st.Tags, lim.Peers, lim.Tags)
	}
	if st.Evicted == 0 {
		t.Error("nothing evicted")
	}
	for _, x := range attackers {
		if info, ok := b.e.Session(x.key()); ok && info.PendingReplies > lim.InboundNS {
			t.Errorf("%d pending handshakes from one key", info.PendingReplies)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if grew := int64(ms.HeapAlloc) - int64(before); grew > 8<<20 {
		t.Errorf("heap grew %d bytes", grew)
	}
	send(t, a, b, t0, "survived")
	send(t, b, a, t0, "survived too")
	// Everything unanswered goes after 3 minutes.
	b.e.Expire(t0.Add(4 * time.Minute))
	if st := b.e.Stats(); st.Peers > 1+len(attackers) {
		t.Errorf("%d peers after expiry", st.Peers)
	}
}

// TestOneTimeKey: a message under a registered one-time key opens once;
// an expired key does not.
func TestOneTimeKey(t *testing.T) {
	b := newNode(t)
	var tag [8]byte
	var key [32]byte
	tag[0], key[0] = 1, 2
	if err := b.e.AddOneTimeKey(tag, key, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := b.e.AddOneTimeKey(tag, key, t0.Add(time.Minute)); !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate tag: %v", err)
	}
	plain, _ := AppendBlocks(nil, dataClove("reply"), Padding{N: 3})
	body := crypto.ChaChaPolySeal(&key, 0, append([]byte(nil), tag[:]...), plain, tag[:])
	bad := bytes.Clone(body)
	bad[len(bad)-1] ^= 1
	if _, err := b.e.Decrypt(t0, bad); err == nil {
		t.Fatal("forged one-time message opened")
	}
	m, err := b.e.Decrypt(t0, body)
	if err != nil || m.Kind != KindOneTime || len(m.Cloves) != 1 || string(m.Cloves[0].Payload) != "reply" {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := b.e.Decrypt(t0, body); err == nil {
		t.Fatal("one-time key used twice")
	}
	tag[0] = 9
	_ = b.e.AddOneTimeKey(tag, key, t0.Add(time.Minute))
	body = crypto.ChaChaPolySeal(&key, 0, append([]byte(nil), tag[:]...), plain, tag[:])
	if _, err := b.e.Decrypt(t0.Add(2*time.Minute), body); err == nil {
		t.Fatal("expired one-time key used")
	}
}

// TestEncryptOneTime: an unbound New Session opens, names no sender and
// leaves no state.
func TestEncryptOneTime(t *testing.T) {
	a, b := newNode(t), newNode(t)
	s, err := a.e.EncryptOneTime(t0, b.remote, dataClove("anon"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.e.Decrypt(t0, s.Body)
	if err != nil || m.Bound || m.Kind != KindNewSession || m.NeedsReply {
		t.Fatalf("%+v %v", m, err)
	}
	if st := b.e.Stats(); st.Peers != 0 {
		t.Errorf("%d peers after a one-time message", st.Peers)
	}
	if st := a.e.Stats(); st.Peers != 0 {
		t.Errorf("sender keeps %d peers", st.Peers)
	}
}

// TestExpiry: idle sessions go after the spec's timeouts; the next
// message starts over with a New Session that opens.
func TestExpiry(t *testing.T) {
	a, b := newNode(t), newNode(t)
	establish(t, a, b, t0)
	later := t0.Add(11 * time.Minute)
	a.e.Expire(later)
	b.e.Expire(later)
	if st := a.e.Stats(); st.Peers != 0 || st.Tags != 0 {
		t.Errorf("a: %+v", st)
	}
	s, _ := send(t, a, b, later, "new")
	if s.Kind != KindNewSession {
		t.Errorf("sent %v", s.Kind)
	}
	// Past 8 idle minutes the sender starts over even before Expire.
	establish(t, a, b, later)
	s, _ = send(t, a, b, later.Add(9*time.Minute), "after idle")
	if s.Kind != KindNewSession {
		t.Errorf("after 9 idle minutes sent %v", s.Kind)
	}
}
