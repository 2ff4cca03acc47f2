package netdb

import (
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// The floodfill role (network-database.html, "Floodfill"; i2np.rst,
// DatabaseStore and DatabaseLookup):
//
//  1. A DatabaseStore is rate-limited per peer, validated and stored; a
//     nonzero reply token gets a DeliveryStatus with the token as its
//     message id, straight to the reply gateway or down the reply tunnel
//     at it (a TunnelGateway message sent to the gateway router).
//  2. If the store changed our copy and carried a reply token, the entry
//     is flooded, reply token 0, to the FloodTo floodfills closest to its
//     routing key, never to us, to the sender or to the entry's router.
//  3. A DatabaseLookup is rate-limited per peer and answered with the
//     entry in a DatabaseStore, or a DatabaseSearchReply of the closest
//     floodfills we know (exploration: the closest other routers); the
//     reply goes to the requester directly or down its reply tunnel,
//     garlic-wrapped first if it asked for an ECIES reply (proposal 154).

// Floodfill constants.
const (
	// FloodTo is how many floodfills a store is flooded to, and
	// SearchReplyPeers how many routers a DatabaseSearchReply names
	// (i2np.rst: "typically 3").
	FloodTo          = 3
	SearchReplyPeers = 3
	// MaxFloodAge: a RouterInfo published longer ago is not flooded
	// (network-database.html, "Flooding").
	MaxFloodAge = time.Hour
)

// HandleStore handles a DatabaseStore that router from sent us, directly
// or in a garlic message addressed to us. It never blocks.
func (s *Service) HandleStore(from data.Hash, m *i2np.DatabaseStore) {
	s.cnt.storesReceived.Add(1)
	now := s.cfg.Now()
	if !s.storeLimit.Allow(from, now) {
		s.store.Reject(ReasonRateLimited)
		s.log.Debug("netdb: DatabaseStore rate-limited", "peer", from.String())
		return
	}
	log := s.log.With("peer", from.String(), "key", m.Key.String(), "type", m.Type)
	ff := s.Floodfill()
	waiting := s.pending.waiting(m.Key)
	var (
		stored, floodable bool
		version           int64 // what the flood table remembers: published, in ms
		err               error
	)
	switch {
	case m.Type == i2np.StoreRouterInfo && m.Key == s.self:
		// Our own RouterInfo comes back only when we look it up to
		// verify a publish; the store never holds it.
		var ri *data.RouterInfo
		if ri, err = m.RouterInfo(); err == nil {
			err = ri.Verify()
		}
		if err == nil && waiting {
			s.pending.deliver(m.Key, event{from: from, ri: ri})
		}
	case m.Type == i2np.StoreRouterInfo:
		ri, perr := data.ParseRouterInfo(m.Data)
		switch {
		case perr != nil:
			s.store.Reject(ReasonInvalid)
			log.Debug("netdb: RouterInfo refused", "err", perr)
			return
		case ri.Hash() != m.Key:
			s.store.Reject(ReasonKey)
			log.Debug("netdb: RouterInfo refused: not the key's", "router", ri.Hash().String())
			return
		}
		stored, err = s.store.Put(ri)
		floodable, version = floodableRouterInfo(ri, now), int64(ri.Published)
		if err == nil && waiting {
			s.pending.deliver(m.Key, event{from: from, ri: ri})
		}
	default:
		if !ff && !waiting {
			// Only floodfills take LeaseSets nobody asked for.
			s.store.Reject(ReasonUnsolicited)
			log.Debug("netdb: unsolicited LeaseSet dropped: not a floodfill")
			return
		}
		var l *LeaseSet
		if l, err = ParseLeaseSet(data.StoreType(m.Type), m.Data); err != nil {
			s.store.Reject(ReasonOf(err))
			log.Debug("netdb: LeaseSet refused", "err", err)
			return
		}
		// A floodfill waiting for this key takes a store without a reply
		// token as the answer to its lookup: not ours to serve.
		l.Stored = ff && (m.ReplyToken != 0 || !waiting)
		stored, err = s.store.PutLeaseSet(m.Key, l)
		floodable, version = l.Stored && !l.Unpublished, l.Published.UnixMilli()
		if err == nil && waiting {
			s.pending.deliver(m.Key, event{from: from, ls: s.store.LeaseSet(m.Key)})
		}
	}
	if err != nil {
		log.Debug("netdb: store refused", "err", err)
		return
	}
	if stored {
		log.Debug("netdb: stored")
	}
	if m.ReplyToken == 0 {
		return
	}
	// i2pd acks every store; Java only as a floodfill. A non-floodfill
	// acks only to the sender itself, so that nobody can make it send to
	// third routers.
	if ff || (m.ReplyTunnel == 0 && m.ReplyGateway == from) {
		ack := i2np.DeliveryStatus{MsgID: m.ReplyToken, Timestamp: now}
		s.cnt.acks.Add(1)
		s.reply(m.ReplyGateway, m.ReplyTunnel, nil, s.header(i2np.TypeDeliveryStatus), ack.Append(nil))
	}
	// Flood each version once, even if the store did not change: the
	// transports put a RouterInfo in the store at the handshake, before
	// the same one arrives in its owner's DatabaseStore.
	if ff && floodable && s.floods.first(m.Key, version) {
		s.flood(from, m, now)
	}
}

// floodTable remembers the version of each entry last flooded, so that
// a store is flooded once. A full table is emptied (a second flood of
// an entry is harmless).
type floodTable struct {
	mu sync.Mutex
	m  map[data.Hash]int64
}

// maxFloodTable bounds the flood table.
const maxFloodTable = 8192

// first reports whether version is newer than the last flooded version
// of key, and records it.
func (t *floodTable) first(key data.Hash, version int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.m[key]; ok && v >= version {
		return false
	}
	if t.m == nil || len(t.m) >= maxFloodTable {
		t.m = make(map[data.Hash]int64)
	}
	t.m[key] = version
	return true
}

// floodableRouterInfo: published in the last hour and with an address
// peers can dial (network-database.html, "Flooding").
func floodableRouterInfo(ri *data.RouterInfo, now time.Time) bool {
	if ri.Published.Time().Before(now.Add(-MaxFloodAge)) {
		return false
	}
	for _, a := range ri.Addresses {
		if a.Host() != "" && a.Port() != 0 {
			return true
		}
	}
	return false
}

// flood sends the entry of m, reply token 0, to the FloodTo floodfills
// closest to its routing key.
func (s *Service) flood(from data.Hash, m *i2np.DatabaseStore, now time.Time) {
	fm := &i2np.DatabaseStore{Key: m.Key, Type: m.Type, Data: m.Data}
	payload, err := fm.Append(nil)
	if err != nil {
		s.log.Warn("netdb: flood", "key", m.Key.String(), "err", err)
		return
	}
	sent := map[data.Hash]bool{}
	skip := func(h data.Hash) bool { return h == from || h == m.Key || h == s.self }
	var to []string
	for _, t := range FloodTimes(now) {
		for _, ff := range s.store.Closest(RoutingKey(m.Key, t), FloodTo, true, skip) {
			h := ff.Hash()
			if sent[h] {
				continue
			}
			sent[h] = true
			s.cnt.flooded.Add(1)
			s.send(h, s.header(i2np.TypeDatabaseStore), payload)
			to = append(to, h.String())
		}
	}
	s.log.Debug("netdb: flooded", "key", m.Key.String(), "type", m.Type, "to", to)
}

// FloodLookAhead: this close to midnight UTC, when every routing key
// changes, a store is also flooded to the floodfills closest to the next
// day's key, which lookups will soon ask (the issue's "look-ahead near
// the boundary"; Java floods ahead as well).
const FloodLookAhead = 10 * time.Minute

// FloodTimes are the times whose routing keys a store made at now is
// flooded under: now, and the next midnight when it is near.
func FloodTimes(now time.Time) []time.Time {
	next := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	if next.Sub(now) <= FloodLookAhead {
		return []time.Time{now, next}
	}
	return []time.Time{now}
}

// HandleLookup answers a DatabaseLookup that router from sent us,
// directly or in a garlic message addressed to us. It never blocks.
func (s *Service) HandleLookup(from data.Hash, m *i2np.DatabaseLookup) {
	s.cnt.lookupsReceived.Add(1)
	now := s.cfg.Now()
	switch {
	case !s.Floodfill():
		s.store.Reject(ReasonNotFloodfill)
		return
	case !s.lookupLimit.Allow(from, now):
		s.store.Reject(ReasonRateLimited)
		s.log.Debug("netdb: DatabaseLookup rate-limited", "peer", from.String())
		return
	case m.Encryption == i2np.ReplyElGamal:
		// ElGamal/AES replies are for ElGamal destinations, which
		// floodfills of API 0.9.58 and later need not serve.
		s.store.Reject(ReasonUnsupported)
		return
	case m.From.IsZero() || m.Key.IsZero():
		s.store.Reject(ReasonInvalid)
		return
	}
	typ, payload, err := s.answer(m, now)
	if err != nil {
		s.log.Warn("netdb: lookup answer", "key", m.Key.String(), "err", err)
		return
	}
	var enc *i2np.DatabaseLookup
	if m.Encryption == i2np.ReplyECIES {
		enc = m
	}
	s.reply(m.From, m.ReplyTunnel, enc, s.header(typ), payload)
}

// answer builds the reply to lookup m: the entry, or the closest routers.
func (s *Service) answer(m *i2np.DatabaseLookup, now time.Time) (uint8, []byte, error) {
	if !m.Exploratory() {
		p, err := s.find(m, now)
		if p != nil || err != nil {
			s.cnt.answered.Add(1)
			return i2np.TypeDatabaseStore, p, err
		}
	}
	var excluded map[data.Hash]bool
	if len(m.Excluded) > 0 {
		excluded = make(map[data.Hash]bool, len(m.Excluded))
		for _, h := range m.Excluded {
			excluded[h] = true
		}
	}
	skip := func(h data.Hash) bool { return excluded[h] || h == m.From }
	sr := &i2np.DatabaseSearchReply{Key: m.Key, From: s.self}
	for _, ri := range s.store.Closest(RoutingKey(m.Key, now), SearchReplyPeers, !m.Exploratory(), skip) {
		sr.Peers = append(sr.Peers, ri.Hash())
	}
	s.cnt.searchReplies.Add(1)
	p, err := sr.Append(nil)
	return i2np.TypeDatabaseSearchReply, p, err
}

// find returns the DatabaseStore payload answering m, or nil.
func (s *Service) find(m *i2np.DatabaseLookup, now time.Time) ([]byte, error) {
	if m.Lookup == i2np.LookupRouterInfo || m.Lookup == i2np.LookupAny {
		ri := s.store.Get(m.Key)
		if ri == nil && m.Key == s.self {
			ri = s.selfRI()
		}
		if ri != nil {
			return s.gz.payload(ri)
		}
	}
	if m.Lookup == i2np.LookupLeaseSet || m.Lookup == i2np.LookupAny {
		if l := s.store.LeaseSet(m.Key); l != nil && l.Servable(now) {
			return (&i2np.DatabaseStore{Key: m.Key, Type: i2np.StoreType(l.Type), Data: l.Bytes()}).Append(nil)
		}
	}
	return nil, nil
}

// maxGzipCache bounds the RouterInfo DatabaseStores kept compressed.
const maxGzipCache = 1024

// gzipCache keeps the DatabaseStore payload (reply token 0) of the
// RouterInfos we serve: compressing one costs a hundred times more than
// the rest of answering a lookup. RouterInfos never change, so the
// pointer is the key; a full cache is emptied.
type gzipCache struct {
	mu sync.Mutex
	m  map[*data.RouterInfo][]byte
}

func (c *gzipCache) payload(ri *data.RouterInfo) ([]byte, error) {
	c.mu.Lock()
	p, ok := c.m[ri]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := i2np.NewRouterInfoStore(ri, 0, data.Hash{}).Append(nil)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxGzipCache {
		c.m = make(map[*data.RouterInfo][]byte)
	}
	c.m[ri] = p
	c.mu.Unlock()
	return p, nil
}

// reply queues message (h, payload) to router to: directly if tunnel is
// 0, else as a TunnelGateway message for that tunnel at router to. If
// enc is an ECIES lookup, the message travels garlic-wrapped with its
// one-time key and tag (Existing Session format, proposal 154).
func (s *Service) reply(to data.Hash, tunnel data.TunnelID, enc *i2np.DatabaseLookup, h i2np.Header, payload []byte) {
	if to.IsZero() {
		return
	}
	if enc != nil {
		key := [32]byte(enc.ReplyKey)
		g, err := i2np.WrapOneTimeGarlic(&key, [8]byte(enc.RatchetTag), h, payload)
		if err != nil {
			s.log.Warn("netdb: garlic-wrap reply", "err", err)
			return
		}
		s.cnt.encrypted.Add(1)
		h, payload = s.header(i2np.TypeGarlic), g
	}
	if tunnel != 0 {
		tg, err := i2np.NewTunnelGateway(tunnel, h, payload)
		if err == nil {
			payload, err = tg.Append(nil)
		}
		if err != nil {
			s.log.Warn("netdb: reply through tunnel", "err", err)
			return
		}
		h = s.header(i2np.TypeTunnelGateway)
	}
	s.send(to, h, payload)
}
