package addressbook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/atomicfile"
)

// Subscriptions (naming.html, "Incoming Subscriptions and Merging"):
// each URL is a hosts.txt (or a feed of subscription.rst lines) fetched
// over HTTP inside I2P, conditionally: the ETag and Last-Modified of the
// last answer go back as If-None-Match and If-Modified-Since, so an
// unchanged feed costs a 304. Feeds are merged in the order listed: an
// earlier subscription's name wins over a later one's.

// Refresh timing, as i2pd: a first update a few minutes after start
// (tunnels must be up), then every 12 hours; a failed round is retried
// sooner, backing off.
const (
	DefaultFirstDelay = 3 * time.Minute
	DefaultInterval   = 12 * time.Hour
	DefaultRetry      = 5 * time.Minute
	// fetchTimeout bounds one fetch, LeaseSet lookup and body included.
	fetchTimeout = 3 * time.Minute
	// StateFile keeps each subscription's ETag and Last-Modified.
	StateFile = "subscriptions.json"
	// maxSubscriptions bounds the URLs taken.
	maxSubscriptions = 64
)

// Dialer opens a connection to "host:port" inside I2P: the router gives
// one that resolves host (b32, b33, a name of the book) and opens a
// stream. It is net/http's DialContext.
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// SubscriberConfig configures a Subscriber.
type SubscriberConfig struct {
	// URLs are the subscriptions (addressbook.subscriptions), in order
	// of trust.
	URLs []string
	// DefaultURL (addressbook.defaulturl) is fetched while the router
	// book is empty, to fill it the first time.
	DefaultURL string
	Dial       Dialer
	// FirstDelay, Interval and Retry: zero means the defaults above.
	FirstDelay, Interval, Retry time.Duration
	Logger                      *slog.Logger
}

// subState is what is kept of a subscription between fetches.
type subState struct {
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	LastFetched  time.Time `json:"last_fetched"`
	LastError    string    `json:"last_error,omitempty"`
}

// Subscriber fetches the subscriptions into an AddressBook's router
// book. Run is its only goroutine; Update may be called directly too
// (one update runs at a time).
type Subscriber struct {
	book   *AddressBook
	cfg    SubscriberConfig
	log    *slog.Logger
	client *http.Client

	kick   chan struct{} // 1 slot: Kick asks Run for an update now
	update sync.Mutex    // one update at a time
	mu     sync.Mutex    // guards state
	state  map[string]subState
}

// CheckURL accepts a subscription URL: http:// (I2P carries it; TLS
// adds nothing) to a host ending in .i2p, so nothing ever goes to the
// clearnet.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("addressbook: subscription %q: %w", clip(s), err)
	}
	if u.Scheme != "http" || !strings.HasSuffix(strings.ToLower(u.Hostname()), ".i2p") || u.User != nil {
		return fmt.Errorf("addressbook: subscription %q: want http://host.i2p/path", clip(s))
	}
	return nil
}

// NewSubscriber checks the URLs and loads the kept state.
func NewSubscriber(book *AddressBook, cfg SubscriberConfig) (*Subscriber, error) {
	if len(cfg.URLs) > maxSubscriptions {
		return nil, fmt.Errorf("addressbook.subscriptions: %d URLs, at most %d", len(cfg.URLs), maxSubscriptions)
	}
	for _, u := range cfg.URLs {
		if err := CheckURL(u); err != nil {
			return nil, fmt.Errorf("addressbook.subscriptions: %w", err)
		}
	}
	if cfg.DefaultURL != "" {
		if err := CheckURL(cfg.DefaultURL); err != nil {
			return nil, fmt.Errorf("addressbook.defaulturl: %w", err)
		}
	}
	if cfg.Dial == nil {
		return nil, errors.New("addressbook: subscriber without a dialer")
	}
	if cfg.FirstDelay == 0 {
		cfg.FirstDelay = DefaultFirstDelay
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Retry == 0 {
		cfg.Retry = DefaultRetry
	}
	s := &Subscriber{book: book, cfg: cfg, log: cfg.Logger, state: make(map[string]subState), kick: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil, // never an environment proxy: the dialer is I2P
			DialContext:            cfg.Dial,
			DisableKeepAlives:      true,
			TLSHandshakeTimeout:    time.Minute,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			return CheckURL(req.URL.String())
		},
	}
	// A book that was lost must be fetched whole: forget the validators.
	if book.Router().Len() > 0 {
		if b, err := os.ReadFile(s.statePath()); err == nil {
			if err := json.Unmarshal(b, &s.state); err != nil {
				s.log.Warn("addressbook: subscription state unreadable, fetching everything", "file", s.statePath(), "err", err)
				s.state = make(map[string]subState)
			}
		}
	}
	return s, nil
}

func (s *Subscriber) statePath() string { return filepath.Join(s.book.cfg.Dir, StateFile) }

// Update fetches every subscription once (the default URL first while
// the router book is empty) and merges them in order. It returns the
// first error; the other subscriptions are fetched nonetheless.
func (s *Subscriber) Update(ctx context.Context) error {
	s.update.Lock()
	defer s.update.Unlock()
	urls := s.cfg.URLs
	if s.book.Router().Len() == 0 && s.cfg.DefaultURL != "" {
		urls = append([]string{s.cfg.DefaultURL}, urls...)
	}
	var first error
	for _, u := range urls {
		st, err := s.fetch(ctx, u)
		if err != nil {
			s.log.Warn("addressbook: subscription failed", "url", u, "err", err)
			first = cmpOr(first, err)
			continue
		}
		if st != nil {
			s.log.Info("addressbook: subscription merged", "url", u, "lines", st.Lines, "added", st.Added,
				"changed", st.Changed, "conflicts", st.Conflicts, "bad", st.Bad, "bad_signatures", st.BadSig)
		}
		if ctx.Err() != nil {
			break
		}
	}
	s.mu.Lock()
	b, err := json.MarshalIndent(s.state, "", "  ")
	s.mu.Unlock()
	if err == nil {
		if err := atomicfile.Write(s.statePath(), b, 0o600); err != nil {
			s.log.Warn("addressbook: saving subscription state", "err", err)
		}
	}
	return first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// fetch fetches one subscription; nil stats for 304 Not Modified.
func (s *Subscriber) fetch(ctx context.Context, u string) (*Stats, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	prev := s.state[u]
	s.mu.Unlock()
	// As eepget: a fixed User-Agent that says nothing about us.
	req.Header.Set("User-Agent", "Wget/1.11.4")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	record := func(err error) {
		prev.LastFetched = time.Now().UTC()
		prev.LastError = ""
		if err != nil {
			prev.LastError = err.Error()
		}
		s.mu.Lock()
		s.state[u] = prev
		s.mu.Unlock()
	}
	resp, err := s.client.Do(req)
	if err != nil {
		record(err)
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		record(nil)
		return nil, nil
	case http.StatusOK:
	default:
		err := fmt.Errorf("addressbook: %s: HTTP %s", u, resp.Status)
		record(err)
		return nil, err
	}
	if resp.ContentLength > MaxFileSize {
		err := fmt.Errorf("addressbook: %s: %d bytes, more than %d", u, resp.ContentLength, MaxFileSize)
		record(err)
		return nil, err
	}
	st, err := s.book.Merge(resp.Body)
	if err != nil {
		err = fmt.Errorf("addressbook: %s: %w", u, err)
		record(err)
		return &st, err
	}
	// Validators only once the whole feed was read and merged.
	prev.ETag = resp.Header.Get("ETag")
	prev.LastModified = resp.Header.Get("Last-Modified")
	record(nil)
	return &st, nil
}

// Run updates after FirstDelay, then every Interval; after a failed
// round it retries after Retry, doubling up to Interval. It returns when
// ctx ends. Kick brings an update forward.
func (s *Subscriber) Run(ctx context.Context) {
	if len(s.cfg.URLs) == 0 && s.cfg.DefaultURL == "" {
		return
	}
	wait, retry := s.cfg.FirstDelay, s.cfg.Retry
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
			t.Stop()
		}
		if err := s.Update(ctx); err != nil {
			wait, retry = retry, min(2*retry, s.cfg.Interval)
		} else {
			wait, retry = s.cfg.Interval, s.cfg.Retry
		}
		t.Reset(wait)
	}
}

// Kick makes Run update now rather than at its next time.
func (s *Subscriber) Kick() {
	select {
	case s.kick <- struct{}{}:
	default: // one is pending already
	}
}

// Status is what Subscriptions reports of one subscription.
type Status struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	LastFetched  time.Time `json:"last_fetched,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
}

// Subscriptions reports each subscription's last fetch.
func (s *Subscriber) Subscriptions() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.cfg.URLs))
	for _, u := range s.cfg.URLs {
		st := s.state[u]
		out = append(out, Status{u, st.ETag, st.LastModified, st.LastFetched, st.LastError})
	}
	return out
}
