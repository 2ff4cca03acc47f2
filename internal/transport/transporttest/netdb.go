package transporttest

import (
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// NetDb is a RouterInfo store shared by test routers: what a
// transport's LookupRouterInfo reads.
type NetDb struct {
	mu  sync.Mutex
	ris map[data.Hash]*data.RouterInfo
}

// NewNetDb returns an empty store.
func NewNetDb() *NetDb { return &NetDb{ris: make(map[data.Hash]*data.RouterInfo)} }

// Put adds or replaces ri.
func (db *NetDb) Put(ri *data.RouterInfo) {
	db.mu.Lock()
	db.ris[ri.Hash()] = ri
	db.mu.Unlock()
}

// Get returns the RouterInfo of h, or nil.
func (db *NetDb) Get(h data.Hash) *data.RouterInfo {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.ris[h]
}

// Resign returns id's RouterInfo, published now, with only its first
// address, that address keeping host, port, s, i, v and caps and then
// edited by edit; it is signed but not stored in id.
func (id *Identity) Resign(tb testing.TB, edit func(*data.RouterAddress)) *data.RouterInfo {
	tb.Helper()
	old := id.RouterInfo()
	ri := &data.RouterInfo{Identity: old.Identity, Published: data.DateOf(time.Now()), Options: old.Options}
	a := old.Addresses[0]
	a.Options = KeepOptions(&a, "host", "port", "s", "i", "v", "caps")
	edit(&a)
	ri.Addresses = []data.RouterAddress{a}
	signer, err := id.Keys.Signer()
	if err != nil {
		tb.Fatal(err)
	}
	if err := ri.Sign(signer); err != nil {
		tb.Fatal(err)
	}
	return ri
}

// KeepOptions returns a's options named in keys.
func KeepOptions(a *data.RouterAddress, keys ...string) data.Mapping {
	var o data.Mapping
	for _, k := range keys {
		if v, ok := a.Options.Get(k); ok {
			o.Set(k, v)
		}
	}
	return o
}
