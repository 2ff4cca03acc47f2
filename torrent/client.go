package torrent

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/veil-i2p/veil"
)

// Network is what the client needs of its I2P destination. A
// *veil.Destination is one (Config.Destination); another router's, such
// as a SAM session's, can be adapted.
type Network interface {
	// DialContext opens a stream to "host:port" (host: a ….b32.i2p
	// address or a Base64 destination).
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
	// Listen accepts the streams to the destination; a nil Listener
	// (and nil error) makes a client that only dials.
	Listen() (net.Listener, error)
	// Base64 is the destination in I2P Base64, announced to trackers.
	Base64() string
}

// destinationNetwork is a veil.Destination as a Network.
type destinationNetwork struct{ *veil.Destination }

func (d destinationNetwork) Base64() string { return d.Addr().Base64() }

// Config configures a Client.
type Config struct {
	// Destination is the client's I2P address: peers connect to it, and
	// it dials peers and announces to trackers. The client takes every
	// stream to it.
	Destination *veil.Destination
	// Network, if Destination is nil, is the client's I2P destination on
	// another router (tests use an i2pd SAM session).
	Network Network
	// DataDir is where the torrents' files are read (seeding) and written.
	DataDir string
	// Logger receives the client's logs; nil discards them.
	Logger *slog.Logger
}

// Client is a BitTorrent client over I2P. Its methods are safe for
// concurrent use.
type Client struct {
	cl  *torrent.Client
	net Network
	ln  net.Listener // nil: the client only dials
	hc  *http.Client
	log *slog.Logger

	ctx    context.Context // ends at Close: the announcers stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // announcers
}

// I2P is slower than TCP: dials and handshakes get more time than
// anacrolix/torrent's defaults.
const (
	dialTimeout      = time.Minute
	handshakeTimeout = 30 * time.Second
)

// NewClient starts a client on cfg.Destination.
func NewClient(cfg Config) (*Client, error) {
	nw := cfg.Network
	if cfg.Destination != nil {
		nw = destinationNetwork{cfg.Destination}
	}
	if nw == nil {
		return nil, fmt.Errorf("torrent: no destination")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cc := torrent.NewDefaultClientConfig()
	cc.DataDir = cfg.DataDir
	cc.Seed = true
	// I2P only: no clearnet socket, DHT, PEX of IP addresses, web seeds,
	// port forwarding; trackers are announced to here, over I2P.
	cc.NoDHT, cc.DisableTCP, cc.DisableUTP, cc.DisablePEX = true, true, true, true
	cc.DisableTrackers, cc.DisableWebtorrent, cc.DisableWebseeds = true, true, true
	cc.NoDefaultPortForwarding, cc.DisableIPv6 = true, true
	cc.ListenPort = 0
	cc.NominalDialTimeout, cc.MinDialTimeout, cc.HandshakesTimeout = dialTimeout, dialTimeout/3, handshakeTimeout
	cc.Slogger = log
	cl, err := torrent.NewClient(cc)
	if err != nil {
		return nil, fmt.Errorf("torrent: %w", err)
	}
	ln, err := nw.Listen()
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("torrent: %w", err)
	}
	cl.AddDialer(dialer{nw})
	if ln != nil {
		cl.AddListener(ln)
	}
	c := &Client{cl: cl, net: nw, ln: ln, log: log,
		hc: &http.Client{Transport: &http.Transport{DialContext: nw.DialContext}, Timeout: announceTimeout}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// AddTorrent adds the torrent of mi: its files are looked for in the data
// folder (seeded when complete, after checking every piece) and
// downloaded otherwise, from the peers of its I2P trackers.
func (c *Client) AddTorrent(mi *metainfo.MetaInfo) (*torrent.Torrent, error) {
	t, err := c.cl.AddTorrent(mi)
	if err != nil {
		return nil, fmt.Errorf("torrent: %w", err)
	}
	var trackers []string
	for _, tier := range mi.UpvertedAnnounceList() {
		trackers = append(trackers, tier...)
	}
	c.start(t, trackers)
	return t, nil
}

// AddMagnet adds the torrent of a magnet link; its tr= trackers give the
// peers, the peers its metadata.
func (c *Client) AddMagnet(uri string) (*torrent.Torrent, error) {
	m, err := metainfo.ParseMagnetUri(uri)
	if err != nil {
		return nil, fmt.Errorf("torrent: magnet: %w", err)
	}
	t, err := c.cl.AddMagnet(uri)
	if err != nil {
		return nil, fmt.Errorf("torrent: %w", err)
	}
	c.start(t, m.Trackers)
	return t, nil
}

// start checks existing data once the info is known, downloads what is
// missing, and announces.
func (c *Client) start(t *torrent.Torrent, trackers []string) {
	var i2p []string
	for _, tr := range trackers {
		if _, err := trackerURL(tr, announceRequest{}); err != nil {
			c.log.Warn("torrent: tracker ignored (I2P trackers only)", "tracker", tr)
			continue
		}
		i2p = append(i2p, tr)
	}
	c.wg.Go(func() {
		select {
		case <-t.GotInfo():
		case <-c.ctx.Done():
			return
		case <-t.Closed():
			return
		}
		if err := t.VerifyDataContext(c.ctx); err != nil && c.ctx.Err() == nil {
			c.log.Warn("torrent: checking existing data", "name", t.Name(), "err", err)
		}
		t.DownloadAll()
	})
	if len(i2p) > 0 {
		c.wg.Go(func() { c.runAnnounce(t, i2p) })
	}
}

// runAnnounce announces t to its trackers until the torrent or the
// client closes, then says "stopped".
func (c *Client) runAnnounce(t *torrent.Torrent, trackers []string) {
	event := "started"
	completed := false
	for {
		interval := maxInterval
		for _, tr := range trackers {
			peers, iv, err := announce(c.ctx, c.hc, tr, c.request(t, event))
			if err != nil {
				if c.ctx.Err() != nil {
					break
				}
				c.log.Info("torrent: announce failed", "tracker", tr, "err", err)
				iv = retryInterval
			}
			interval = min(interval, iv)
			if len(peers) > 0 {
				pis := make([]torrent.PeerInfo, len(peers))
				for i, p := range peers {
					pis[i] = torrent.PeerInfo{Addr: p, Source: torrent.PeerSourceTracker}
				}
				c.log.Debug("torrent: peers from tracker", "tracker", tr, "peers", len(peers))
				t.AddPeers(pis)
			}
		}
		event = ""
		var done <-chan struct{}
		if !completed {
			done = t.Complete().On()
		}
		select {
		case <-c.ctx.Done():
			c.stopped(t, trackers)
			return
		case <-t.Closed():
			c.stopped(t, trackers)
			return
		case <-done:
			completed, event = true, "completed"
		case <-time.After(interval):
		}
	}
}

// stopped tells the trackers we leave, briefly.
func (c *Client) stopped(t *torrent.Torrent, trackers []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tr := range trackers {
		announce(ctx, c.hc, tr, c.request(t, "stopped"))
	}
}

// request is t's announce with event.
func (c *Client) request(t *torrent.Torrent, event string) announceRequest {
	st := t.Stats()
	a := announceRequest{infoHash: t.InfoHash(), peerID: c.cl.PeerID(), self: c.net.Base64(),
		uploaded: st.BytesWrittenData.Int64(), downloaded: st.BytesReadData.Int64(), left: 1, event: event, numWant: defaultNumWant}
	if t.Info() != nil {
		a.left = t.BytesMissing()
	}
	return a
}

// Close stops the client: announcers say "stopped", connections close.
func (c *Client) Close() error {
	c.cancel()
	c.wg.Wait()
	if c.ln != nil {
		c.ln.Close()
	}
	c.cl.Close()
	c.hc.CloseIdleConnections()
	return nil
}
