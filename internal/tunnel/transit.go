package tunnel

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/ratelimit"
	"github.com/veil-i2p/veil/internal/replay"
	"golang.org/x/time/rate"
)

// Transit carries other routers' tunnels: it answers build requests
// addressed to this router and then forwards the tunnels' traffic as a
// participant, inbound gateway or outbound endpoint. It does no I/O: each
// Handle method appends the messages to send to an Out slice, and the
// caller (the router) hands them to the transports after the call.
// Transit is safe for concurrent use; one lock guards its table.
type Transit struct {
	cfg     TransitConfig
	builds  *ratelimit.Limiter[data.Hash] // build requests per previous hop
	records *replay.Filter                // ephemeral keys of records seen
	share   *rate.Limiter                 // transit bytes per second; nil: no limit
	dup     *DupFilter                    // tunnel messages seen

	mu      sync.Mutex
	tunnels map[data.TunnelID]*transitTunnel
	byPrev  map[data.Hash]int // transit tunnels per requesting peer
	cnt     TransitCounters
	closing bool // SetAccept(false): refuse new tunnels (transit_accept.go)
}

// TransitConfig configures a Transit.
type TransitConfig struct {
	Self data.Hash   // this router
	Keys *RecordKeys // opens records addressed to Self
	// Accept is false under `notransit`: every request is refused
	// (reply 30, as for any other refusal).
	Accept bool
	// MaxTunnels caps the transit tunnels held (i2pd's
	// limits.transittunnels); 0 means DefaultMaxTransit.
	MaxTunnels int
	// BuildRate and BuildBurst limit build requests per previous hop, per
	// second; a request over the limit is dropped without a reply. A rate
	// of 0 means DefaultBuildRate.
	BuildRate  float64
	BuildBurst int
	// ShareBytes limits transit traffic to this many bytes per second
	// (i2pd's bandwidth × share / 100); 0 means no limit. Tunnel messages
	// over it are dropped, as a congested router drops them.
	ShareBytes int
	Log        *slog.Logger
}

// Defaults of TransitConfig.
const (
	DefaultMaxTransit = 5000 // i2pd 2.45's limits.transittunnels
	DefaultBuildRate  = 20   // requests/s per previous hop, well above honest use
	DefaultBuildBurst = 50

	// Lifetime is a tunnel's life from its build (tunnel-message.rst).
	Lifetime = 10 * time.Minute
	// transitGrace keeps a transit tunnel a little past its lifetime for
	// messages already in flight when its creator switched tunnels.
	transitGrace = time.Minute
	// requestWindow is how far a request time may lie behind or ahead of
	// ours: records are in minutes, so allow the ElGamal rule's window.
	requestPast   = 65 * time.Minute
	requestFuture = 5 * time.Minute
)

// TransitCounters count what Transit did, for status and tests.
type TransitCounters struct {
	Requests, Accepted, Rejected uint64 // build requests answered
	Dropped                      uint64 // build requests dropped unanswered (malformed, replayed, rate-limited)
	DataIn, DataOut              uint64 // tunnel messages received for and sent on transit tunnels
	Unknown                      uint64 // tunnel messages for tunnels we do not carry
	Duplicate                    uint64 // tunnel messages dropped by the IV filter
	OverShare                    uint64 // tunnel messages dropped over the bandwidth share
	Delivered                    uint64 // I2NP messages delivered as outbound endpoint
	Gatewayed                    uint64 // I2NP messages taken in as inbound gateway
}

// Out is one I2NP message for the transports to send.
type Out struct {
	To  data.Hash
	Msg i2np.Header
	// Payload is the message body (without header).
	Payload []byte
	// Failed, if set, is called (on the sender's goroutine) when the
	// message could not be handed to a session: its builder gives up at
	// once instead of waiting for a reply that cannot come.
	Failed func()
}

// transitTunnel is one tunnel carried for someone else.
type transitTunnel struct {
	mu sync.Mutex // guards gw and ep, which belong to one goroutine at a time

	role    Role
	from    data.Hash // the peer that sent the build request
	recvID  data.TunnelID
	nextID  data.TunnelID
	next    data.Hash
	prev    data.Hash // the hop the first tunnel message came from
	layer   *Layer
	expires time.Time
	gw      *Gateway  // inbound gateway only
	ep      *Endpoint // outbound endpoint only
	msgs    uint64
}

// TransitInfo describes one transit tunnel for status pages.
type TransitInfo struct {
	ID       data.TunnelID
	Role     Role
	Next     data.Hash
	NextID   data.TunnelID
	Expires  time.Time
	Messages uint64
}

// NewTransit returns an empty Transit.
func NewTransit(cfg TransitConfig) *Transit {
	if cfg.MaxTunnels <= 0 {
		cfg.MaxTunnels = DefaultMaxTransit
	}
	if cfg.BuildRate <= 0 {
		cfg.BuildRate = DefaultBuildRate
	}
	if cfg.BuildBurst <= 0 {
		cfg.BuildBurst = DefaultBuildBurst
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	var share *rate.Limiter
	if cfg.ShareBytes > 0 {
		// A burst of one second's worth, at least a few tunnel messages.
		share = rate.NewLimiter(rate.Limit(cfg.ShareBytes), max(cfg.ShareBytes, 8*i2np.TunnelDataMsgLen))
	}
	return &Transit{
		share:   share,
		cfg:     cfg,
		builds:  ratelimit.New[data.Hash](cfg.BuildRate, cfg.BuildBurst, 4096, false),
		records: replay.NewFilter(requestPast, 1<<16),
		dup:     NewDupFilter(randomKey16(), DefaultDupPeriod, DupCapacity(cfg.ShareBytes)),
		tunnels: make(map[data.TunnelID]*transitTunnel),
		byPrev:  make(map[data.Hash]int),
	}
}

// Counters returns a snapshot of the counters.
func (t *Transit) Counters() TransitCounters {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cnt
}

// Len is the number of transit tunnels held.
func (t *Transit) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.tunnels)
}

// Tunnels lists the transit tunnels.
func (t *Transit) Tunnels() []TransitInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]TransitInfo, 0, len(t.tunnels))
	for _, tt := range t.tunnels {
		out = append(out, TransitInfo{ID: tt.recvID, Role: tt.role, Next: tt.next, NextID: tt.nextID, Expires: tt.expires, Messages: tt.msgs})
	}
	return out
}

// Expire drops the tunnels past their lifetime and stale partial
// messages at outbound endpoints.
func (t *Transit) Expire(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, tt := range t.tunnels {
		if now.After(tt.expires) {
			delete(t.tunnels, id)
			if t.byPrev[tt.from]--; t.byPrev[tt.from] <= 0 {
				delete(t.byPrev, tt.from)
			}
			continue
		}
		if tt.ep != nil {
			tt.mu.Lock()
			tt.ep.Expire(now)
			tt.mu.Unlock()
		}
	}
}

// HandleBuild processes a build message (types 21, 23 or 25) from the
// router from: if one record is ours, it decides, replies in the records,
// and appends the forwarded build message or (as outbound endpoint) the
// reply to out. Messages with no record for us are dropped.
func (t *Transit) HandleBuild(from data.Hash, typ uint8, payload []byte, now time.Time, out []Out) ([]Out, error) {
	if !t.builds.Allow(from, now) {
		t.count(func(c *TransitCounters) { c.Dropped++ })
		return out, fmt.Errorf("tunnel: build requests from %s over the rate limit", from)
	}
	var (
		hr  *HopRequest
		err error
		fwd func(code byte, opts []byte) ([]byte, error)
	)
	switch typ {
	case i2np.TypeShortTunnelBuild:
		var m *i2np.ShortTunnelBuild
		if m, err = i2np.ParseShortTunnelBuild(payload); err != nil {
			break
		}
		if hr, err = t.cfg.Keys.OpenShort(m.Records); err != nil {
			break
		}
		fwd = func(code byte, opts []byte) ([]byte, error) {
			if err := hr.ReplyShort(m.Records, code, opts); err != nil {
				return nil, err
			}
			return m.Append(nil)
		}
	case i2np.TypeVariableTunnelBuild:
		var m *i2np.VariableTunnelBuild
		if m, err = i2np.ParseVariableTunnelBuild(payload); err != nil {
			break
		}
		if hr, err = t.cfg.Keys.OpenLong(m.Records); err != nil {
			break
		}
		fwd = func(code byte, opts []byte) ([]byte, error) {
			if err := hr.ReplyLong(m.Records, code, opts); err != nil {
				return nil, err
			}
			return m.Append(nil)
		}
	case i2np.TypeTunnelBuild:
		var m *i2np.TunnelBuild
		if m, err = i2np.ParseTunnelBuild(payload); err != nil {
			break
		}
		if hr, err = t.cfg.Keys.OpenLong(m.Records[:]); err != nil {
			break
		}
		fwd = func(code byte, opts []byte) ([]byte, error) {
			if err := hr.ReplyLong(m.Records[:], code, opts); err != nil {
				return nil, err
			}
			return m.Append(nil)
		}
	default:
		return out, fmt.Errorf("tunnel: message type %d is not a build request", typ)
	}
	if err == nil {
		err = t.screen(hr, typ, payload, now)
	}
	if err != nil {
		t.count(func(c *TransitCounters) { c.Dropped++ })
		return out, err
	}
	code, opts := t.admit(from, hr, now)
	body, err := fwd(code, opts)
	if err != nil {
		return out, err
	}
	return t.forwardBuild(hr, typ, body, now, out)
}

// screen drops requests that deserve no answer: replays, stale or future
// request times, a next hop that is ourselves.
func (t *Transit) screen(hr *HopRequest, typ uint8, payload []byte, now time.Time) error {
	rt := hr.Time()
	if rt.Before(now.Add(-requestPast)) || rt.After(now.Add(requestFuture)) {
		return fmt.Errorf("tunnel: build request time %s, %s from ours", rt.UTC().Format(time.RFC3339), rt.Sub(now).Round(time.Minute))
	}
	if hr.NextIdent == t.cfg.Self && hr.Role() != OutboundEndpoint {
		return fmt.Errorf("tunnel: build request names us as the next hop")
	}
	// The replay key is the record's ephemeral key, unique per record.
	recLen := i2np.ShortBuildRecordLen
	if hr.Long {
		recLen = i2np.BuildRecordLen
	}
	off := 1 + hr.Index*recLen + recordHashLen
	if typ == i2np.TypeTunnelBuild {
		off-- // TunnelBuild has no count byte
	}
	if off+8 <= len(payload) && t.records.Seen(binary.LittleEndian.Uint64(payload[off:]), now) {
		return fmt.Errorf("tunnel: replayed build record")
	}
	return nil
}

// admit decides on a request and, when accepting, adds the tunnel. It
// returns the reply code and the reply options (proposal 168).
func (t *Transit) admit(from data.Hash, hr *HopRequest, now time.Time) (byte, []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cnt.Requests++
	_, dup := t.tunnels[hr.ReceiveID]
	avail, ok := t.bandwidthFor(hr.Options)
	if !ok || !t.cfg.Accept || t.closing || dup || len(t.tunnels) >= t.cfg.MaxTunnels || t.byPrev[from] >= t.perPeerMax() ||
		(hr.NextID == 0 && hr.Role() != OutboundEndpoint) {
		t.cnt.Rejected++
		return ReplyRejectBandw, nil
	}
	tt := &transitTunnel{
		role:    hr.Role(),
		recvID:  hr.ReceiveID,
		nextID:  hr.NextID,
		next:    hr.NextIdent,
		layer:   NewLayer(hr.Layer, hr.IV),
		expires: now.Add(Lifetime + transitGrace),
	}
	switch tt.role {
	case InboundGateway:
		tt.gw = NewGateway(nil)
	case OutboundEndpoint:
		tt.ep = NewEndpoint(EndpointConfig{})
	}
	tt.from = from
	t.tunnels[hr.ReceiveID] = tt
	t.byPrev[from]++
	t.cnt.Accepted++
	t.cfg.Log.Debug("tunnel: transit accepted", "id", uint32(hr.ReceiveID), "role", tt.role.String(), "next", hr.NextIdent.String(), "from", from.String())
	return replyAccept, avail
}

// perPeerMax caps the transit tunnels one requesting peer may hold, so a
// single flooder within its rate limit cannot fill the whole table: a
// tenth of it, at least 100.
func (t *Transit) perPeerMax() int { return max(t.cfg.MaxTunnels/10, 100) }

// bandwidthFor reads a request's bandwidth options (proposal 168: m, the
// minimum, and r, the requested KBps) and returns the reply options (b,
// what we offer) and whether we can meet m. Without either option the
// reply has none. What we offer is our whole transit share, or r when we
// set no limit: a promise of best effort, as the proposal says.
func (t *Transit) bandwidthFor(opts []byte) ([]byte, bool) {
	if len(opts) <= 2 {
		return nil, true
	}
	m, _, err := data.ParseMapping(opts)
	if err != nil {
		return nil, true // unreadable options are ignored, as unknown ones are
	}
	minKB, _ := strconv.Atoi(m.Value("m"))
	reqKB, _ := strconv.Atoi(m.Value("r"))
	if minKB <= 0 && reqKB <= 0 {
		return nil, true
	}
	offer := max(reqKB, minKB)
	if t.cfg.ShareBytes > 0 {
		offer = t.cfg.ShareBytes / 1024
		if offer < minKB {
			return nil, false
		}
	}
	var reply data.Mapping
	reply.Set("b", strconv.Itoa(offer))
	b, err := reply.Append(nil)
	if err != nil {
		return nil, true
	}
	return b, true
}

// forwardBuild sends the processed build message on: to the next hop, or
// as outbound endpoint to the reply tunnel's gateway, inside a
// TunnelGateway and (short records) one-time garlic.
func (t *Transit) forwardBuild(hr *HopRequest, typ uint8, body []byte, now time.Time, out []Out) ([]Out, error) {
	exp := now.Add(buildMessageLife)
	if hr.Role() != OutboundEndpoint {
		return append(out, Out{To: hr.NextIdent, Msg: i2np.Header{Type: typ, ID: hr.NextMsgID, Expiration: exp}, Payload: body}), nil
	}
	replyType := map[uint8]uint8{
		i2np.TypeShortTunnelBuild:    i2np.TypeOutboundTunnelBuildReply,
		i2np.TypeVariableTunnelBuild: i2np.TypeVariableTunnelBuildReply,
		i2np.TypeTunnelBuild:         i2np.TypeTunnelBuildReply,
	}[typ]
	h := i2np.Header{Type: replyType, ID: hr.NextMsgID, Expiration: exp}
	if typ == i2np.TypeShortTunnelBuild {
		g, err := i2np.WrapOneTimeGarlic(&hr.GarlicKey, hr.GarlicTag, h, body)
		if err != nil {
			return out, err
		}
		h, body = i2np.Header{Type: i2np.TypeGarlic, ID: randomID(), Expiration: exp}, g
	}
	tg, err := i2np.NewTunnelGateway(hr.NextID, h, body)
	if err != nil {
		return out, err
	}
	p, err := tg.Append(nil)
	if err != nil {
		return out, err
	}
	return append(out, Out{To: hr.NextIdent, Msg: i2np.Header{Type: i2np.TypeTunnelGateway, ID: randomID(), Expiration: exp}, Payload: p}), nil
}

// buildMessageLife is the expiration given to forwarded build messages.
const buildMessageLife = 2 * time.Minute

// randomID is a nonzero random message id.
func randomID() uint32 {
	for {
		if id := mrand.Uint32(); id != 0 {
			return id
		}
	}
}

// randomKey16 is a fresh secret key for a keyed hash.
func randomKey16() (k [16]byte) {
	rand.Read(k[:])
	return k
}

func (t *Transit) count(f func(*TransitCounters)) {
	t.mu.Lock()
	f(&t.cnt)
	t.mu.Unlock()
}

// withinShare takes n bytes from the transit bandwidth share at now.
func (t *Transit) withinShare(n int, now time.Time) bool {
	if t.share == nil || t.share.AllowN(now, n) {
		return true
	}
	t.count(func(c *TransitCounters) { c.OverShare++ })
	return false
}
