package netdb

import (
	"errors"
	"sync/atomic"
)

// Reason is why an entry or a message was refused: the key of the
// rejection counters that `veil status` shows and tests read.
type Reason uint8

// Reasons. The order is the one Stats lists them in.
const (
	ReasonInvalid      Reason = iota // does not parse, or breaks a structural rule
	ReasonSignature                  // signature does not verify
	ReasonKey                        // the store's key is not the entry's hash
	ReasonNetID                      // RouterInfo of another network
	ReasonTooOld                     // RouterInfo published too long ago
	ReasonExpired                    // LeaseSet (or its offline key) expired
	ReasonFuture                     // published too far ahead
	ReasonTooLarge                   // over the size limit
	ReasonFull                       // the store is at its cap
	ReasonSelf                       // our own RouterInfo
	ReasonRateLimited                // the peer sent too many stores or lookups
	ReasonUnsolicited                // a LeaseSet stored to a non-floodfill that did not ask
	ReasonUnsupported                // a lookup asking for an ElGamal-encrypted reply
	ReasonNotFloodfill               // a lookup sent to us while we are not a floodfill
	numReasons
)

var reasonNames = [numReasons]string{
	"invalid", "signature", "key", "netid", "too_old", "expired", "future",
	"too_large", "full", "self", "rate_limited", "unsolicited", "unsupported", "not_floodfill",
}

func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// ReasonOf classifies an error of Put or PutLeaseSet.
func ReasonOf(err error) Reason {
	// Most specific first: ErrSignature and ErrKey travel with ErrInvalid.
	for _, c := range []struct {
		err error
		r   Reason
	}{
		{ErrSignature, ReasonSignature}, {ErrKey, ReasonKey}, {ErrNetID, ReasonNetID},
		{ErrTooOld, ReasonTooOld}, {ErrExpired, ReasonExpired}, {ErrFuture, ReasonFuture},
		{ErrTooLarge, ReasonTooLarge}, {ErrFull, ReasonFull}, {ErrSelf, ReasonSelf},
	} {
		if errors.Is(err, c.err) {
			return c.r
		}
	}
	return ReasonInvalid
}

// counters are the store's statistics; all atomic, no lock.
type counters struct {
	stored    atomic.Uint64 // entries added or replaced by a newer one
	unchanged atomic.Uint64 // valid, but not newer than the one held
	expired   atomic.Uint64 // removed by Expire
	rejected  [numReasons]atomic.Uint64
}

// count records the outcome of a Put or PutLeaseSet.
func (c *counters) count(stored bool, err error) {
	switch {
	case err != nil:
		c.rejected[ReasonOf(err)].Add(1)
	case stored:
		c.stored.Add(1)
	default:
		c.unchanged.Add(1)
	}
}

// reject counts a refusal for reason r.
func (c *counters) reject(r Reason) { c.rejected[r].Add(1) }

// Rejections maps every reason's name to its count (zeros included, so
// the set of keys is stable).
type Rejections map[string]uint64

func (c *counters) rejections(into Rejections) {
	for i := range c.rejected {
		into[Reason(i).String()] += c.rejected[i].Load()
	}
}

// StoreStats is a snapshot of the store.
type StoreStats struct {
	Routers    int
	Floodfills int
	LeaseSets  int
	Stored     uint64 // entries added or replaced since New
	Unchanged  uint64 // valid entries not newer than the one held
	Expired    uint64 // entries Expire removed
	Rejected   Rejections
}

// Stats returns the store's counts and counters.
func (s *Store) Stats() StoreStats {
	s.mu.RLock()
	st := StoreStats{Routers: len(s.routers), Floodfills: len(s.floodfills), LeaseSets: len(s.leaseSets)}
	s.mu.RUnlock()
	st.Stored = s.cnt.stored.Load()
	st.Unchanged = s.cnt.unchanged.Load()
	st.Expired = s.cnt.expired.Load()
	st.Rejected = Rejections{}
	s.cnt.rejections(st.Rejected)
	return st
}

// Reject counts a refusal the store did not see itself (a rate limit, an
// unsolicited LeaseSet), so that every refusal shows in one place.
func (s *Store) Reject(r Reason) { s.cnt.reject(r) }
