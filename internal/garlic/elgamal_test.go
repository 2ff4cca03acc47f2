package garlic

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// newElGamalNode is a destination publishing an ElGamal key (and X25519).
func newElGamalNode(t testing.TB) (*node, Remote) {
	t.Helper()
	priv, pub, err := crypto.GenerateElGamal(nil)
	if err != nil {
		t.Fatal(err)
	}
	return newNodeCfg(t, Config{ElGamal: priv}), Remote{Type: crypto.EncElGamal, Key: pub}
}

func dsClove(id uint32) Clove {
	return Clove{Delivery: Delivery{Type: DeliverTunnel, To: data.Hash{5}, Tunnel: 77},
		Clove: i2np.Clove{Header: i2np.Header{Type: i2np.TypeDeliveryStatus, ID: id, Expiration: t0.Add(time.Minute)},
			Payload: i2np.DeliveryStatus{MsgID: id, Timestamp: t0}.Append(nil)}}
}

func TestElGamalSession(t *testing.T) {
	bob, bobKey := newElGamalNode(t)
	alice := newNode(t)
	// Without a DeliveryStatus clove no tags go out: every message is a
	// New Session.
	for range 2 {
		s, err := alice.e.Encrypt(t0, bobKey, dataClove("plain"))
		if err != nil || s.Kind != KindElGamalNewSession || s.AckID != 0 {
			t.Fatalf("%v %v %d", s.Kind, err, s.AckID)
		}
		if len(s.Body)%16 != 2 {
			t.Errorf("New Session of %d bytes", len(s.Body))
		}
		m, err := bob.e.Decrypt(t0, s.Body)
		if err != nil || m.Kind != KindElGamalNewSession || len(m.Cloves) != 1 || string(m.Cloves[0].Payload) != "plain" || m.Bound {
			t.Fatalf("%+v %v", m, err)
		}
		if _, err := bob.e.Decrypt(t0, s.Body); !errors.Is(err, ErrReplay) {
			t.Fatalf("replayed ElGamal NS: %v", err)
		}
	}
	// With one, a batch of tags rides along, usable once confirmed.
	s, err := alice.e.Encrypt(t0, bobKey, dataClove("with tags"), dsClove(1234))
	if err != nil || s.AckID != 1234 {
		t.Fatalf("%v %d", err, s.AckID)
	}
	m, err := bob.e.Decrypt(t0, s.Body)
	if err != nil || len(m.Cloves) != 2 || m.Cloves[1].Header.Type != i2np.TypeDeliveryStatus || m.Cloves[1].Delivery.Tunnel != 77 {
		t.Fatalf("%+v %v", m, err)
	}
	if got := bob.e.Stats().ElGamalTags; got != elgTagsPerBatch {
		t.Fatalf("bob holds %d tags", got)
	}
	if s, _ = alice.e.Encrypt(t0, bobKey, dataClove("unconfirmed")); s.Kind != KindElGamalNewSession {
		t.Fatalf("used unconfirmed tags: %v", s.Kind)
	}
	if _, err := bob.e.Decrypt(t0, s.Body); err != nil {
		t.Fatal(err)
	}
	if !alice.e.ConfirmDelivery(t0.Add(2*time.Second), 1234) || alice.e.ConfirmDelivery(t0, 1234) {
		t.Fatal("confirm")
	}
	var bodies [][]byte
	for i := range 10 {
		s, err := alice.e.Encrypt(t0, bobKey, dataClove(fmt.Sprint(i)))
		if err != nil || s.Kind != KindElGamalExistingSession || len(s.Body)%16 != 0 {
			t.Fatalf("%v %v", s.Kind, err)
		}
		bodies = append(bodies, s.Body)
	}
	for i := len(bodies) - 1; i >= 0; i-- { // any order
		m, err := bob.e.Decrypt(t0, bodies[i])
		if err != nil || m.Kind != KindElGamalExistingSession || string(m.Cloves[0].Payload) != fmt.Sprint(i) {
			t.Fatalf("%d: %+v %v", i, m, err)
		}
		if _, err := bob.e.Decrypt(t0, bodies[i]); err == nil {
			t.Fatal("ElGamal tag used twice")
		}
	}
	// Tags expire at both ends.
	bob.e.Expire(t0.Add(16 * time.Minute))
	if n := bob.e.Stats().ElGamalTags; n != 0 {
		t.Errorf("%d tags after expiry", n)
	}
	if s, _ = alice.e.Encrypt(t0.Add(13*time.Minute), bobKey, dataClove("late")); s.Kind != KindElGamalNewSession {
		t.Errorf("expired tags used: %v", s.Kind)
	}
}

func TestElGamalDropped(t *testing.T) {
	bob, bobKey := newElGamalNode(t)
	other, _ := newElGamalNode(t)
	alice := newNode(t)
	s, err := alice.e.Encrypt(t0, bobKey, dataClove("x"), dsClove(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{s.Body[:514], s.Body[:len(s.Body)-16], flip(s.Body, 0), flip(s.Body, 600), flip(s.Body, len(s.Body)-1)} {
		if _, err := bob.e.Decrypt(t0, bad); err == nil {
			t.Fatal("corrupted ElGamal NS opened")
		}
	}
	if _, err := other.e.Decrypt(t0, s.Body); err == nil {
		t.Fatal("opened with the wrong key")
	}
	if _, err := bob.e.Decrypt(t0.Add(10*time.Minute), s.Body); !errors.Is(err, ErrReplay) {
		t.Fatalf("stale: %v", err)
	}
	if _, err := alice.e.Encrypt(t0, Remote{Type: crypto.EncElGamal, Key: make([]byte, 32)}); !errors.Is(err, ErrNoKey) {
		t.Fatalf("short key: %v", err)
	}
	if _, err := alice.e.Encrypt(t0, Remote{Type: crypto.EncElGamal, Key: make([]byte, 256)}); err == nil {
		t.Fatal("zero key accepted")
	}
}

// TestElGamalAndRatchet: one destination with both keys takes both kinds
// of message on the same Decrypt.
func TestElGamalAndRatchet(t *testing.T) {
	bob, bobElg := newElGamalNode(t)
	alice := newNode(t)
	establish(t, alice, bob, t0)
	s, err := alice.e.Encrypt(t0, bobElg, dataClove("elg"))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := bob.e.Decrypt(t0, s.Body); err != nil || m.Kind != KindElGamalNewSession {
		t.Fatalf("%+v %v", m, err)
	}
	send(t, alice, bob, t0, "ratchet")
}

func flip(b []byte, i int) []byte {
	x := bytes.Clone(b)
	x[i] ^= 1
	return x
}

func TestCloveSetRoundTrip(t *testing.T) {
	cloves := []Clove{dataClove("a"), dsClove(9),
		{Delivery: Delivery{Type: DeliverDestination, To: data.Hash{1}}, Clove: i2np.Clove{Header: i2np.Header{Type: 1, ID: 3, Expiration: time.UnixMilli(1700000000123)}, Payload: []byte{1, 2}}},
		{Delivery: Delivery{Type: DeliverRouter, To: data.Hash{2}}, Clove: i2np.Clove{Header: i2np.Header{Type: 2, ID: 4, Expiration: time.UnixMilli(1700000000456)}}}}
	b, err := appendCloveSet(nil, cloves, 77, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, id, exp, err := parseCloveSet(b)
	if err != nil || id != 77 || !exp.Equal(t0) {
		t.Fatalf("%v %d %v", err, id, exp)
	}
	if !reflect.DeepEqual(normalize(blocksOf(got)), normalize(blocksOf(cloves))) {
		t.Fatalf("got %+v", got)
	}
	for n := range len(b) {
		if _, _, _, err := parseCloveSet(b[:n]); err == nil {
			t.Fatalf("prefix %d parsed", n)
		}
	}
	plain, err := appendAESBlock(nil, [][32]byte{{1}, {2}}, b, nil)
	if err != nil || len(plain)%16 != 0 {
		t.Fatal(err, len(plain))
	}
	tags, payload, err := parseAESBlock(plain)
	if err != nil || len(tags) != 64 || tags[32] != 2 || !bytes.Equal(payload, b) {
		t.Fatalf("%v", err)
	}
	if _, _, err := parseAESBlock(flip(plain, 100)); err == nil {
		t.Fatal("AES block with a bad hash parsed")
	}
}

func blocksOf(cloves []Clove) []Block {
	out := make([]Block, len(cloves))
	for i, c := range cloves {
		c.Header.Expiration = c.Header.Expiration.UTC()
		out[i] = c
	}
	return out
}

// FuzzParseAESBlock: AES blocks and the clove sets inside never panic and
// re-encode to what they parsed.
func FuzzParseAESBlock(f *testing.F) {
	set, _ := appendCloveSet(nil, []Clove{dataClove("a"), dsClove(1)}, 1, t0, nil)
	plain, _ := appendAESBlock(nil, [][32]byte{{1}}, set, nil)
	f.Add(plain)
	f.Add(set)
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, payload, err := parseAESBlock(b); err == nil {
			_, _, _, _ = parseCloveSet(payload)
		}
		cloves, id, exp, err := parseCloveSet(b)
		if err != nil {
			return
		}
		for _, c := range cloves {
			if c.Header.Expiration.IsZero() {
				return // encodes as "use the set's expiration"
			}
		}
		re, err := appendCloveSet(nil, cloves, id, exp, nil)
		if err != nil {
			t.Fatal(err)
		}
		again, id2, _, err := parseCloveSet(re)
		if err != nil || id2 != id || len(again) != len(cloves) {
			t.Fatalf("re-parse: %v", err)
		}
	})
}

func TestRemoteFor(t *testing.T) {
	x, m, e := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 256)
	ls := func(keys ...data.EncryptionKey) *data.LeaseSet2 { return &data.LeaseSet2{Keys: keys} }
	cases := []struct {
		ls   *data.LeaseSet2
		elg  bool
		want crypto.EncType
		ok   bool
	}{
		{ls(data.EncryptionKey{Type: 6, Key: m}, data.EncryptionKey{Type: 4, Key: x}), false, 6, true},
		{ls(data.EncryptionKey{Type: 4, Key: x}, data.EncryptionKey{Type: 0, Key: e}), true, 4, true},
		{ls(data.EncryptionKey{Type: 0, Key: e}), true, 0, true},
		{ls(data.EncryptionKey{Type: 0, Key: e}), false, 0, false},
		{ls(data.EncryptionKey{Type: 9, Key: x}), true, 0, false},
	}
	for i, c := range cases {
		r, ok := RemoteFor(c.ls, c.elg)
		if ok != c.ok || ok && r.Type != c.want {
			t.Errorf("case %d: %v %v", i, r.Type, ok)
		}
	}
}
