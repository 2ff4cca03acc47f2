package reseed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/su3"
)

// Client defaults.
const (
	// DefaultMinRouters is how many RouterInfos end a reseed early: once
	// the sources tried so far gave this many, the rest are skipped
	// (Java I2P calls a reseed of 50 complete).
	DefaultMinRouters = 50
	// DefaultAttempts bounds the rounds over all sources; a round that
	// yields no RouterInfo is retried after a back-off.
	DefaultAttempts = 3
	// DefaultBackoff is the wait before the second round; it doubles
	// each round up to MaxBackoff.
	DefaultBackoff = 10 * time.Second
	MaxBackoff     = 2 * time.Minute
	// MainNetID is the public network's id.
	MainNetID = 2
)

// ErrMainNetURLs is returned when a private network would reseed from the
// public network's servers.
var ErrMainNetURLs = errors.New("reseed: refusing the public network's reseed servers on a private network: set reseed.urls to your own servers (or use reseed.file or reseed.zipfile)")

// ErrNoRouters means every source failed or gave no usable RouterInfo.
var ErrNoRouters = errors.New("reseed: no routers")

// Client fetches reseed bundles. Fields are read by Run and must not
// change while it runs. The zero value has no sources; Run then fails.
type Client struct {
	// URLs are reseed servers ("https://host[:port]/path/"); the bundle
	// is path + "i2pseeds.su3". They are tried in random order.
	URLs []string
	// File is an su3 bundle: a local path or an https:// URL.
	File string
	// ZipFile is a plain zip of RouterInfos: a local path or https:// URL.
	ZipFile string
	// Verify requires a valid signature by a certificate in Certs on
	// every su3 bundle (reseed.verify).
	Verify bool
	Certs  *su3.Keyring
	// NetID is our network; RouterInfos of other networks are dropped,
	// and servers are asked for this network (netid parameter).
	NetID int
	// MinRouters ends the reseed once this many RouterInfos were
	// accepted; 0 means DefaultMinRouters.
	MinRouters int
	// Attempts and Backoff bound the retries; 0 means the defaults.
	Attempts int
	Backoff  time.Duration
	// Add, if set, is given each RouterInfo that passed the checks; only
	// those it accepts (nil error) are counted and returned. Use it to
	// put them in a netdb.Store, which applies the netDb's rules.
	Add func(*data.RouterInfo) error
	// HTTPClient fetches URLs; nil means a client with a 60 s timeout
	// and the system's root certificates.
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time // nil means time.Now
	// Rand orders the servers; nil means a fresh random order.
	Rand *mrand.Rand
}

// Run reseeds: it tries File, then ZipFile, then URLs in random order,
// until MinRouters RouterInfos were accepted, and retries the whole list
// with exponential back-off while nothing was. It returns the accepted
// RouterInfos, without duplicates; an error only when there are none, or
// when the configuration is unsafe (ErrMainNetURLs) or ctx ended.
func (c *Client) Run(ctx context.Context) ([]*data.RouterInfo, error) {
	if c.File == "" && c.ZipFile == "" && len(c.URLs) == 0 {
		return nil, errors.New("reseed: no source: set reseed.urls, reseed.file or reseed.zipfile")
	}
	if c.Verify && c.Certs.Len() == 0 {
		return nil, errors.New("reseed: reseed.verify is on but no signer certificates are loaded (certificates/reseed)")
	}
	if c.NetID != MainNetID && c.File == "" && c.ZipFile == "" {
		for _, u := range c.URLs {
			if IsMainNetURL(u) {
				return nil, fmt.Errorf("%w (netid %d, %s)", ErrMainNetURLs, c.NetID, u)
			}
		}
	}
	attempts, backoff := c.Attempts, c.Backoff
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	if backoff <= 0 {
		backoff = DefaultBackoff
	}
	r := &run{c: c, log: c.logger(), seen: make(map[data.Hash]bool)}
	var errs []error
	for i := range attempts {
		if i > 0 {
			d := min(backoff<<(i-1), MaxBackoff)
			r.log.Info("reseed: retrying", "attempt", i+1, "of", attempts, "in", d)
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("reseed: %w", ctx.Err())
			case <-t.C:
			}
		}
		err := r.round(ctx)
		if len(r.out) > 0 {
			r.log.Info("reseed: done", "routers", len(r.out))
			return r.out, nil
		}
		if errors.Is(err, ErrMainNetURLs) {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("reseed: %w", ctx.Err())
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", i+1, err))
	}
	return nil, fmt.Errorf("%w after %d attempts: %w", ErrNoRouters, attempts, errors.Join(errs...))
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) minRouters() int {
	if c.MinRouters > 0 {
		return c.MinRouters
	}
	return DefaultMinRouters
}

// run is the state of one Run.
type run struct {
	c    *Client
	log  *slog.Logger
	seen map[data.Hash]bool
	out  []*data.RouterInfo
}

func (r *run) enough() bool { return len(r.out) >= r.c.minRouters() }

// round tries each source once, in i2pd's order, until enough routers
// were accepted. It returns the sources' errors joined.
func (r *run) round(ctx context.Context) error {
	var errs []error
	try := func(what string, fetch func() ([]su3.NamedFile, error)) {
		if r.enough() || ctx.Err() != nil {
			return
		}
		files, err := fetch()
		if err != nil {
			r.log.Warn("reseed: source failed", "source", what, "err", err)
			errs = append(errs, err)
			return
		}
		n := r.add(what, files)
		if n == 0 {
			errs = append(errs, fmt.Errorf("reseed: %s: no usable RouterInfo in %d files", what, len(files)))
		}
	}
	c := r.c
	if c.File != "" {
		try(c.File, func() ([]su3.NamedFile, error) { return r.su3(ctx, c.File) })
	}
	if c.ZipFile != "" {
		try(c.ZipFile, func() ([]su3.NamedFile, error) { return r.zip(ctx, c.ZipFile) })
	}
	if len(c.URLs) > 0 && !r.enough() {
		if c.NetID != MainNetID {
			for _, u := range c.URLs {
				if IsMainNetURL(u) {
					return fmt.Errorf("%w (netid %d, %s)", ErrMainNetURLs, c.NetID, u)
				}
			}
		}
		urls := append([]string(nil), c.URLs...)
		shuffle := mrand.Shuffle
		if c.Rand != nil {
			shuffle = c.Rand.Shuffle
		}
		shuffle(len(urls), func(i, j int) { urls[i], urls[j] = urls[j], urls[i] })
		for _, u := range urls {
			bundle, err := bundleURL(u, c.NetID)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			try(bundle, func() ([]su3.NamedFile, error) { return r.su3(ctx, bundle) })
		}
	}
	return errors.Join(errs...)
}

// add parses, checks and hands over the RouterInfos of one bundle and
// returns how many were accepted.
func (r *run) add(source string, files []su3.NamedFile) int {
	var n, bad, dup, refused int
	for _, f := range files {
		ri, err := checkRouterInfo(f, r.c.NetID)
		if err != nil {
			r.log.Debug("reseed: RouterInfo dropped", "source", source, "file", f.Name, "err", err)
			bad++
			continue
		}
		h := ri.Hash()
		if r.seen[h] {
			dup++
			continue
		}
		r.seen[h] = true
		if r.c.Add != nil {
			if err := r.c.Add(ri); err != nil {
				r.log.Debug("reseed: RouterInfo refused", "source", source, "peer", h.String(), "err", err)
				refused++
				continue
			}
		}
		r.out = append(r.out, ri)
		n++
	}
	r.log.Info("reseed: bundle processed", "source", source, "files", len(files),
		"added", n, "invalid", bad, "duplicate", dup, "refused", refused)
	return n
}
