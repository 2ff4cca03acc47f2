package netdb

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// Lookups through tunnels (network-database.html, "Lookups"; proposal
// 154): with tunnels, a lookup leaves through one of our outbound tunnels
// and names one of our inbound tunnels for the reply, which the floodfill
// sends as one-time garlic (ECIES, a fresh key and tag per lookup), so
// neither the floodfill nor the tunnels' hops learn who asked or what
// came back. Without tunnels, lookups go directly and unencrypted.

// LookupTunnels is what tunneled lookups need from the router's tunnels.
type LookupTunnels interface {
	// ReplyTunnel is an inbound tunnel's gateway and id; ok is false
	// when there is none yet.
	ReplyTunnel() (gw data.Hash, id data.TunnelID, ok bool)
	// SendOut sends (h, payload) through an outbound tunnel to router
	// to.
	SendOut(to data.Hash, h i2np.Header, payload []byte) error
}

// replyKeyLife bounds how long a lookup's reply key waits for its reply.
const (
	replyKeyLife   = 2 * time.Minute
	maxReplyKeys   = 4096
	replyTagLength = 8
)

// replyKeys are the one-time keys of our tunneled lookups, by tag.
type replyKeys struct {
	mu sync.Mutex
	m  map[[replyTagLength]byte]replyKey
}

type replyKey struct {
	key     [32]byte
	ff      data.Hash // the floodfill asked: the reply is its answer
	expires time.Time
}

// add makes a fresh key and tag for a lookup sent to ff.
func (r *replyKeys) add(ff data.Hash, now time.Time) ([32]byte, [replyTagLength]byte) {
	var k replyKey
	var tag [replyTagLength]byte
	rand.Read(k.key[:])
	rand.Read(tag[:])
	k.ff, k.expires = ff, now.Add(replyKeyLife)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[[replyTagLength]byte]replyKey)
	}
	if len(r.m) >= maxReplyKeys {
		for t, v := range r.m {
			if now.After(v.expires) || len(r.m) >= maxReplyKeys {
				delete(r.m, t)
			}
		}
	}
	r.m[tag] = k
	return k.key, tag
}

// take removes and returns the key for tag.
func (r *replyKeys) take(tag [replyTagLength]byte, now time.Time) (replyKey, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.m[tag]
	delete(r.m, tag)
	return k, ok && !now.After(k.expires)
}

// tunneledQuery sends m through a tunnel with an encrypted reply to an
// inbound tunnel. It reports false when there are no tunnels (the caller
// sends directly).
func (s *Service) tunneledQuery(ff data.Hash, m *i2np.DatabaseLookup) bool {
	t := s.cfg.Tunnels
	if t == nil {
		return false
	}
	gw, id, ok := t.ReplyTunnel()
	if !ok {
		return false
	}
	key, tag := s.replies.add(ff, s.cfg.Now())
	m.From, m.ReplyTunnel = gw, id
	m.Encryption = i2np.ReplyECIES
	m.ReplyKey = data.SessionKey(key)
	m.RatchetTag = data.RatchetTag(tag)
	payload, err := m.Append(nil)
	if err != nil {
		return false
	}
	if err := t.SendOut(ff, s.header(i2np.TypeDatabaseLookup), payload); err != nil {
		s.log.Debug("netdb: tunneled lookup not sent", "peer", ff.String(), "err", err)
		return false
	}
	s.cnt.tunneledQueries.Add(1)
	return true
}

// OpenReply takes the body of a Garlic message that reached us: if its
// tag is one of our tunneled lookups', the DatabaseStore or
// DatabaseSearchReply inside is handled as the floodfill's answer and
// OpenReply reports true.
func (s *Service) OpenReply(body []byte) bool {
	if len(body) < replyTagLength {
		return false
	}
	var tag [replyTagLength]byte
	copy(tag[:], body)
	k, ok := s.replies.take(tag, s.cfg.Now())
	if !ok {
		return false
	}
	cloves, err := i2np.OpenOneTimeGarlic(&k.key, body)
	if err != nil {
		s.log.Debug("netdb: lookup reply does not open", "peer", k.ff.String(), "err", err)
		return true
	}
	s.cnt.encryptedReplies.Add(1)
	for _, c := range cloves {
		if _, err := s.HandleMessage(k.ff, c.Header.Type, c.Payload); err != nil {
			s.log.Debug("netdb: lookup reply", "peer", k.ff.String(), "type", i2np.TypeName(c.Header.Type), "err", err)
		}
	}
	return true
}
