package netdb

import (
	"errors"
	"io/fs"
	"os"

	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// MinRoutersKept is the netDb size under which Expire keeps every
// RouterInfo however old, so a router that was offline, or a small private
// network, does not forget the peers it needs to start from (i2pd 2.45.1's
// NETDB_MIN_ROUTERS).
const MinRoutersKept = 90

// ExpireStats says what one Expire removed.
type ExpireStats struct {
	LeaseSets int
	Routers   int
}

// Expire removes, as of now, the LeaseSets that have expired and, once
// the store holds more than MinRoutersKept routers, the RouterInfos
// published more than MaxAge ago (deleting their files). The caller
// drives it: the Service calls it every minute.
func (s *Store) Expire(now time.Time) ExpireStats {
	var st ExpireStats
	var gone []data.Hash
	s.mu.Lock()
	for k, l := range s.leaseSets {
		if !now.Before(l.Expires) {
			delete(s.leaseSets, k)
			st.LeaseSets++
		}
	}
	if len(s.routers) > MinRoutersKept {
		limit := now.Add(-MaxAge)
		for h, ri := range s.routers {
			if ri.Published.Time().Before(limit) {
				delete(s.routers, h)
				delete(s.floodfills, h)
				gone = append(gone, h)
			}
		}
	}
	s.mu.Unlock()
	st.Routers = len(gone)
	s.cnt.expired.Add(uint64(st.LeaseSets + st.Routers))
	if s.cfg.Dir != "" && len(gone) > 0 {
		s.writeMu.Lock()
		for _, h := range gone {
			// A Put may have brought the router back meanwhile.
			if s.Get(h) != nil {
				continue
			}
			if err := os.Remove(Path(s.cfg.Dir, h)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				s.log.Warn("netdb: remove expired RouterInfo", "router", h.String(), "err", err)
			}
		}
		s.writeMu.Unlock()
	}
	return st
}
