package router

import (
	"net/http"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// testEncryptedLeaseSet is an EncryptedLeaseSet (no client
// authorization) of a new destination, its b33 address and its inner
// LeaseSet2.
func testEncryptedLeaseSet(t *testing.T) (*data.EncryptedLeaseSet, string, *data.LeaseSet2) {
	t.Helper()
	ls, s := signedLeaseSet(t, data.FlagBlindedWhenPublished) // netdb_test.go
	els, err := data.EncryptLeaseSet(s, ls, data.EncryptOptions{Published: ls.Published, Expires: 600})
	if err != nil {
		t.Fatal(err)
	}
	b33, err := data.EncodeB33(crypto.SigEdDSASHA512, crypto.SigRedDSASHA512, s.Public(), data.B33Flags{})
	if err != nil {
		t.Fatal(err)
	}
	return els, b33, ls
}

// checkB33Lookup: router a resolves, through its control socket, the b33
// address of an EncryptedLeaseSet that floodfill b holds.
func checkB33Lookup(t *testing.T, dirA string, b *Router, from data.Hash) {
	t.Helper()
	els, b33, inner := testEncryptedLeaseSet(t)
	b.NetDB().HandleStore(from, &i2np.DatabaseStore{Key: els.Hash(), Type: i2np.StoreEncryptedLeaseSet, Data: els.Bytes()})
	res, code := controlLookupHTTP(t, dirA, b33, "")
	if code != http.StatusOK || !res.Found || res.StoreType != 3 || res.Destination != inner.Hash().B32() ||
		res.Leases != 1 || res.Key != els.Hash().String() {
		t.Fatalf("b33 lookup: %d %+v", code, res)
	}
	if res, code := controlLookupHTTP(t, dirA, b33+"&dest=nobody", ""); code != http.StatusBadRequest || res.Found {
		t.Fatalf("b33 lookup through a missing destination: %d %+v", code, res)
	}
}
