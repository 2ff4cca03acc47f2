package garlic

import (
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
)

// FuzzDecrypt throws bytes at an engine holding every kind of state (a
// pending New Session, an established session, a one-time key); seeds are
// genuine messages of each kind. Nothing may panic, and a genuine message
// still opens afterwards.
func FuzzDecrypt(f *testing.F) {
	a, b := newNode(f), newNode(f)
	ns, _ := a.e.Encrypt(t0, b.remote, dataClove("ns"))
	f.Add(ns.Body)
	if _, err := b.e.Decrypt(t0, ns.Body); err != nil {
		f.Fatal(err)
	}
	nsr, _ := b.e.Encrypt(t0, a.remote, dataClove("nsr"))
	f.Add(nsr.Body)
	if _, err := a.e.Decrypt(t0, nsr.Body); err != nil {
		f.Fatal(err)
	}
	es, _ := a.e.Encrypt(t0, b.remote, dataClove("es"))
	f.Add(es.Body)
	one, _ := a.e.EncryptOneTime(t0, b.remote, dataClove("x"))
	f.Add(one.Body)
	f.Add(make([]byte, 514+32))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = b.e.Decrypt(t0, body)
		_, _ = a.e.Decrypt(t0, body)
	})
}

// FuzzESPayload sends arbitrary plaintext from an authenticated peer in a
// genuine Existing Session message: whatever blocks it holds (NextKeys
// out of sequence, Acks, Terminations, garbage), the receiver must not
// panic and must stay within bounds.
func FuzzESPayload(f *testing.F) {
	var key [32]byte
	key[0] = 9
	for _, s := range [][]Block{
		{NextKey{HasKey: true, RequestReverse: true, Key: key}},
		{NextKey{HasKey: true, KeyID: 1, Key: key}, NextKey{Reverse: true, KeyID: 0, HasKey: true, Key: key}},
		{AckRequest{}, Ack{IDs: []AckID{{0, 1}}}, Termination{}},
		{dataClove("x"), Padding{N: 4}},
	} {
		b, _ := AppendBlocks(nil, s...)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, plain []byte) {
		a, b := newNode(t), newNode(t)
		establish(t, a, b, t0)
		for range 3 {
			body := sealRawES(t, a, b, plain)
			_, _ = b.e.Decrypt(t0, body)
			// b answers (with whatever reverse keys it decided to send)
			// and a opens it.
			if s, err := b.e.Encrypt(t0, a.remote); err == nil {
				_, _ = a.e.Decrypt(t0, s.Body)
			}
		}
		if st := b.e.Stats(); st.Tags > 4*maxRecvTagSets*2*esTagsMax {
			t.Fatalf("%d tags", st.Tags)
		}
	})
}

// sealRawES encrypts plaintext as a's next Existing Session message to b,
// bypassing the block checks of Encrypt.
func sealRawES(t *testing.T, a, b *node, plain []byte) []byte {
	t.Helper()
	a.e.mu.Lock()
	defer a.e.mu.Unlock()
	s := a.e.peers[b.key()].cur
	n, tag, key, ok := s.send.next()
	if !ok {
		t.Skip("tag set used up")
	}
	tb := tagBytes(tag)
	return crypto.ChaChaPolySeal(&key, uint64(n), tb[:], plain, tb[:])
}

// FuzzHandshake runs NS, NSR, ES, ES between two engines and delivers the
// fuzz bytes in place of (before) message which; the genuine message
// must still open and the session complete.
func FuzzHandshake(f *testing.F) {
	f.Add(uint8(0), []byte("garbage"))
	f.Add(uint8(1), make([]byte, 72+20))
	f.Add(uint8(2), make([]byte, 24))
	f.Add(uint8(3), make([]byte, 130))
	f.Fuzz(func(t *testing.T, which uint8, junk []byte) {
		a, b := newNode(t, crypto.EncMLKEM512X25519, crypto.EncX25519), newNode(t, crypto.EncMLKEM512X25519, crypto.EncX25519)
		steps := [][2]*node{{a, b}, {b, a}, {a, b}, {b, a}}
		for i, st := range steps {
			s, err := st[0].e.Encrypt(t0, st[1].remote, dataClove("m"))
			if err != nil {
				t.Fatal(err)
			}
			if i == int(which%4) {
				_, _ = st[1].e.Decrypt(t0, junk)
			}
			if _, err := st[1].e.Decrypt(t0, s.Body); err != nil {
				t.Fatalf("step %d after junk: %v", i, err)
			}
		}
	})
}
