package netdb

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// Publishing our RouterInfo (network-database.html, "RouterInfo storage
// and verification"): a DatabaseStore with a reply token, sent directly to
// the floodfill closest to our hash's routing key, which acknowledges it
// with a DeliveryStatus and floods it; VerifyDelay later we look it up at
// another floodfill to see that the flood reached it.

// PublishConfig bounds publishing. Zero values are defaults.
type PublishConfig struct {
	// Interval between publishes of an unchanged RouterInfo; default 40
	// min (i2pd's NETDB_PUBLISH_INTERVAL). A changed RouterInfo is
	// published within RetryInterval. Negative: never publish.
	Interval      time.Duration
	RetryInterval time.Duration // after a failure, and the change check; default 1 min
	AckTimeout    time.Duration // default 10 s
	VerifyDelay   time.Duration // default 10 s
	Tries         int           // floodfills tried per publish; default 3
}

func (c *PublishConfig) defaults() {
	for _, d := range []struct {
		p *time.Duration
		v time.Duration
	}{{&c.Interval, 40 * time.Minute}, {&c.RetryInterval, time.Minute}, {&c.AckTimeout, 10 * time.Second}, {&c.VerifyDelay, 10 * time.Second}} {
		if *d.p == 0 {
			*d.p = d.v
		}
	}
	if c.Tries <= 0 {
		c.Tries = 3
	}
}

// ackTable holds the reply tokens of our stores waiting for their
// DeliveryStatus.
type ackTable struct {
	mu sync.Mutex
	m  map[uint32]chan struct{}
}

func (t *ackTable) init() { t.m = make(map[uint32]chan struct{}) }

func (t *ackTable) add(token uint32) chan struct{} {
	ch := make(chan struct{})
	t.mu.Lock()
	t.m[token] = ch
	t.mu.Unlock()
	return ch
}

func (t *ackTable) remove(token uint32) {
	t.mu.Lock()
	delete(t.m, token)
	t.mu.Unlock()
}

// HandleDeliveryStatus reports whether m acknowledges a store of ours,
// and wakes the publish waiting for it.
func (s *Service) HandleDeliveryStatus(from data.Hash, m i2np.DeliveryStatus) bool {
	s.acks.mu.Lock()
	ch := s.acks.m[m.MsgID]
	delete(s.acks.m, m.MsgID)
	s.acks.mu.Unlock()
	if ch == nil {
		return false
	}
	close(ch)
	return true
}

// PublishRouterInfo stores our RouterInfo at the floodfill closest to our
// hash (the next closest if one does not acknowledge, up to Tries), then
// after VerifyDelay looks it up at another floodfill. It returns nil once
// verified.
func (s *Service) PublishRouterInfo(ctx context.Context) error {
	ri := s.selfRI()
	if ri == nil {
		return fmt.Errorf("netdb: publish: no RouterInfo")
	}
	cfg := &s.cfg.Publish
	rk := RoutingKey(s.self, s.cfg.Now())
	tried := map[data.Hash]bool{}
	for range cfg.Tries {
		ff := s.nextFloodfill(rk, tried, data.Hash{})
		if ff.IsZero() {
			break
		}
		tried[ff] = true
		if !s.storeAt(ctx, ff, ri) {
			continue
		}
		s.cnt.publishAcked.Add(1)
		return s.verify(ctx, ri, ff, rk)
	}
	if len(tried) == 0 {
		return ErrNoFloodfill
	}
	return fmt.Errorf("%w by %d floodfills", ErrNotAcked, len(tried))
}

// storeAt sends ri to floodfill ff with a reply token and reports whether
// the DeliveryStatus came within AckTimeout.
func (s *Service) storeAt(ctx context.Context, ff data.Hash, ri *data.RouterInfo) bool {
	token := nonzero32()
	payload, err := i2np.NewRouterInfoStore(ri, token, s.self).Append(nil)
	if err != nil {
		s.log.Error("netdb: publish", "err", err)
		return false
	}
	ch := s.acks.add(token)
	defer s.acks.remove(token)
	s.cnt.published.Add(1)
	s.send(ff, s.header(i2np.TypeDatabaseStore), payload)
	t := time.NewTimer(s.cfg.Publish.AckTimeout)
	defer t.Stop()
	select {
	case <-ch:
		s.log.Debug("netdb: RouterInfo stored", "floodfill", ff.String())
		return true
	case <-t.C:
		s.log.Debug("netdb: RouterInfo store not acknowledged", "floodfill", ff.String())
	case <-ctx.Done():
	}
	return false
}

// verify looks ri up, after VerifyDelay, at a floodfill other than the
// one that took it (that one, if it is the only one).
func (s *Service) verify(ctx context.Context, ri *data.RouterInfo, storedAt, rk data.Hash) error {
	t := time.NewTimer(s.cfg.Publish.VerifyDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	at := s.nextFloodfill(rk, map[data.Hash]bool{storedAt: true}, data.Hash{})
	if at.IsZero() {
		at = storedAt
	}
	ev, err := s.lookup(ctx, s.self, i2np.LookupRouterInfo, at, false)
	switch {
	case err != nil:
	case ev.ri == nil || ev.ri.Published < ri.Published:
		err = fmt.Errorf("floodfill %s has an older RouterInfo of ours", at)
	default:
		s.cnt.verified.Add(1)
		s.log.Info("netdb: RouterInfo published and verified", "floodfill", storedAt.String(), "verified_at", at.String())
		return nil
	}
	s.cnt.verifyFailed.Add(1)
	return fmt.Errorf("netdb: publish: verify at %s: %w", at, err)
}

// publishLoop publishes our RouterInfo once a floodfill is known, again
// every Interval, and RetryInterval after a failure; a changed RouterInfo
// within publishCheck.
func (s *Service) publishLoop(ctx context.Context) {
	cfg := &s.cfg.Publish
	if cfg.Interval < 0 || s.cfg.Self == nil {
		return
	}
	var last *data.RouterInfo
	var next time.Time // zero: publish at the first chance
	try := func() {
		ri := s.selfRI()
		if s.store.Floodfills() == 0 || (ri == last && time.Now().Before(next)) {
			return
		}
		err := s.PublishRouterInfo(ctx)
		switch {
		case err == nil:
			last, next = ri, time.Now().Add(cfg.Interval)
		case ctx.Err() == nil:
			s.log.Info("netdb: publish RouterInfo", "err", err)
			last, next = ri, time.Now().Add(cfg.RetryInterval)
		}
	}
	try()
	every(ctx, min(cfg.RetryInterval, publishCheck), try)
}

// publishCheck is how often publishLoop looks for a reason to publish
// (a first floodfill known, a changed RouterInfo, a retry due).
const publishCheck = 10 * time.Second
