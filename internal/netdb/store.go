package netdb

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/atomicfile"
	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
)

// Limits and ages, from i2pd 2.45.1 (NetDb.hpp, RouterInfo.h) unless noted.
const (
	// MaxRouterInfoLen is the largest RouterInfo accepted
	// (MAX_RI_BUFFER_SIZE); i2pd refuses longer ones, so no router the
	// network can use is lost.
	MaxRouterInfoLen = 3072
	// DefaultMaxRouters caps the store (veil's choice): the live
	// network has ~50k routers, a router needs a few thousand.
	DefaultMaxRouters = 10000
	// MaxFuture is how far in the future a published time may be
	// (NETDB_EXPIRATION_TIMEOUT_THRESHOLD).
	MaxFuture = 2 * time.Minute
	// MaxAge is the oldest RouterInfo accepted from the network
	// (NETDB_MAX_EXPIRATION_TIMEOUT: i2pd expires routers at 27 h).
	MaxAge = 27 * time.Hour
	// MaxAgeOnLoad is the oldest RouterInfo kept when loading the folder
	// (NETDB_MAX_OFFLINE_EXPIRATION_TIMEOUT, 180 days), so a router that
	// was down for a while still knows peers to start from.
	MaxAgeOnLoad = 180 * 24 * time.Hour
)

// Errors of Put, PutLeaseSet and Load; each is wrapped with the entry's
// hash. ErrSignature and ErrKey come wrapped together with ErrInvalid.
var (
	ErrInvalid   = errors.New("invalid entry")
	ErrSignature = errors.New("bad signature")
	ErrKey       = errors.New("key is not the entry's hash")
	ErrNetID     = errors.New("wrong network id")
	ErrTooOld    = errors.New("published too long ago")
	ErrExpired   = errors.New("expired")
	ErrFuture    = errors.New("published in the future")
	ErrSelf      = errors.New("our own RouterInfo")
	ErrFull      = errors.New("store full")
	ErrTooLarge  = errors.New("entry too large")
)

// Config configures a Store. Zero values are defaults except NetID.
type Config struct {
	Dir        string    // the netDb folder, holding r<c>/routerInfo-<hash>.dat; "" keeps nothing on disk
	NetID      int       // RouterInfos of other networks are refused
	Self       data.Hash // our own hash: never stored
	MaxRouters int       // 0 means DefaultMaxRouters
	// MaxLeaseSets caps the LeaseSets held; 0 means DefaultMaxLeaseSets.
	MaxLeaseSets int
	Logger       *slog.Logger
	Now          func() time.Time
}

// Store is the netDb's memory: RouterInfos (also on disk) and LeaseSets
// (memory only). Create it with New.
type Store struct {
	cfg Config
	log *slog.Logger

	mu         sync.RWMutex // guards the three maps
	routers    map[data.Hash]*data.RouterInfo
	floodfills map[data.Hash]*data.RouterInfo // the routers with caps f
	leaseSets  map[data.Hash]*LeaseSet

	cnt counters

	writeMu sync.Mutex // orders file writes and removals
}

// New returns an empty store; Load fills it from the folder.
func New(cfg Config) *Store {
	if cfg.MaxRouters <= 0 {
		cfg.MaxRouters = DefaultMaxRouters
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxLeaseSets <= 0 {
		cfg.MaxLeaseSets = DefaultMaxLeaseSets
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{cfg: cfg, log: cfg.Logger,
		routers:    make(map[data.Hash]*data.RouterInfo),
		floodfills: make(map[data.Hash]*data.RouterInfo),
		leaseSets:  make(map[data.Hash]*LeaseSet),
	}
}

// Self is our own router hash, as configured.
func (s *Store) Self() data.Hash { return s.cfg.Self }

// IsFloodfill reports whether ri publishes the floodfill cap f.
func IsFloodfill(ri *data.RouterInfo) bool { return strings.Contains(ri.Caps(), "f") }

// Get returns the RouterInfo of router h, or nil.
func (s *Store) Get(h data.Hash) *data.RouterInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.routers[h]
}

// All returns every RouterInfo, in no particular order.
func (s *Store) All() []*data.RouterInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*data.RouterInfo, 0, len(s.routers))
	for _, ri := range s.routers {
		out = append(out, ri)
	}
	return out
}

// Len is the number of routers known.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.routers)
}

// Floodfills is the number of known routers with the floodfill cap.
func (s *Store) Floodfills() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.floodfills)
}

// Put validates ri (Check) and stores it if it is new or newer than the
// one held, then writes it to the folder. It reports whether the store
// changed; an older or equal RouterInfo is not an error. Refusals are
// counted by reason (Stats).
func (s *Store) Put(ri *data.RouterInfo) (bool, error) {
	ok, err := s.put(ri)
	s.cnt.count(ok, err)
	return ok, err
}

func (s *Store) put(ri *data.RouterInfo) (bool, error) {
	if err := s.Check(ri, MaxAge); err != nil {
		return false, err
	}
	h := ri.Hash()
	s.mu.Lock()
	old, ok := s.routers[h]
	switch {
	case ok && old.Published >= ri.Published:
		s.mu.Unlock()
		return false, nil
	case !ok && len(s.routers) >= s.cfg.MaxRouters:
		s.mu.Unlock()
		return false, fmt.Errorf("netdb: router %s: %w (%d routers)", h, ErrFull, s.cfg.MaxRouters)
	}
	s.setLocked(h, old, ri)
	s.mu.Unlock()
	if err := s.persist(h, ri); err != nil {
		return true, err
	}
	return true, nil
}

// setLocked stores ri in place of old (nil if none). Must hold s.mu.
func (s *Store) setLocked(h data.Hash, old, ri *data.RouterInfo) {
	if IsFloodfill(ri) {
		s.floodfills[h] = ri
	} else if old != nil {
		delete(s.floodfills, h)
	}
	s.routers[h] = ri
}

// Check applies the store's rules to ri without storing it: size,
// signing type, signature, network id, not ours, at least one NTCP2 or
// SSU2 address, published no more than MaxFuture ahead and no more than
// maxAge ago.
func (s *Store) Check(ri *data.RouterInfo, maxAge time.Duration) error {
	h := ri.Hash()
	if err := s.checkStatic(ri); err != nil {
		return fmt.Errorf("netdb: router %s: %w", h, err)
	}
	now := s.cfg.Now()
	pub := ri.Published.Time()
	switch {
	case pub.After(now.Add(MaxFuture)):
		return fmt.Errorf("netdb: router %s: %w: %v ahead", h, ErrFuture, pub.Sub(now).Round(time.Second))
	case pub.Before(now.Add(-maxAge)):
		return fmt.Errorf("netdb: router %s: %w: %v", h, ErrTooOld, now.Sub(pub).Round(time.Second))
	}
	return nil
}

// checkStatic is Check without the clock.
func (s *Store) checkStatic(ri *data.RouterInfo) error {
	if n := len(ri.Bytes()); n > MaxRouterInfoLen {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
	}
	if ri.Hash() == s.cfg.Self {
		return ErrSelf
	}
	// Routers sign with DSA (old), ECDSA or Ed25519; RSA, Ed25519ph
	// and RedDSA are never router identities (common-structures.rst).
	switch st := ri.Identity.SigType(); st {
	case crypto.SigDSASHA1, crypto.SigECDSASHA256P256, crypto.SigECDSASHA384P384, crypto.SigECDSASHA512P521, crypto.SigEdDSASHA512:
	default:
		return fmt.Errorf("%w: signing type %v", ErrInvalid, st)
	}
	if err := ri.Verify(); err != nil {
		return fmt.Errorf("%w: %w: %v", ErrInvalid, ErrSignature, err)
	}
	if id := ri.NetID(); id != s.cfg.NetID {
		return fmt.Errorf("%w: %d, ours is %d", ErrNetID, id, s.cfg.NetID)
	}
	for _, a := range ri.Addresses {
		if a.Transport == "NTCP2" || a.Transport == "SSU2" {
			return nil
		}
	}
	return fmt.Errorf("%w: no NTCP2 or SSU2 address", ErrInvalid)
}

// Path is where the RouterInfo of router h lives under the netDb folder
// dir, as i2pd names it: r<first Base64 character>/routerInfo-<hash>.dat.
func Path(dir string, h data.Hash) string {
	b := h.String()
	return filepath.Join(dir, "r"+b[:1], "routerInfo-"+b+".dat")
}

// persist writes the current RouterInfo of h, unless a newer Put has
// replaced ri meanwhile (that Put writes its own).
func (s *Store) persist(h data.Hash, ri *data.RouterInfo) error {
	if s.cfg.Dir == "" {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.Get(h) != ri {
		return nil
	}
	p := Path(s.cfg.Dir, h)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("netdb: %w", err)
	}
	if err := atomicfile.Write(p, ri.Bytes(), 0o644); err != nil {
		return fmt.Errorf("netdb: router %s: %w", h, err)
	}
	return nil
}
