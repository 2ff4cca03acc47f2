package netdb

import (
	"crypto/sha256"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// RoutingKey is the key's place in the DHT on the UTC day of t:
// SHA-256(key || "yyyyMMdd") (network-database.html, "Kademlia"). It is
// used only locally, for XOR distances to router hashes, which are not
// transformed; it changes at 00:00 UTC.
func RoutingKey(key data.Hash, t time.Time) data.Hash {
	var b [32 + 8]byte
	copy(b[:], key[:])
	t.UTC().AppendFormat(b[32:32], "20060102")
	return sha256.Sum256(b[:])
}

// Closer reports whether a is strictly closer to rk than b by XOR
// distance.
func Closer(rk, a, b data.Hash) bool {
	for i := range rk {
		da, db := a[i]^rk[i], b[i]^rk[i]
		if da != db {
			return da < db
		}
	}
	return false
}

// nearest keeps the n routers closest to rk seen so far, closest first
// (an insertion sort: n is small).
type nearest struct {
	rk   data.Hash
	n    int
	best []near
}

type near struct {
	h  data.Hash
	ri *data.RouterInfo
}

func (c *nearest) offer(h data.Hash, ri *data.RouterInfo) {
	if len(c.best) == c.n && !Closer(c.rk, h, c.best[c.n-1].h) {
		return
	}
	i := len(c.best)
	if i < c.n {
		c.best = append(c.best, near{})
	} else {
		i = c.n - 1
	}
	for ; i > 0 && Closer(c.rk, h, c.best[i-1].h); i-- {
		c.best[i] = c.best[i-1]
	}
	c.best[i] = near{h, ri}
}

// Closest returns up to n routers closest to the routing key rk, closest
// first: floodfills only, or (floodfill false) routers without the
// floodfill cap, as exploration answers. Routers for which skip returns
// true are left out (skip may be nil). Our own hash is never in the store.
func (s *Store) Closest(rk data.Hash, n int, floodfill bool, skip func(data.Hash) bool) []*data.RouterInfo {
	if n <= 0 {
		return nil
	}
	c := nearest{rk: rk, n: n, best: make([]near, 0, n)}
	s.mu.RLock()
	set := s.floodfills
	if !floodfill {
		set = s.routers
	}
	for h, ri := range set {
		if (!floodfill && s.floodfills[h] != nil) || (skip != nil && skip(h)) {
			continue
		}
		c.offer(h, ri)
	}
	s.mu.RUnlock()
	out := make([]*data.RouterInfo, len(c.best))
	for i, b := range c.best {
		out[i] = b.ri
	}
	return out
}
