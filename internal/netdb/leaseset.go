package netdb

import (
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// LeaseSet limits. i2pd 2.45.1 refuses LeaseSets over 3072 bytes
// (MAX_LS_BUFFER_SIZE); veil allows a little more so that a LeaseSet2 with
// several keys or a MetaLeaseSet still fits, far below the 64 KiB the
// parsers accept.
const (
	MaxLeaseSetLen = 4096
	// DefaultMaxLeaseSets caps the LeaseSets held (veil's choice; a
	// floodfill of the live network holds a few thousand).
	DefaultMaxLeaseSets = 10000
	// MaxLeaseSet2Expires is the longest a LeaseSet2 may live after its
	// published time: the spec's ~11 minutes (common-structures.rst,
	// LeaseSet2Header "expires") with room for clock skew. MetaLeaseSets
	// and EncryptedLeaseSets may use the whole 16-bit field.
	MaxLeaseSet2Expires = 15 * time.Minute
	// MaxLeaseEnd is how far ahead the last lease of an original
	// LeaseSet (type 1) may end: tunnels last 10 minutes.
	MaxLeaseEnd = 15 * time.Minute
)

// Entry is a parsed LeaseSet of any kind: *data.LeaseSet (type 1),
// *data.LeaseSet2 (3), *data.EncryptedLeaseSet (5) or *data.MetaLeaseSet
// (7).
type Entry interface {
	Bytes() []byte
	Hash() data.Hash
	Verify() error
}

// LeaseSet is a LeaseSet as the netDb holds it. Values are never changed
// once stored; a newer LeaseSet replaces the pointer.
type LeaseSet struct {
	Key   data.Hash      // netDb key: the Destination's hash, or for type 5 the blinded key's
	Type  data.StoreType // 1, 3, 5 or 7: the DatabaseStore type
	Entry Entry
	// Published orders versions: the published time of the LeaseSet2
	// kinds, the earliest lease end of a type 1 (its version, per
	// common-structures.rst).
	Published time.Time
	Expires   time.Time
	// Unpublished is the LeaseSet2 or EncryptedLeaseSet flag: the owner
	// asked for it not to be served or flooded.
	Unpublished bool
	// Stored says the LeaseSet came as a store to us (it is ours to
	// serve), not as the answer to one of our lookups.
	Stored bool
}

// Servable reports whether a floodfill may answer a lookup with l at now:
// stored to us, published, not expired (network-database.html: only
// re-serve what was stored to you).
func (l *LeaseSet) Servable(now time.Time) bool {
	return l.Stored && !l.Unpublished && now.Before(l.Expires)
}

// Bytes returns the LeaseSet's wire bytes (without the type byte).
func (l *LeaseSet) Bytes() []byte { return l.Entry.Bytes() }

// ParseLeaseSet parses the data of a DatabaseStore of type t. It checks
// structure only (see Store.CheckLeaseSet for the rules); the result
// aliases b.
func ParseLeaseSet(t data.StoreType, b []byte) (*LeaseSet, error) {
	if len(b) > MaxLeaseSetLen {
		return nil, fmt.Errorf("netdb: LeaseSet: %w: %d bytes", ErrTooLarge, len(b))
	}
	l := &LeaseSet{Type: t}
	var err error
	switch t {
	case data.StoreLeaseSet:
		var ls *data.LeaseSet
		if ls, err = data.ParseLeaseSet(b); err == nil {
			if len(ls.Leases) == 0 {
				err = fmt.Errorf("no leases")
			}
			l.Entry, l.Published, l.Expires = ls, ls.Earliest().Time(), ls.Latest().Time()
		}
	case data.StoreLeaseSet2:
		var ls *data.LeaseSet2
		if ls, err = data.ParseLeaseSet2(b); err == nil {
			if len(ls.Leases) == 0 || len(ls.Keys) == 0 {
				err = fmt.Errorf("%d leases, %d keys", len(ls.Leases), len(ls.Keys))
			}
			l.Entry = ls
			l.header(&ls.LeaseSet2Header)
		}
	case data.StoreMetaLeaseSet:
		var ls *data.MetaLeaseSet
		if ls, err = data.ParseMetaLeaseSet(b); err == nil {
			if len(ls.Leases) == 0 {
				err = fmt.Errorf("no leases")
			}
			l.Entry = ls
			l.header(&ls.LeaseSet2Header)
		}
	case data.StoreEncryptedLeaseSet:
		var ls *data.EncryptedLeaseSet
		if ls, err = data.ParseEncryptedLeaseSet(b); err == nil {
			l.Entry, l.Published, l.Expires, l.Unpublished = ls, ls.Published.Time(), ls.Expiration(), ls.Unpublished()
		}
	default:
		return nil, fmt.Errorf("netdb: LeaseSet: %w: store type %d", ErrInvalid, t)
	}
	if err != nil {
		return nil, fmt.Errorf("netdb: LeaseSet type %d: %w: %v", t, ErrInvalid, err)
	}
	l.Key = l.Entry.Hash()
	return l, nil
}

func (l *LeaseSet) header(h *data.LeaseSet2Header) {
	l.Published, l.Expires, l.Unpublished = h.Published.Time(), h.Expiration(), h.Unpublished()
}

// offline returns the LeaseSet's offline signature, if any.
func (l *LeaseSet) offline() *data.OfflineSignature {
	switch e := l.Entry.(type) {
	case *data.LeaseSet2:
		return e.Offline
	case *data.MetaLeaseSet:
		return e.Offline
	case *data.EncryptedLeaseSet:
		return e.Offline
	}
	return nil
}

// CheckLeaseSet applies the store's rules to l, which a DatabaseStore
// sent under key: the key is the entry's hash, the signature (and offline
// signature) verify, the offline key has not expired, it is not expired
// and its times are within bounds.
func (s *Store) CheckLeaseSet(key data.Hash, l *LeaseSet) error {
	if err := s.checkLeaseSet(key, l); err != nil {
		return fmt.Errorf("netdb: LeaseSet %s: %w", key, err)
	}
	return nil
}

func (s *Store) checkLeaseSet(key data.Hash, l *LeaseSet) error {
	if l.Key != key {
		return fmt.Errorf("%w: %w: entry is %s", ErrInvalid, ErrKey, l.Key)
	}
	now := s.cfg.Now()
	if !now.Before(l.Expires) {
		return fmt.Errorf("%w %v ago", ErrExpired, now.Sub(l.Expires).Round(time.Second))
	}
	if o := l.offline(); o != nil && o.Expired(now) {
		return fmt.Errorf("%w: offline key expired at %v", ErrExpired, o.Expires.Time())
	}
	switch l.Type {
	case data.StoreLeaseSet:
		if d := l.Expires.Sub(now); d > MaxLeaseEnd {
			return fmt.Errorf("%w: last lease ends in %v", ErrFuture, d.Round(time.Second))
		}
	default:
		if d := l.Published.Sub(now); d > MaxFuture {
			return fmt.Errorf("%w: %v ahead", ErrFuture, d.Round(time.Second))
		}
		if d := l.Expires.Sub(l.Published); l.Type == data.StoreLeaseSet2 && d > MaxLeaseSet2Expires {
			return fmt.Errorf("%w: expires %v after it was published", ErrInvalid, d)
		}
	}
	// Last, as it is the expensive check.
	if err := l.Entry.Verify(); err != nil {
		return fmt.Errorf("%w: %w: %v", ErrInvalid, ErrSignature, err)
	}
	return nil
}

// PutLeaseSet checks l (CheckLeaseSet) against key and stores it unless
// the LeaseSet held for key is of the same type and published at the
// same time or later. It reports whether the store changed; an older or
// equal LeaseSet is not an error. Refusals are counted by reason.
func (s *Store) PutLeaseSet(key data.Hash, l *LeaseSet) (bool, error) {
	ok, err := s.putLeaseSet(key, l)
	s.cnt.count(ok, err)
	return ok, err
}

func (s *Store) putLeaseSet(key data.Hash, l *LeaseSet) (bool, error) {
	if err := s.CheckLeaseSet(key, l); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.leaseSets[key]
	switch {
	case ok && old.Type == l.Type && !l.Published.After(old.Published):
		// A copy of what we hold arriving as a store makes it ours to
		// serve, even if we first fetched it.
		if l.Stored && !old.Stored && l.Published.Equal(old.Published) {
			c := *old
			c.Stored = true
			s.leaseSets[key] = &c
		}
		return false, nil
	case !ok && len(s.leaseSets) >= s.cfg.MaxLeaseSets:
		return false, fmt.Errorf("netdb: LeaseSet %s: %w (%d LeaseSets)", key, ErrFull, s.cfg.MaxLeaseSets)
	}
	s.leaseSets[key] = l
	return true, nil
}

// LeaseSet returns the LeaseSet held for key, or nil. It may have expired
// since it was stored: see Expires, Servable.
func (s *Store) LeaseSet(key data.Hash) *LeaseSet {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.leaseSets[key]
}

// LeaseSets is the number of LeaseSets held.
func (s *Store) LeaseSets() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.leaseSets)
}
