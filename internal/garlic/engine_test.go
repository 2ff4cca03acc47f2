package garlic

import (
	"fmt"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/i2np"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// node is one in-memory destination.
type node struct {
	e      *Engine
	remote Remote // how the other side addresses it
}

func newNode(t testing.TB, types ...crypto.EncType) *node {
	t.Helper()
	return newNodeCfg(t, Config{Types: types})
}

func (n *node) key() [32]byte { return [32]byte(n.remote.Key) }

func dataClove(s string) Clove {
	return Clove{Delivery: Delivery{Type: DeliverLocal}, Clove: i2np.Clove{
		Header:  i2np.Header{Type: i2np.TypeData, ID: 42, Expiration: t0.Add(time.Minute)},
		Payload: []byte(s),
	}}
}

// send encrypts s from a to b and decrypts it at b.
func send(t testing.TB, a, b *node, now time.Time, s string, extra ...Block) (Sent, *Message) {
	t.Helper()
	sent, err := a.e.Encrypt(now, b.remote, append([]Block{dataClove(s)}, extra...)...)
	if err != nil {
		t.Fatalf("encrypt %q: %v", s, err)
	}
	m, err := b.e.Decrypt(now, sent.Body)
	if err != nil {
		t.Fatalf("decrypt %q (%v): %v", s, sent.Kind, err)
	}
	if len(m.Cloves) != 1 || string(m.Cloves[0].Payload) != s {
		t.Fatalf("got cloves %+v, want %q", m.Cloves, s)
	}
	if m.Kind != sent.Kind {
		t.Fatalf("sent %v, received %v", sent.Kind, m.Kind)
	}
	return sent, m
}

// establish runs NS, NSR, ES between a (Alice) and b (Bob).
func establish(t testing.TB, a, b *node, now time.Time) {
	t.Helper()
	_, m := send(t, a, b, now, "ns")
	if m.Kind != KindNewSession || !m.Bound || m.From != a.key() || !m.NeedsReply {
		t.Fatalf("NS: %+v", m)
	}
	_, m = send(t, b, a, now, "nsr")
	if m.Kind != KindNewSessionReply || m.From != b.key() {
		t.Fatalf("NSR: %+v", m)
	}
	_, m = send(t, a, b, now, "es1")
	if m.Kind != KindExistingSession {
		t.Fatalf("ES: %+v", m)
	}
	_, m = send(t, b, a, now, "es2")
	if m.Kind != KindExistingSession {
		t.Fatalf("ES back: %+v", m)
	}
}

func TestEngineHandshake(t *testing.T) {
	for _, typ := range []crypto.EncType{crypto.EncX25519, crypto.EncMLKEM512X25519, crypto.EncMLKEM768X25519, crypto.EncMLKEM1024X25519} {
		t.Run(typ.String(), func(t *testing.T) {
			a, b := newNode(t, typ), newNode(t, typ, crypto.EncX25519)
			establish(t, a, b, t0)
			for _, c := range []struct {
				n         *node
				peer      *node
				initiator bool
			}{{a, b, true}, {b, a, false}} {
				info, ok := c.n.e.Session(c.peer.key())
				if !ok || !info.Established || info.Type != typ || info.Initiator != c.initiator {
					t.Errorf("session info %+v", info)
				}
			}
			for i := range 20 {
				send(t, a, b, t0, fmt.Sprint("a", i))
				send(t, b, a, t0, fmt.Sprint("b", i))
			}
		})
	}
}
