package torrent

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/veil-i2p/veil"
)

// Tracker is an I2P HTTP tracker (`veil-torrent tracker`): serve it on a
// destination's listener (http.Serve(l, tracker)), announce URL
// http://<its b32>/announce. It enforces destinations: the announcing
// peer is the destination the request's stream came from (RemoteAddr);
// an "ip" parameter, when given, must be that destination's Base64. It
// answers compact (32-byte hashes) when asked, else with Base64
// destinations. Its methods are safe for concurrent use; the zero value
// is not usable, use NewTracker.
type Tracker struct {
	interval time.Duration
	now      func() time.Time

	mu     sync.Mutex
	swarms map[[20]byte]map[[32]byte]*trackedPeer
}

// trackedPeer is one peer of a swarm.
type trackedPeer struct {
	dest    string // Base64 destination, "" if only the hash is known
	left    int64
	expires time.Time
}

// Tracker bounds.
const (
	maxSwarms        = 10000
	maxSwarmPeers    = 1000
	defaultNumWant   = 50
	maxNumWant       = 200
	TrackerInterval  = 10 * time.Minute // announce interval the tracker asks for
	peerLifeFactor   = 3                // a peer is dropped after this many intervals without announcing
	maxDestB64Length = 1024             // bittorrent.html: 475 bytes is a reasonable maximum
)

// NewTracker returns a tracker that asks clients to announce every
// interval (0: TrackerInterval).
func NewTracker(interval time.Duration) *Tracker {
	if interval <= 0 {
		interval = TrackerInterval
	}
	return &Tracker{interval: interval, now: time.Now, swarms: make(map[[20]byte]map[[32]byte]*trackedPeer)}
}

// ServeHTTP answers GET /announce.
func (t *Tracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/announce" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	body, err := t.announce(r)
	if err != nil {
		body, _ = bencode.Marshal(map[string]string{"failure reason": err.Error()})
	}
	w.Write(body)
}

// announce handles one announce and returns the bencoded answer.
func (t *Tracker) announce(r *http.Request) ([]byte, error) {
	if r.Header.Get("X-Forwarded-For") != "" {
		return nil, fmt.Errorf("announces through an inproxy are refused")
	}
	from, err := veil.ParseAddr(r.RemoteAddr)
	if err != nil {
		return nil, fmt.Errorf("not an I2P peer")
	}
	q := r.URL.Query()
	ih := q.Get("info_hash")
	if len(ih) != 20 {
		return nil, fmt.Errorf("info_hash: want 20 bytes")
	}
	dest := ""
	if ip := strings.TrimSuffix(q.Get("ip"), ".i2p"); ip != "" {
		if len(ip) > maxDestB64Length {
			return nil, fmt.Errorf("ip: too long for a destination")
		}
		a, err := veil.ParseAddr(ip)
		if err != nil || a.Base64() == "" {
			return nil, fmt.Errorf("ip: not a Base64 destination")
		}
		if a.B32() != from.B32() {
			return nil, fmt.Errorf("ip: not the destination the announce came from")
		}
		dest = a.Base64()
	}
	left, err := strconv.ParseInt(q.Get("left"), 10, 64)
	if err != nil || left < 0 {
		return nil, fmt.Errorf("left: want a number")
	}
	numWant := defaultNumWant
	if n, err := strconv.Atoi(q.Get("numwant")); err == nil && n >= 0 {
		numWant = min(n, maxNumWant)
	}
	var key [20]byte
	copy(key[:], ih)
	self := from.Hash()
	peers, err := t.update(key, self, dest, left, q.Get("event"))
	if err != nil {
		return nil, err
	}
	if len(peers) > numWant {
		peers = peers[:numWant]
	}
	resp := map[string]any{"interval": int(t.interval / time.Second)}
	if q.Get("compact") == "1" {
		var b []byte
		for _, p := range peers {
			b = append(b, p.hash[:]...)
		}
		resp["peers"] = string(b)
	} else {
		list := []map[string]any{}
		for _, p := range peers {
			if p.dest != "" {
				list = append(list, map[string]any{"ip": p.dest + ".i2p", "port": fakePort})
			}
		}
		resp["peers"] = list
	}
	return bencode.Marshal(resp)
}

// swarmPeer is a peer handed out.
type swarmPeer struct {
	hash [32]byte
	dest string
}

// update records the announce of peer self in swarm key and returns the
// other live peers (seeders last, for leechers to find each other too).
func (t *Tracker) update(key [20]byte, self [32]byte, dest string, left int64, event string) ([]swarmPeer, error) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	swarm := t.swarms[key]
	if swarm == nil {
		if event == "stopped" {
			return nil, nil
		}
		if len(t.swarms) >= maxSwarms {
			t.expireLocked(now)
			if len(t.swarms) >= maxSwarms {
				return nil, fmt.Errorf("tracker full")
			}
		}
		swarm = make(map[[32]byte]*trackedPeer)
		t.swarms[key] = swarm
	}
	if event == "stopped" {
		delete(swarm, self)
	} else {
		p := swarm[self]
		if p == nil {
			if len(swarm) >= maxSwarmPeers {
				return nil, fmt.Errorf("swarm full")
			}
			p = &trackedPeer{}
			swarm[self] = p
		}
		if dest != "" {
			p.dest = dest
		}
		p.left, p.expires = left, now.Add(peerLifeFactor*t.interval)
	}
	var out []swarmPeer
	for h, p := range swarm {
		if h != self && now.Before(p.expires) {
			out = append(out, swarmPeer{h, p.dest})
		}
	}
	if len(swarm) == 0 {
		delete(t.swarms, key)
	}
	return out, nil
}

// expireLocked drops peers that stopped announcing, and empty swarms.
func (t *Tracker) expireLocked(now time.Time) {
	for k, swarm := range t.swarms {
		for h, p := range swarm {
			if !now.Before(p.expires) {
				delete(swarm, h)
			}
		}
		if len(swarm) == 0 {
			delete(t.swarms, k)
		}
	}
}

// Peers counts the live peers of the swarm of infoHash (seeders: left 0).
func (t *Tracker) Peers(infoHash [20]byte) (seeders, leechers int) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.swarms[infoHash] {
		switch {
		case !now.Before(p.expires):
		case p.left == 0:
			seeders++
		default:
			leechers++
		}
	}
	return seeders, leechers
}
