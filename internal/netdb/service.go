package netdb

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/ratelimit"
)

// Sender delivers I2NP messages straight to routers over the transports
// (never through tunnels). The router implements it with its transport
// Manager, which dials a router it has no session with; Send may block up
// to ctx.
type Sender interface {
	Send(ctx context.Context, to data.Hash, h i2np.Header, payload []byte) error
}

// Defaults of ServiceConfig.
const (
	// Per peer: stores and lookups a second, and the burst allowed. A
	// floodfill of the live network gets a few stores a second in all;
	// one peer sending more is flooding us.
	DefaultStoreRate   = 5
	DefaultStoreBurst  = 50
	DefaultLookupRate  = 5
	DefaultLookupBurst = 50
	// DefaultQueueLen caps the messages waiting to be sent; more are
	// dropped and counted. DefaultSenders send them in parallel, so one
	// slow dial does not hold up the others.
	DefaultQueueLen = 512
	DefaultSenders  = 4
	// sendTimeout bounds one send, dial included.
	sendTimeout = 15 * time.Second
	// messageLifetime is the expiration we give our messages.
	messageLifetime = time.Minute
	// maxRatePeers caps the peers each rate limiter tracks.
	maxRatePeers = 8192
	// expireEvery is how often Run calls Store.Expire.
	expireEvery = time.Minute
)

// ServiceConfig configures a Service. Zero values are defaults except
// Store, Sender and Self, which are required.
type ServiceConfig struct {
	Store  *Store
	Sender Sender
	// Self returns our current RouterInfo: our hash, the answer to
	// lookups for it and what PublishRouterInfo stores.
	Self func() *data.RouterInfo
	// Floodfill turns the floodfill role on (see SetFloodfill).
	Floodfill bool

	StoreRate, LookupRate   float64 // per peer and second; <0 means no limit
	StoreBurst, LookupBurst int
	QueueLen, Senders       int

	Lookup  LookupConfig
	Publish PublishConfig
	// Tunnels, when set, carry our lookups (tunneled.go); nil: direct.
	Tunnels LookupTunnels

	Logger *slog.Logger
	Now    func() time.Time
}

// Service is the netDb's network side: the floodfill role (HandleStore,
// HandleLookup), the client role (Lookup, Explore, PublishRouterInfo)
// and the send queue both use. Create it with NewService; Run drives its
// timers and senders. Handlers may be called before Run, from any
// goroutine: they never block, they queue what they send.
type Service struct {
	cfg   ServiceConfig
	store *Store
	log   *slog.Logger
	self  data.Hash

	floodfill atomic.Bool

	storeLimit, lookupLimit *ratelimit.Limiter[data.Hash]

	out chan job // the send queue; Run's senders drain it

	pending pendingTable // our lookups waiting for answers
	acks    ackTable     // our stores waiting for a DeliveryStatus
	gz      gzipCache    // RouterInfo answers, compressed
	floods  floodTable   // versions flooded
	replies replyKeys    // one-time keys of our tunneled lookups

	cnt serviceCounters
}

// job is one queued message.
type job struct {
	to      data.Hash
	h       i2np.Header
	payload []byte
}

// NewService returns a Service on cfg.Store.
func NewService(cfg ServiceConfig) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	rate := func(r *float64, b *int, defRate float64, defBurst int) {
		if *r == 0 {
			*r = defRate
		}
		if *b <= 0 {
			*b = defBurst
		}
	}
	rate(&cfg.StoreRate, &cfg.StoreBurst, DefaultStoreRate, DefaultStoreBurst)
	rate(&cfg.LookupRate, &cfg.LookupBurst, DefaultLookupRate, DefaultLookupBurst)
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.Senders <= 0 {
		cfg.Senders = DefaultSenders
	}
	cfg.Lookup.defaults()
	cfg.Publish.defaults()
	s := &Service{
		cfg:         cfg,
		store:       cfg.Store,
		log:         cfg.Logger,
		self:        cfg.Store.Self(),
		storeLimit:  ratelimit.New[data.Hash](cfg.StoreRate, cfg.StoreBurst, maxRatePeers, false),
		lookupLimit: ratelimit.New[data.Hash](cfg.LookupRate, cfg.LookupBurst, maxRatePeers, false),
		out:         make(chan job, cfg.QueueLen),
	}
	s.pending.init()
	s.acks.init()
	s.floodfill.Store(cfg.Floodfill)
	return s
}

// Store is the store the Service works on.
func (s *Service) Store() *Store { return s.store }

// Floodfill reports whether the floodfill role is on.
func (s *Service) Floodfill() bool { return s.floodfill.Load() }

// SetFloodfill turns the floodfill role on or off. The caller publishes
// the matching caps in our RouterInfo.
func (s *Service) SetFloodfill(on bool) { s.floodfill.Store(on) }

// Run sends queued messages and runs the periodic work (expiry,
// exploration, publishing our RouterInfo) until ctx ends. Queued messages
// left then are dropped. Run returns when every goroutine it started has.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range s.cfg.Senders {
		wg.Go(func() { s.sendLoop(ctx) })
	}
	wg.Go(func() { s.expireLoop(ctx) })
	wg.Go(func() { s.exploreLoop(ctx) })
	wg.Go(func() { s.publishLoop(ctx) })
	wg.Wait()
	return nil
}

func (s *Service) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.out:
			sctx, cancel := context.WithTimeout(ctx, sendTimeout)
			err := s.cfg.Sender.Send(sctx, j.to, j.h, j.payload)
			cancel()
			if err != nil {
				s.cnt.sendFailed.Add(1)
				s.log.Debug("netdb: send", "peer", j.to.String(), "type", i2np.TypeName(j.h.Type), "err", err)
			}
		}
	}
}

func (s *Service) expireLoop(ctx context.Context) {
	every(ctx, expireEvery, func() {
		if st := s.store.Expire(s.cfg.Now()); st.LeaseSets+st.Routers > 0 {
			s.log.Debug("netdb: expired", "leasesets", st.LeaseSets, "routers", st.Routers)
		}
	})
}

// every calls fn every d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// send queues a message to router to; a full queue drops it (counted).
func (s *Service) send(to data.Hash, h i2np.Header, payload []byte) {
	select {
	case s.out <- job{to, h, payload}:
	default:
		s.cnt.sendDropped.Add(1)
		s.log.Debug("netdb: send queue full, message dropped", "peer", to.String(), "type", i2np.TypeName(h.Type))
	}
}

// header is a fresh header for a message of type t.
func (s *Service) header(t uint8) i2np.Header {
	return i2np.Header{Type: t, ID: nonzero32(), Expiration: s.cfg.Now().Add(messageLifetime)}
}

// nonzero32 is a random nonzero uint32: message ids and reply tokens,
// which must not be guessable by whoever would forge an answer.
func nonzero32() uint32 {
	var b [4]byte
	for {
		rand.Read(b[:])
		if v := binary.BigEndian.Uint32(b[:]); v != 0 {
			return v
		}
	}
}

// selfHash is our router hash.
func (s *Service) selfRI() *data.RouterInfo {
	if s.cfg.Self == nil {
		return nil
	}
	return s.cfg.Self()
}

// serviceCounters are the Service's statistics.
type serviceCounters struct {
	storesReceived, lookupsReceived, searchRepliesReceived atomic.Uint64
	answered, searchReplies, encrypted, acks, flooded      atomic.Uint64
	sendDropped, sendFailed                                atomic.Uint64
	lookups, lookupsFound, lookupsFailed, queries          atomic.Uint64
	explorations, published, publishAcked                  atomic.Uint64
	verified, verifyFailed                                 atomic.Uint64
	tunneledQueries, encryptedReplies                      atomic.Uint64
}

// Stats is a snapshot of the netDb: the store and the Service.
type Stats struct {
	StoreStats
	Floodfill bool
	// Floodfill role.
	StoresReceived        uint64 // DatabaseStores handled
	LookupsReceived       uint64 // DatabaseLookups handled
	SearchRepliesReceived uint64
	Answered              uint64 // lookups answered with the entry
	SearchReplies         uint64 // DatabaseSearchReplies sent (misses, exploration)
	Encrypted             uint64 // replies garlic-wrapped for ECIES lookups
	Acks                  uint64 // DeliveryStatus sent for stores
	Flooded               uint64 // DatabaseStores sent to other floodfills
	SendDropped           uint64 // messages dropped, send queue full
	SendFailed            uint64
	// Client role.
	Lookups, LookupsFound, LookupsFailed uint64
	Queries                              uint64 // DatabaseLookups sent
	Explorations                         uint64
	Published, PublishAcked              uint64 // our RouterInfo stored, and acknowledged
	Verified, VerifyFailed               uint64 // our RouterInfo found again, or not
	TunneledQueries                      uint64 // lookups sent through our tunnels
	EncryptedReplies                     uint64 // their garlic-encrypted answers that came back
}

// Stats returns the netDb's counts and counters.
func (s *Service) Stats() Stats {
	c := &s.cnt
	return Stats{
		StoreStats: s.store.Stats(), Floodfill: s.Floodfill(),
		StoresReceived: c.storesReceived.Load(), LookupsReceived: c.lookupsReceived.Load(),
		SearchRepliesReceived: c.searchRepliesReceived.Load(),
		Answered:              c.answered.Load(), SearchReplies: c.searchReplies.Load(), Encrypted: c.encrypted.Load(),
		Acks: c.acks.Load(), Flooded: c.flooded.Load(), SendDropped: c.sendDropped.Load(), SendFailed: c.sendFailed.Load(),
		Lookups: c.lookups.Load(), LookupsFound: c.lookupsFound.Load(), LookupsFailed: c.lookupsFailed.Load(),
		Queries: c.queries.Load(), Explorations: c.explorations.Load(),
		Published: c.published.Load(), PublishAcked: c.publishAcked.Load(),
		Verified: c.verified.Load(), VerifyFailed: c.verifyFailed.Load(),
		TunneledQueries: c.tunneledQueries.Load(), EncryptedReplies: c.encryptedReplies.Load(),
	}
}

// HandleMessage parses an I2NP message of the netDb's types that router
// from sent us (directly or in a garlic message addressed to us) and
// hands it to HandleStore, HandleLookup, HandleSearchReply or
// HandleDeliveryStatus. It reports whether typ is one of those; a
// message that does not parse is counted and returned as an error.
func (s *Service) HandleMessage(from data.Hash, typ uint8, payload []byte) (bool, error) {
	var err error
	switch typ {
	case i2np.TypeDatabaseStore:
		var m *i2np.DatabaseStore
		if m, err = i2np.ParseDatabaseStore(payload); err == nil {
			s.HandleStore(from, m)
		}
	case i2np.TypeDatabaseLookup:
		var m *i2np.DatabaseLookup
		if m, err = i2np.ParseDatabaseLookup(payload); err == nil {
			s.HandleLookup(from, m)
		}
	case i2np.TypeDatabaseSearchReply:
		var m *i2np.DatabaseSearchReply
		if m, err = i2np.ParseDatabaseSearchReply(payload); err == nil {
			s.HandleSearchReply(from, m)
		}
	case i2np.TypeDeliveryStatus:
		var m i2np.DeliveryStatus
		if m, err = i2np.ParseDeliveryStatus(payload); err == nil {
			s.HandleDeliveryStatus(from, m)
		}
	default:
		return false, nil
	}
	if err != nil {
		s.store.Reject(ReasonInvalid)
	}
	return true, err
}
