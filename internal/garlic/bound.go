package garlic

import (
	"crypto/subtle"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// BoundLeaseSet finds, among the cloves of a bound message, the sender's
// LeaseSet2: a DatabaseStore of type 3 whose signature holds and that
// lists m.From as one of its ratchet keys. This is how Bob learns where
// to send his replies to a New Session: Alice bundles her LeaseSet in it,
// and the static key binds it (ecies.rst, "NS Binding For NSR"). ok is
// false when there is none; the caller may then look the sender up by
// other means.
func BoundLeaseSet(m *Message) (ls *data.LeaseSet2, ok bool) {
	if !m.Bound {
		return nil, false
	}
	for _, c := range m.Cloves {
		if c.Delivery.Type != DeliverLocal || c.Header.Type != i2np.TypeDatabaseStore {
			continue
		}
		ds, err := i2np.ParseDatabaseStore(c.Payload)
		if err != nil || ds.Type != i2np.StoreLeaseSet2 {
			continue
		}
		ls, err := data.ParseLeaseSet2(ds.Data)
		if err != nil || ls.Hash() != ds.Key || ls.Verify() != nil {
			continue
		}
		for _, k := range ls.Keys {
			if ratchetType(k.Type) && len(k.Key) == keyLen && subtle.ConstantTimeCompare(k.Key, m.From[:]) == 1 {
				return ls, true
			}
		}
	}
	return nil, false
}
