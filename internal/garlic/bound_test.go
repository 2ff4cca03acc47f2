package garlic

import (
	"crypto/rand"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// leaseSetClove is a DatabaseStore clove of a signed LeaseSet2 listing
// key as its X25519 key.
func leaseSetClove(t *testing.T, key []byte) (Clove, data.Hash) {
	t.Helper()
	s, err := crypto.GenerateSigner(crypto.SigEdDSASHA512, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := make([]byte, 256)
	rand.Read(enc)
	d, err := data.NewKeysAndCert(crypto.EncElGamal, enc, crypto.SigEdDSASHA512, s.Public(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ls := &data.LeaseSet2{
		LeaseSet2Header: data.LeaseSet2Header{Destination: d, Published: data.Seconds(t0.Unix()), Expires: 600},
		Keys:            []data.EncryptionKey{{Type: crypto.EncX25519, Key: key}},
		Leases:          []data.Lease2{{Gateway: data.Hash{1}, TunnelID: 2, End: data.Seconds(t0.Unix() + 600)}},
	}
	if err := ls.Sign(s); err != nil {
		t.Fatal(err)
	}
	ds := &i2np.DatabaseStore{Key: ls.Hash(), Type: i2np.StoreLeaseSet2, Data: ls.Bytes()}
	p, err := ds.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	return Clove{Clove: i2np.Clove{Header: i2np.Header{Type: i2np.TypeDatabaseStore, ID: 1}, Payload: p}}, ls.Hash()
}

func TestBoundLeaseSet(t *testing.T) {
	a, b, c := newNode(t), newNode(t), newNode(t)
	own, hash := leaseSetClove(t, a.remote.Key)
	other, _ := leaseSetClove(t, c.remote.Key) // someone else's LeaseSet
	s, err := a.e.Encrypt(t0, b.remote, other, own, dataClove("get"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.e.Decrypt(t0, s.Body)
	if err != nil {
		t.Fatal(err)
	}
	ls, ok := BoundLeaseSet(m)
	if !ok || ls.Hash() != hash {
		t.Fatalf("found %v", ok)
	}
	// Not bound, or no matching LeaseSet: nothing.
	s, _ = c.e.Encrypt(t0, b.remote, own)
	m, _ = b.e.Decrypt(t0, s.Body)
	if _, ok := BoundLeaseSet(m); ok {
		t.Error("LeaseSet of another key accepted")
	}
	s, _ = a.e.EncryptOneTime(t0, b.remote, own)
	m, _ = b.e.Decrypt(t0, s.Body)
	if _, ok := BoundLeaseSet(m); ok {
		t.Error("unbound message bound")
	}
}
