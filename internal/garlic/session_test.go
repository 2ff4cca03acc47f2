package garlic

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

func newNodeCfg(t testing.TB, cfg Config) *node {
	t.Helper()
	priv, _, err := crypto.GenerateX25519(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Static = priv
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pub := e.PublicKey()
	typ := crypto.EncX25519
	if len(cfg.Types) > 0 {
		typ = cfg.Types[0]
	}
	return &node{e: e, remote: Remote{Type: typ, Key: pub[:]}}
}

// TestLossAndReorder: Existing Session messages lost or delivered out of
// order within the look-ahead window all open; each opens once.
func TestLossAndReorder(t *testing.T) {
	a, b := newNode(t), newNode(t)
	establish(t, a, b, t0)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		var bodies [][]byte
		for i := range 20 {
			s, err := a.e.Encrypt(t0, b.remote, dataClove(fmt.Sprint(round, "/", i)))
			if err != nil {
				t.Fatal(err)
			}
			bodies = append(bodies, s.Body)
		}
		rng.Shuffle(len(bodies), func(i, j int) { bodies[i], bodies[j] = bodies[j], bodies[i] })
		lost := bodies[:3] // dropped
		for _, body := range bodies[3:] {
			if _, err := b.e.Decrypt(t0, body); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if _, err := b.e.Decrypt(t0, body); err == nil {
				t.Fatalf("round %d: replayed ES opened", round)
			}
		}
		_ = lost
	}
	// The window stays bounded although 60 messages were never received.
	if n := b.e.Stats().Tags; n > 2*esTagsMax+nsrTagsMax {
		t.Errorf("%d tags held", n)
	}
}

// TestBeyondWindow: a message far beyond the look-ahead does not open
// (its tag is not generated yet); after the window moves it does.
func TestBeyondWindow(t *testing.T) {
	a, b := newNode(t), newNode(t)
	establish(t, a, b, t0)
	var bodies [][]byte
	for i := range 100 {
		s, err := a.e.Encrypt(t0, b.remote, dataClove(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, s.Body)
	}
	// Tag set 0 starts with 24 tags ahead of message 1 (the ES of
	// establish was message 0).
	if _, err := b.e.Decrypt(t0, bodies[90]); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("message 91 opened early: %v", err)
	}
	for i, body := range bodies {
		if i == 90 {
			continue
		}
		if _, err := b.e.Decrypt(t0, body); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if _, err := b.e.Decrypt(t0, bodies[90]); err != nil {
		t.Fatalf("message 91 after the window moved: %v", err)
	}
}

// TestDHRatchet: after RatchetAfter messages each side runs NextKey
// exchanges; tag set IDs follow the spec's table and traffic continues,
// with some loss.
func TestDHRatchet(t *testing.T) {
	a := newNodeCfg(t, Config{RatchetAfter: 5})
	b := newNodeCfg(t, Config{RatchetAfter: 5})
	establish(t, a, b, t0)
	rng := rand.New(rand.NewPCG(3, 4))
	seen := map[uint16]bool{}
	for i := range 400 {
		from, to := a, b
		if rng.IntN(3) == 0 {
			from, to = b, a
		}
		s, err := from.e.Encrypt(t0, to.remote, dataClove(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		if s.Kind != KindExistingSession {
			t.Fatalf("message %d sent as %v", i, s.Kind)
		}
		seen[s.TagSet] = true
		if rng.IntN(10) == 0 {
			continue // lost
		}
		m, err := to.e.Decrypt(t0, s.Body)
		if err != nil {
			t.Fatalf("message %d (tag set %d, N %d): %v", i, s.TagSet, s.N, err)
		}
		if m.TagSet != s.TagSet || m.N != s.N {
			t.Fatalf("sent %d/%d, received %d/%d", s.TagSet, s.N, m.TagSet, m.N)
		}
	}
	ia, _ := a.e.Session(b.key())
	ib, _ := b.e.Session(a.key())
	if ia.SendTagSet < 4 || ib.SendTagSet < 4 {
		t.Fatalf("tag sets after 400 messages: a %+v, b %+v", ia, ib)
	}
	for id := range ia.SendTagSet {
		if !seen[id] && id > 0 {
			t.Errorf("tag set %d skipped", id)
		}
	}
	if ia.RecvTagSet != ib.SendTagSet && ia.RecvTagSet != ib.SendTagSet+1 {
		t.Errorf("a receives on %d, b sends on %d", ia.RecvTagSet, ib.SendTagSet)
	}
	// Old inbound tag sets go 3 minutes after being superseded.
	a.e.Expire(t0.Add(4 * time.Minute))
	send(t, b, a, t0.Add(4*time.Minute), "after expiry")
	if n := a.e.Stats().Tags; n > 2*esTagsMax {
		t.Errorf("%d tags held after expiry", n)
	}
}

// TestAcks: an AckRequest is answered by an Ack naming the message in
// the next message back.
func TestAcks(t *testing.T) {
	a, b := newNode(t), newNode(t)
	establish(t, a, b, t0)
	s, m := send(t, a, b, t0, "ack me", AckRequest{})
	if !m.NeedsReply {
		t.Error("AckRequest does not ask for a reply")
	}
	// An empty message (the ratchet-layer response) carries the Ack.
	r, err := b.e.Encrypt(t0, a.remote)
	if err != nil {
		t.Fatal(err)
	}
	m, err = a.e.Decrypt(t0, r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Acks) != 1 || m.Acks[0] != (AckID{TagSet: s.TagSet, N: s.N}) {
		t.Fatalf("acks %+v, want %d/%d", m.Acks, s.TagSet, s.N)
	}
	// Acks are sent once.
	_, m = send(t, b, a, t0, "again")
	if len(m.Acks) != 0 {
		t.Errorf("acks repeated: %+v", m.Acks)
	}
	// An AckRequest in a New Session is dropped, not sent.
	c := newNode(t)
	s, err = c.e.Encrypt(t0, a.remote, dataClove("x"), AckRequest{})
	if err != nil || s.Kind != KindNewSession {
		t.Fatalf("%v %v", s.Kind, err)
	}
	if m, err = a.e.Decrypt(t0, s.Body); err != nil {
		t.Fatal(err)
	}
	for _, blk := range m.Blocks {
		if _, ok := blk.(AckRequest); ok {
			t.Error("AckRequest in a New Session")
		}
	}
}

// TestTermination: a Termination ends the session at both ends; the next
// message starts a new one.
func TestTermination(t *testing.T) {
	a, b := newNode(t), newNode(t)
	establish(t, a, b, t0)
	_, m := send(t, a, b, t0, "bye", Termination{Reason: 0})
	if !m.Terminated {
		t.Fatal("not terminated")
	}
	if info, _ := a.e.Session(b.key()); info.Established {
		t.Error("sender still established")
	}
	if info, _ := b.e.Session(a.key()); info.Established {
		t.Error("receiver still established")
	}
	if _, err := a.e.Encrypt(t0, b.remote, Termination{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Termination without session: %v", err)
	}
	later := t0.Add(time.Second)
	s, _ := send(t, a, b, later, "hello again")
	if s.Kind != KindNewSession {
		t.Errorf("after termination sent %v", s.Kind)
	}
}

// TestMultipleNS: Alice sends several New Sessions before any reply; Bob
// answers several; Alice takes the first reply to arrive and Bob the
// session Alice's first ES names.
func TestMultipleNS(t *testing.T) {
	a, b := newNode(t), newNode(t)
	ns := newSessions(t, a, b, 3)
	for _, body := range ns {
		if _, err := b.e.Decrypt(t0, body); err != nil {
			t.Fatal(err)
		}
	}
	var nsr [][]byte
	for i := range 4 {
		s, err := b.e.Encrypt(t0, a.remote, dataClove(fmt.Sprint("nsr", i)))
		if err != nil || s.Kind != KindNewSessionReply {
			t.Fatalf("%v %v", s.Kind, err)
		}
		nsr = append(nsr, s.Body)
	}
	// Replies arrive out of order; each opens.
	for _, i := range []int{2, 0, 3, 1} {
		if _, err := a.e.Decrypt(t0, nsr[i]); err != nil {
			t.Fatalf("NSR %d: %v", i, err)
		}
	}
	send(t, a, b, t0, "es")
	send(t, b, a, t0, "es back")
	info, _ := b.e.Session(a.key())
	if info.PendingReplies != 0 {
		t.Errorf("Bob still holds %d handshakes", info.PendingReplies)
	}
}

// TestManyNS: past PendingNS New Sessions without a reply, the first is
// kept (i2pd answers only it for two minutes) as well as the newest
// (Java answers each).
func TestManyNS(t *testing.T) {
	for _, answered := range []int{0, 19} {
		a, b := newNode(t), newNode(t)
		ns := newSessions(t, a, b, 20)
		if info, _ := a.e.Session(b.key()); info.PendingNS != 8 {
			t.Fatalf("%d pending", info.PendingNS)
		}
		// Bob took one NS only, and answers it.
		if _, err := b.e.Decrypt(t0, ns[answered]); err != nil {
			t.Fatal(err)
		}
		nsr, err := b.e.Encrypt(t0, a.remote, dataClove("reply"))
		if err != nil || nsr.Kind != KindNewSessionReply {
			t.Fatalf("%v %v", nsr.Kind, err)
		}
		if _, err := a.e.Decrypt(t0, nsr.Body); err != nil {
			t.Fatalf("reply to NS %d: %v", answered, err)
		}
	}
}

// newSessions has a send n messages to b before any reply: n New
// Sessions.
func newSessions(t *testing.T, a, b *node, n int) [][]byte {
	t.Helper()
	var ns [][]byte
	for i := range n {
		s, err := a.e.Encrypt(t0, b.remote, dataClove(fmt.Sprint("ns", i)))
		if err != nil || s.Kind != KindNewSession {
			t.Fatalf("%v %v", s.Kind, err)
		}
		ns = append(ns, s.Body)
	}
	return ns
}

// TestReplyLimit: Bob sends at most Replies NSRs per NS, then waits.
func TestReplyLimit(t *testing.T) {
	a, b := newNode(t), newNodeCfg(t, Config{Limits: Limits{Replies: 2}})
	send(t, a, b, t0, "ns")
	for range 2 {
		if s, err := b.e.Encrypt(t0, a.remote); err != nil || s.Kind != KindNewSessionReply {
			t.Fatalf("%v %v", s.Kind, err)
		}
	}
	if _, err := b.e.Encrypt(t0, a.remote); !errors.Is(err, ErrLimit) {
		t.Fatalf("third reply: %v", err)
	}
}

// TestSimultaneousOpen: both sides send New Sessions at once; both end up
// established and traffic flows.
func TestSimultaneousOpen(t *testing.T) {
	a, b := newNode(t), newNode(t)
	sa, _ := a.e.Encrypt(t0, b.remote, dataClove("a"))
	sb, _ := b.e.Encrypt(t0, a.remote, dataClove("b"))
	for _, c := range []struct {
		n    *node
		body []byte
	}{{b, sa.Body}, {a, sb.Body}} {
		if _, err := c.n.e.Decrypt(t0, c.body); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		send(t, a, b, t0, fmt.Sprint("a", i))
		send(t, b, a, t0, fmt.Sprint("b", i))
	}
	ia, _ := a.e.Session(b.key())
	ib, _ := b.e.Session(a.key())
	if !ia.Established || !ib.Established {
		t.Fatalf("a %+v b %+v", ia, ib)
	}
}

// TestHybridFallback: a destination accepting ML-KEM-768 and X25519 opens
// either; one accepting only X25519 does not open a hybrid New Session.
func TestHybridFallback(t *testing.T) {
	bob := newNode(t, crypto.EncMLKEM768X25519, crypto.EncX25519)
	alice := newNode(t)
	x := *bob
	x.remote.Type = crypto.EncX25519
	establish(t, alice, &x, t0)
	if info, _ := bob.e.Session(alice.key()); info.Type != crypto.EncX25519 {
		t.Errorf("type %v", info.Type)
	}
	plain := newNode(t, crypto.EncX25519)
	h := *plain
	h.remote.Type = crypto.EncMLKEM768X25519
	s, err := alice.e.Encrypt(t0, h.remote, dataClove("pq"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.e.Decrypt(t0, s.Body); !errors.Is(err, ErrDecrypt) {
		t.Errorf("X25519-only opened ML-KEM: %v", err)
	}
}

// TestMLKEM768Between two veil engines (issue 7's "done when").
func TestMLKEM768(t *testing.T) {
	a := newNode(t, crypto.EncMLKEM768X25519, crypto.EncX25519)
	b := newNode(t, crypto.EncMLKEM768X25519, crypto.EncX25519)
	s, _ := send(t, a, b, t0, "pq hello")
	if s.Type != crypto.EncMLKEM768X25519 || len(s.Body) != nsLen(crypto.EncMLKEM768X25519, len(s.Body)-1296) {
		t.Fatalf("NS type %v, %d bytes", s.Type, len(s.Body))
	}
	send(t, b, a, t0, "pq reply")
	send(t, a, b, t0, "es")
	for _, c := range [][2]*node{{a, b}, {b, a}} {
		info, ok := c[0].e.Session(c[1].key())
		if !ok || !info.Established || info.Type != crypto.EncMLKEM768X25519 {
			t.Errorf("session %+v", info)
		}
	}
}

// TestConcurrent: goroutines sending both ways on one pair of engines,
// through DH ratchets, under the race detector.
func TestConcurrent(t *testing.T) {
	a := newNodeCfg(t, Config{RatchetAfter: 50})
	b := newNodeCfg(t, Config{RatchetAfter: 50})
	establish(t, a, b, t0)
	errs := make(chan error, 8)
	for g := range 4 {
		from, to := a, b
		if g%2 == 1 {
			from, to = b, a
		}
		go func() {
			for i := range 300 {
				s, err := from.e.Encrypt(t0, to.remote, dataClove(fmt.Sprint(g, i)))
				if err == nil {
					_, err = to.e.Decrypt(t0, s.Body)
				}
				if err != nil {
					errs <- fmt.Errorf("goroutine %d message %d: %w", g, i, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if info, _ := a.e.Session(b.key()); info.SendTagSet < 2 {
		t.Errorf("no ratchet: %+v", info)
	}
}

// TestLateNS: Bob answered Alice's first New Session; her second arrives
// before his reply reaches her; she takes the first reply, and her
// Existing Session still opens at Bob.
func TestLateNS(t *testing.T) {
	a, b := newNode(t), newNode(t)
	ns1, _ := a.e.Encrypt(t0, b.remote, dataClove("ns1"))
	ns2, _ := a.e.Encrypt(t0, b.remote, dataClove("ns2"))
	if _, err := b.e.Decrypt(t0, ns1.Body); err != nil {
		t.Fatal(err)
	}
	nsr1, err := b.e.Encrypt(t0, a.remote, dataClove("nsr1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.e.Decrypt(t0, ns2.Body); err != nil {
		t.Fatal(err)
	}
	if _, err := a.e.Decrypt(t0, nsr1.Body); err != nil {
		t.Fatal(err)
	}
	send(t, a, b, t0, "es")
	send(t, b, a, t0, "es back")
}
