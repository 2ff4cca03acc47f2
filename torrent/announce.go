package torrent

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/veil-i2p/veil"
)

// Announces to I2P HTTP trackers (bittorrent.html, "Announces"). Each
// torrent has one announcer goroutine: it announces "started" at once,
// then at the interval the tracker asks (bounded), and "stopped" when the
// torrent or the client closes.

// Announce bounds.
const (
	fakePort        = 6881             // for trackers that want a port
	minInterval     = 10 * time.Second // the least we wait between announces
	maxInterval     = time.Hour
	defaultInterval = 30 * time.Minute
	retryInterval   = 30 * time.Second // after a failed announce
	maxResponse     = 1 << 20          // bytes of a tracker response read
	maxPeers        = 200              // peers taken from one response
	announceTimeout = 2 * time.Minute
)

// announceRequest is what one announce says.
type announceRequest struct {
	infoHash             [20]byte
	peerID               [20]byte
	self                 string // our Base64 destination
	uploaded, downloaded int64
	left                 int64
	event                string // "started", "completed", "stopped" or ""
	numWant              int
}

// announceResponse is a tracker's answer.
type announceResponse struct {
	Failure  string        `bencode:"failure reason,omitempty"`
	Interval int           `bencode:"interval,omitempty"`
	Peers    bencode.Bytes `bencode:"peers,omitempty"`
}

// peerDict is one peer of a non-compact response.
type peerDict struct {
	IP     string `bencode:"ip"`
	PeerID string `bencode:"peer id,omitempty"`
	Port   int    `bencode:"port,omitempty"`
}

// trackerURL is the announce URL with a's parameters. Only http URLs on
// .i2p hosts are used: anything else would leave I2P.
func trackerURL(announce string, a announceRequest) (string, error) {
	u, err := url.Parse(announce)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" || !strings.HasSuffix(strings.ToLower(u.Hostname()), ".i2p") {
		return "", fmt.Errorf("tracker %s: not an http://….i2p tracker", announce)
	}
	q := u.Query()
	q.Set("info_hash", string(a.infoHash[:]))
	q.Set("peer_id", string(a.peerID[:]))
	q.Set("port", strconv.Itoa(fakePort))
	q.Set("ip", a.self+".i2p")
	q.Set("uploaded", strconv.FormatInt(a.uploaded, 10))
	q.Set("downloaded", strconv.FormatInt(a.downloaded, 10))
	q.Set("left", strconv.FormatInt(a.left, 10))
	q.Set("compact", "1")
	if a.numWant > 0 {
		q.Set("numwant", strconv.Itoa(a.numWant))
	}
	if a.event != "" {
		q.Set("event", a.event)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// announce sends one announce through hc and returns the peers and the
// interval the tracker asks for.
func announce(ctx context.Context, hc *http.Client, tracker string, a announceRequest) ([]peerAddr, time.Duration, error) {
	u, err := trackerURL(tracker, a)
	if err != nil {
		return nil, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("tracker %s: %s", tracker, resp.Status)
	}
	return parseAnnounce(body)
}

// parseAnnounce reads a tracker response: compact (32-byte hashes) or
// not (dicts with a Base64 destination as "ip"). Peers that are not I2P
// destinations are dropped.
func parseAnnounce(body []byte) ([]peerAddr, time.Duration, error) {
	var r announceResponse
	if err := bencode.Unmarshal(body, &r); err != nil {
		return nil, 0, fmt.Errorf("tracker response: %w", err)
	}
	if r.Failure != "" {
		return nil, 0, fmt.Errorf("tracker: %s", r.Failure)
	}
	interval := min(max(time.Duration(r.Interval)*time.Second, minInterval), maxInterval)
	if r.Interval <= 0 {
		interval = defaultInterval
	}
	var peers []peerAddr
	if len(r.Peers) == 0 {
		return nil, interval, nil
	}
	var compact string
	if err := bencode.Unmarshal(r.Peers, &compact); err == nil {
		if len(compact)%sha256.Size != 0 {
			return nil, 0, errors.New("tracker response: compact peers not a multiple of 32 bytes")
		}
		for i := 0; i < len(compact) && len(peers) < maxPeers; i += sha256.Size {
			a, err := veil.ParseAddr(b32([]byte(compact[i : i+sha256.Size])))
			if err == nil {
				peers = append(peers, peerAddr(a.B32()))
			}
		}
		return peers, interval, nil
	}
	var dicts []peerDict
	if err := bencode.Unmarshal(r.Peers, &dicts); err != nil {
		return nil, 0, fmt.Errorf("tracker response: peers: %w", err)
	}
	for _, p := range dicts {
		if len(peers) == maxPeers {
			break
		}
		if a, err := veil.ParseAddr(strings.TrimSuffix(p.IP, ".i2p")); err == nil && a.Base64() != "" {
			peers = append(peers, peerAddr(a.Base64())) // dialed directly, no lookup by hash
		}
	}
	return peers, interval, nil
}

// b32 is the ….b32.i2p address of a 32-byte hash.
func b32(h []byte) string {
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h)) + ".b32.i2p"
}
