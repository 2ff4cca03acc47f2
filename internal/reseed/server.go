package reseed

import (
	stdcrypto "crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/veil-i2p/veil/internal/ratelimit"
	"hash/fnv"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/su3"
)

// Server defaults.
const (
	// DefaultCount is how many RouterInfos a bundle holds (Java I2P's
	// reseed servers hand out 75).
	DefaultCount = 75
	// DefaultBundles is how many different bundles are on offer at once;
	// each requester is mapped to one, so repeated requests from one
	// address get the same bundle until it expires (reseed.md).
	DefaultBundles = 8
	// DefaultCacheFor is how long a signed bundle is served.
	DefaultCacheFor = 10 * time.Minute
	// DefaultRate and DefaultBurst limit requests per address.
	DefaultRate  = 1.0 / 30 // one every 30 s
	DefaultBurst = 5
	// maxLimited caps the addresses the rate limiter tracks.
	maxLimited = 10000
	// rescanEvery is how often the netDb folder is read again.
	rescanEvery = time.Minute
	// maxNetDBFiles caps the files read from the netDb folder.
	maxNetDBFiles = 50000
)

// ServerConfig configures a Server.
type ServerConfig struct {
	// NetDBDir is a netDb folder in i2pd's layout (r<c>/routerInfo-*.dat),
	// for example a running router's. It is only read.
	NetDBDir string
	// NetID is the network served; requests for another are refused.
	NetID int
	// Signer signs bundles as SignerID; its certificate must be in the
	// clients' certificates/reseed.
	Signer   stdcrypto.Signer
	SignerID string
	// Count, Bundles, CacheFor, Rate (requests per second) and Burst:
	// zero means the defaults above.
	Count    int
	Bundles  int
	CacheFor time.Duration
	Rate     float64
	Burst    int
	Logger   *slog.Logger
	Now      func() time.Time
}

// ServerStats are a Server's counters.
type ServerStats struct {
	Served, Limited, Refused, Failed uint64
}

// Server serves reseed bundles over HTTP (it is an http.Handler; the
// caller owns the listener and TLS). Safe for concurrent use.
type Server struct {
	cfg     ServerConfig
	log     *slog.Logger
	limiter *ratelimit.Limiter[string]
	salt    [16]byte // maps requesters to bundles unpredictably

	mu      sync.Mutex // guards the fields below
	ris     []*data.RouterInfo
	scanned time.Time
	bundles []cachedBundle

	served, limited, refused, failed atomic.Uint64
}

type cachedBundle struct {
	su3  []byte
	made time.Time
}

// NewServer checks cfg and returns a Server.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.NetDBDir == "" {
		return nil, errors.New("reseed: server: no netDb folder")
	}
	if cfg.Signer == nil || cfg.SignerID == "" {
		return nil, errors.New("reseed: server: no signing key")
	}
	if _, err := su3.SigTypeOf(cfg.Signer); err != nil {
		return nil, fmt.Errorf("reseed: server: %w", err)
	}
	if cfg.Count <= 0 {
		cfg.Count = DefaultCount
	}
	cfg.Count = min(cfg.Count, su3.MaxZipEntries)
	if cfg.Bundles <= 0 {
		cfg.Bundles = DefaultBundles
	}
	if cfg.CacheFor <= 0 {
		cfg.CacheFor = DefaultCacheFor
	}
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, limiter: ratelimit.New[string](cfg.Rate, cfg.Burst, maxLimited, false),
		bundles: make([]cachedBundle, cfg.Bundles)}
	if _, err := rand.Read(s.salt[:]); err != nil {
		return nil, fmt.Errorf("reseed: server: %w", err)
	}
	return s, nil
}

// Stats returns the counters.
func (s *Server) Stats() ServerStats {
	return ServerStats{Served: s.served.Load(), Limited: s.limited.Load(), Refused: s.refused.Load(), Failed: s.failed.Load()}
}

// ServeHTTP answers GET /i2pseeds.su3[?netid=N] (any path ending in
// /i2pseeds.su3). A missing netid is taken as ours: i2pd before 2.46
// does not send it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.refused.Add(1)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/"+BundleName) {
		s.refused.Add(1)
		http.NotFound(w, r)
		return
	}
	if v := r.URL.Query().Get("netid"); v != "" {
		if id, err := strconv.Atoi(v); err != nil || id != s.cfg.NetID {
			s.refused.Add(1)
			http.Error(w, "no reseed for this netid", http.StatusNotFound)
			return
		}
	}
	key := requester(r.RemoteAddr)
	if !s.limiter.Allow(key, now) {
		s.limited.Add(1)
		w.Header().Set("Retry-After", "60")
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		return
	}
	b, err := s.Bundle(key)
	if err != nil {
		s.failed.Add(1)
		s.log.Warn("reseed: server: bundle", "err", err)
		http.Error(w, "no bundle available", http.StatusServiceUnavailable)
		return
	}
	s.served.Add(1)
	s.log.Info("reseed: served", "requester", key, "bytes", len(b))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Content-Disposition", `attachment; filename="`+BundleName+`"`)
	if r.Method == http.MethodGet {
		w.Write(b)
	}
}

// requester is the rate-limit and bundle key of an address: the IPv4
// address or the IPv6 /64.
func requester(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	k := ratelimit.SourceKey(ip)
	if k.Is6() {
		return netip.PrefixFrom(k, 64).String()
	}
	return k.String()
}

// Bundle returns the signed bundle for requester key, signing a new one
// when its slot is empty or older than CacheFor.
func (s *Server) Bundle(key string) ([]byte, error) {
	h := fnv.New64a()
	h.Write(s.salt[:])
	h.Write([]byte(key))
	slot := int(h.Sum64() % uint64(len(s.bundles)))

	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.bundles[slot]; c.su3 != nil && now.Sub(c.made) < s.cfg.CacheFor && !now.Before(c.made) {
		return c.su3, nil
	}
	if s.ris == nil || now.Sub(s.scanned) >= rescanEvery || now.Before(s.scanned) {
		ris, err := s.scan(now)
		if err != nil {
			return nil, err
		}
		s.ris, s.scanned = ris, now
	}
	b, err := s.sign(s.ris, now)
	if err != nil {
		return nil, err
	}
	s.bundles[slot] = cachedBundle{su3: b, made: now}
	return b, nil
}

// sign makes a bundle of a random subset of ris.
func (s *Server) sign(ris []*data.RouterInfo, now time.Time) ([]byte, error) {
	if len(ris) == 0 {
		return nil, fmt.Errorf("reseed: server: no valid RouterInfos in %s", s.cfg.NetDBDir)
	}
	idx := mrand.Perm(len(ris))
	pick := make([]*data.RouterInfo, 0, min(len(ris), s.cfg.Count))
	for _, i := range idx[:min(len(idx), s.cfg.Count)] {
		pick = append(pick, ris[i])
	}
	zip, err := zipOf(pick, now)
	if err != nil {
		return nil, fmt.Errorf("reseed: server: %w", err)
	}
	b := &su3.Builder{FileType: su3.FileZIP, ContentType: su3.ContentReseed,
		Version: strconv.FormatInt(now.Unix(), 10), SignerID: s.cfg.SignerID, Content: zip}
	out, err := b.Sign(s.cfg.Signer)
	if err != nil {
		return nil, fmt.Errorf("reseed: server: %w", err)
	}
	return out, nil
}

// scan reads the netDb folder and keeps the RouterInfos a router of
// our network would store now (netdb.Store's rules: signature, netid,
// age, an NTCP2 or SSU2 address). Unreadable or invalid files are
// skipped, never removed: the folder may be another router's.
func (s *Server) scan(now time.Time) ([]*data.RouterInfo, error) {
	st := netdb.New(netdb.Config{NetID: s.cfg.NetID, Now: func() time.Time { return now }, MaxRouters: maxNetDBFiles})
	dirs, err := os.ReadDir(s.cfg.NetDBDir)
	if err != nil {
		return nil, fmt.Errorf("reseed: server: %w", err)
	}
	files, skipped := 0, 0
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 || d.Name()[0] != 'r' {
			continue
		}
		sub := filepath.Join(s.cfg.NetDBDir, d.Name())
		ents, err := os.ReadDir(sub)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if files >= maxNetDBFiles {
				break
			}
			if !e.Type().IsRegular() || !su3.IsRouterInfoName(e.Name()) {
				continue
			}
			files++
			if ri := readRouterInfo(filepath.Join(sub, e.Name())); ri == nil {
				skipped++
			} else if _, err := st.Put(ri); err != nil {
				skipped++
			}
		}
	}
	ris := st.All()
	s.log.Info("reseed: server: netDb read", "dir", s.cfg.NetDBDir, "files", files, "valid", len(ris), "skipped", skipped)
	return ris, nil
}

// readRouterInfo reads and parses one file of at most
// netdb.MaxRouterInfoLen bytes; nil if it cannot.
func readRouterInfo(path string) *data.RouterInfo {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b := make([]byte, netdb.MaxRouterInfoLen+1)
	n, _ := io.ReadFull(f, b)
	if n == 0 || n > netdb.MaxRouterInfoLen {
		return nil
	}
	ri, err := data.ParseRouterInfo(b[:n])
	if err != nil {
		return nil
	}
	return ri
}
