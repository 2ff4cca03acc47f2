package netdb

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// The client role's lookups (network-database.html, "Lookups"): ask the
// floodfills closest to the key's routing key, a few at a time, each
// lookup naming the ones already asked as excluded; follow the
// DatabaseSearchReply hints by fetching the RouterInfos of floodfills we
// do not know from the floodfill that named them; stop at the entry, when
// no floodfill is left, or at the time or query budget. Lookups go
// straight to the floodfills from our router hash, with no reply tunnel
// and plain replies, until tunnels exist.

// Errors of the lookups and of PublishRouterInfo.
var (
	ErrNotFound    = errors.New("netdb: not found")
	ErrNoFloodfill = errors.New("netdb: no floodfill known")
	ErrBusy        = errors.New("netdb: too many lookups in progress")
	ErrNotAcked    = errors.New("netdb: store not acknowledged")
)

// LookupConfig bounds the client role. Zero values are defaults.
type LookupConfig struct {
	Timeout      time.Duration // one lookup in all; default 15 s
	QueryTimeout time.Duration // one floodfill's answer; default 5 s
	MaxQueries   int           // floodfills asked per lookup; default 8 (i2pd: 7)
	Parallel     int           // queries in flight per lookup; default 2
	MaxHints     int           // RouterInfos fetched per lookup for hints; default 6
	MaxPending   int           // lookups in progress at once; default 64
	// ExploreInterval is the time between explorations while the store
	// holds fewer than ExploreUntil routers; default 1 min, 500 routers.
	// A negative interval turns exploration off.
	ExploreInterval time.Duration
	ExploreUntil    int
}

func (c *LookupConfig) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	def(&c.Timeout, 15*time.Second)
	def(&c.QueryTimeout, 5*time.Second)
	def(&c.ExploreInterval, time.Minute)
	defInt(&c.MaxQueries, 8)
	defInt(&c.Parallel, 2)
	defInt(&c.MaxHints, 6)
	defInt(&c.MaxPending, 64)
	defInt(&c.ExploreUntil, 500)
}

// hintWait is how long a lookup with nobody left to ask waits for the
// RouterInfos of hinted floodfills it requested.
const (
	firstExplore = 5 * time.Second
	hintWait     = 2 * time.Second
	hintPoll     = 100 * time.Millisecond
)

// event is an answer for a pending lookup.
type event struct {
	from data.Hash // the router that sent it (not the unauthenticated DSRM "from")
	ri   *data.RouterInfo
	ls   *LeaseSet
	sr   *i2np.DatabaseSearchReply
}

// pendingTable holds our lookups in progress, by key. A second lookup of
// a key in progress waits for the first one's result. Keys of lookups
// that ended stay "waited for" a little longer, so that the answers of
// the floodfills asked in parallel that come late are taken as answers,
// not as unsolicited stores.
type pendingTable struct {
	mu    sync.Mutex
	m     map[data.Hash]*pendingLookup
	ended map[data.Hash]time.Time // key → until when late answers are welcome
}

// Late answers: how long, and how many ended lookups are remembered.
const (
	lateAnswers    = 30 * time.Second
	maxEndedLookup = 256
)

type pendingLookup struct {
	events chan event // handlers → the lookup; full drops
	done   chan struct{}
	res    event // set before done is closed
	err    error
}

func (t *pendingTable) init() {
	t.m = make(map[data.Hash]*pendingLookup)
	t.ended = make(map[data.Hash]time.Time)
}

// waiting reports whether a lookup of k is in progress or ended lately.
func (t *pendingTable) waiting(k data.Hash) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[k] != nil || time.Now().Before(t.ended[k])
}

// deliver hands ev to the lookup of k, if any, without blocking.
func (t *pendingTable) deliver(k data.Hash, ev event) bool {
	t.mu.Lock()
	p := t.m[k]
	t.mu.Unlock()
	if p == nil {
		return false
	}
	select {
	case p.events <- ev:
		return true
	default:
		return false
	}
}

// join returns the lookup of k, creating it (owner true) if there is
// none and fewer than max are pending.
func (t *pendingTable) join(k data.Hash, max int) (p *pendingLookup, owner bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.m[k]; p != nil {
		return p, false, nil
	}
	if len(t.m) >= max {
		return nil, false, ErrBusy
	}
	p = &pendingLookup{events: make(chan event, 16), done: make(chan struct{})}
	t.m[k] = p
	return p, true, nil
}

func (t *pendingTable) finish(k data.Hash, p *pendingLookup, res event, err error) {
	now := time.Now()
	t.mu.Lock()
	delete(t.m, k)
	if len(t.ended) >= maxEndedLookup {
		for h, until := range t.ended {
			if !now.Before(until) {
				delete(t.ended, h)
			}
		}
	}
	if len(t.ended) < maxEndedLookup {
		t.ended[k] = now.Add(lateAnswers)
	}
	t.mu.Unlock()
	p.res, p.err = res, err
	close(p.done)
}

// LookupRouterInfo finds the RouterInfo of router key: from the store, or
// by an iterative lookup. The answer is stored.
func (s *Service) LookupRouterInfo(ctx context.Context, key data.Hash) (*data.RouterInfo, error) {
	if ri := s.store.Get(key); ri != nil {
		return ri, nil
	}
	ev, err := s.lookup(ctx, key, i2np.LookupRouterInfo, data.Hash{}, false)
	return ev.ri, err
}

// LookupLeaseSet finds the LeaseSet of key (a Destination hash, or the
// blinded key hash of an EncryptedLeaseSet): from the store if it has not
// expired, or by an iterative lookup. The answer is stored.
func (s *Service) LookupLeaseSet(ctx context.Context, key data.Hash) (*LeaseSet, error) {
	if l := s.store.LeaseSet(key); l != nil && s.cfg.Now().Before(l.Expires) {
		return l, nil
	}
	ev, err := s.lookup(ctx, key, i2np.LookupLeaseSet, data.Hash{}, false)
	return ev.ls, err
}

// lookup runs (or joins) the lookup of key. With only set, it asks that
// floodfill alone. Explorations are not counted as lookups.
func (s *Service) lookup(ctx context.Context, key data.Hash, typ i2np.LookupType, only data.Hash, explore bool) (event, error) {
	p, owner, err := s.pending.join(key, s.cfg.Lookup.MaxPending)
	if err != nil {
		return event{}, err
	}
	if !owner {
		select {
		case <-p.done:
			return p.res, p.err
		case <-ctx.Done():
			return event{}, ctx.Err()
		}
	}
	if !explore {
		s.cnt.lookups.Add(1)
	}
	res, err := s.iterate(ctx, p, key, typ, only)
	switch {
	case err != nil:
		err = fmt.Errorf("netdb: lookup %s: %w", key, err)
		if !explore {
			s.cnt.lookupsFailed.Add(1)
		}
	case !explore:
		s.cnt.lookupsFound.Add(1)
	}
	s.pending.finish(key, p, res, err)
	return res, err
}

// iterate is one lookup's loop; every pass either sends a query or
// consumes an answer, a timeout or the end of ctx, and the queries are
// bounded, so it ends.
func (s *Service) iterate(ctx context.Context, p *pendingLookup, key data.Hash, typ i2np.LookupType, only data.Hash) (event, error) {
	cfg := &s.cfg.Lookup
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	rk := RoutingKey(key, s.cfg.Now())
	asked := map[data.Hash]bool{}
	inflight := map[data.Hash]time.Time{} // floodfill → when we stop waiting for it
	hints := 0
	var waitHints time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		for len(inflight) < cfg.Parallel && len(asked) < cfg.MaxQueries {
			ff := s.nextFloodfill(rk, asked, only)
			if ff.IsZero() {
				break
			}
			s.query(ff, key, typ, asked)
			asked[ff] = true
			inflight[ff] = now.Add(cfg.QueryTimeout)
		}
		if len(inflight) == 0 && !now.Before(waitHints) {
			if len(asked) == 0 {
				return event{}, ErrNoFloodfill
			}
			return event{}, fmt.Errorf("%w after asking %d floodfills", ErrNotFound, len(asked))
		}
		next := waitHints
		for _, t := range inflight {
			if next.Before(now) || t.Before(next) {
				next = t
			}
		}
		if now.Before(waitHints) {
			// Poll for the hinted RouterInfos, which add candidates.
			if poll := now.Add(hintPoll); poll.Before(next) || next.Before(now) {
				next = poll
			}
		}
		timer.Reset(max(next.Sub(now), time.Millisecond))
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return event{}, parent.Err()
			}
			return event{}, fmt.Errorf("%w within %v (%d floodfills asked)", ErrNotFound, cfg.Timeout, len(asked))
		case <-timer.C:
			now = time.Now()
			for ff, t := range inflight {
				if !now.Before(t) {
					delete(inflight, ff)
				}
			}
		case ev := <-p.events:
			switch {
			case ev.ri != nil || ev.ls != nil || (ev.sr != nil && typ == i2np.LookupExploration):
				return ev, nil
			case ev.sr != nil && !only.IsZero():
				return ev, fmt.Errorf("%w at %s", ErrNotFound, only)
			}
			delete(inflight, ev.from)
			if ev.sr == nil || !only.IsZero() {
				continue
			}
			for _, h := range ev.sr.Peers {
				if hints >= cfg.MaxHints || h == s.self || asked[h] || s.store.Get(h) != nil {
					continue
				}
				// The floodfill that named h knows it: ask it for h's
				// RouterInfo, which the store takes when it comes.
				hints++
				s.query(ev.from, h, i2np.LookupRouterInfo, nil)
				waitHints = time.Now().Add(hintWait)
			}
		}
	}
}

// nextFloodfill is the closest floodfill to rk not asked yet (only, if
// set), or the zero hash.
func (s *Service) nextFloodfill(rk data.Hash, asked map[data.Hash]bool, only data.Hash) data.Hash {
	if !only.IsZero() {
		if asked[only] {
			return data.Hash{}
		}
		return only
	}
	c := s.store.Closest(rk, 1, true, func(h data.Hash) bool { return asked[h] })
	if len(c) == 0 {
		return data.Hash{}
	}
	return c[0].Hash()
}

// query sends a plain, direct DatabaseLookup for key to floodfill ff,
// excluding the floodfills in excluded.
func (s *Service) query(ff, key data.Hash, typ i2np.LookupType, excluded map[data.Hash]bool) {
	m := &i2np.DatabaseLookup{Key: key, From: s.self, Lookup: typ}
	for h := range excluded {
		if len(m.Excluded) == i2np.MaxExcludedPeers {
			break
		}
		m.Excluded = append(m.Excluded, h)
	}
	s.cnt.queries.Add(1)
	if s.tunneledQuery(ff, m) {
		return
	}
	m.From, m.ReplyTunnel, m.Encryption = s.self, 0, i2np.ReplyPlain
	payload, err := m.Append(nil)
	if err != nil {
		s.log.Warn("netdb: lookup", "err", err)
		return
	}
	s.send(ff, s.header(i2np.TypeDatabaseLookup), payload)
}

// HandleSearchReply hands a DatabaseSearchReply from router from to the
// lookup it answers; others are dropped.
func (s *Service) HandleSearchReply(from data.Hash, m *i2np.DatabaseSearchReply) {
	s.cnt.searchRepliesReceived.Add(1)
	if !s.pending.deliver(m.Key, event{from: from, sr: m}) {
		s.log.Debug("netdb: DatabaseSearchReply for no lookup of ours", "peer", from.String(), "key", m.Key.String())
	}
}

// ExploreFloodfillsBelow: while we know fewer floodfills, Explore asks
// for floodfills rather than other routers, as i2pd does (a RouterInfo
// lookup of a random key, answered with the closest floodfills).
const ExploreFloodfillsBelow = 5

// Explore asks the floodfill closest to a random key for the routers
// closest to it that are not floodfills (network-database.html,
// "Exploration"), or for floodfills while we know few, then fetches the
// RouterInfos of those we do not know from that floodfill. It returns how
// many it asked for.
func (s *Service) Explore(ctx context.Context) (int, error) {
	var key data.Hash
	rand.Read(key[:])
	s.cnt.explorations.Add(1)
	typ := i2np.LookupExploration
	if s.store.Floodfills() < ExploreFloodfillsBelow {
		typ = i2np.LookupRouterInfo
	}
	ev, err := s.lookup(ctx, key, typ, s.firstFloodfill(key), true)
	if ev.sr == nil {
		if err == nil {
			err = ErrNotFound
		}
		return 0, err
	}
	n := 0
	for _, h := range ev.sr.Peers {
		if h != s.self && s.store.Get(h) == nil && n < s.cfg.Lookup.MaxHints {
			s.query(ev.from, h, i2np.LookupRouterInfo, nil)
			n++
		}
	}
	return n, nil
}

// firstFloodfill is the floodfill closest to key, or the zero hash.
func (s *Service) firstFloodfill(key data.Hash) data.Hash {
	return s.nextFloodfill(RoutingKey(key, s.cfg.Now()), nil, data.Hash{})
}

func (s *Service) exploreLoop(ctx context.Context) {
	cfg := &s.cfg.Lookup
	if cfg.ExploreInterval < 0 {
		return
	}
	explore := func() {
		if s.store.Len() >= cfg.ExploreUntil || s.store.Floodfills() == 0 {
			return
		}
		n, err := s.Explore(ctx)
		s.log.Debug("netdb: explored", "requested", n, "err", err, "routers", s.store.Len(), "floodfills", s.store.Floodfills())
	}
	// The first soon after start, when the netDb is at its smallest.
	t := time.NewTimer(min(cfg.ExploreInterval, firstExplore))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	explore()
	every(ctx, cfg.ExploreInterval, explore)
}
