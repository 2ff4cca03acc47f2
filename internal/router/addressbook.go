package router

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/addressbook"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
)

// The addressbook (internal/addressbook) names destinations: New opens
// its books in <datadir>/addressbook/ and makes it the router's name
// resolver, so Resolve, sessions, the HTTP and SOCKS proxies and the
// client tunnels take .i2p names. Run fetches the subscriptions through
// streams of a destination of its own ("addressbook"), opened at the
// first fetch.

// AddressBookDir is the addressbook's folder inside the data folder.
const AddressBookDir = "addressbook"

// addressBookSession names the destination subscriptions are fetched from.
const addressBookSession = "addressbook"

// AddressBookConfig is i2pd's [addressbook] section.
type AddressBookConfig struct {
	Subscriptions []string // addressbook.subscriptions, in order of trust
	DefaultURL    string   // addressbook.defaulturl: fetched while the book is empty
	HostsFile     string   // addressbook.hostsfile: a copy of the router book
	// FirstDelay and Interval: zero means the addressbook's defaults
	// (3 minutes, 12 hours); tests shorten them.
	FirstDelay, Interval time.Duration
}

// addressBook is the router's book and its subscriber.
type addressBook struct {
	book *addressbook.AddressBook
	subs *addressbook.Subscriber // nil without subscriptions

	mu      sync.Mutex // guards session
	session *Session
}

// openAddressBook loads the books (New calls it) when cfg.AddressBook is
// set.
func (r *Router) openAddressBook() error {
	c := r.cfg.AddressBook
	if c == nil {
		return nil
	}
	book, err := addressbook.Open(addressbook.Config{
		Dir: filepath.Join(r.cfg.DataDir, AddressBookDir), HostsFile: c.HostsFile, Logger: r.log})
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	ab := &addressBook{book: book}
	if len(c.Subscriptions) > 0 || c.DefaultURL != "" {
		ab.subs, err = addressbook.NewSubscriber(book, addressbook.SubscriberConfig{
			URLs: c.Subscriptions, DefaultURL: c.DefaultURL, Dial: r.addressBookDial(ab),
			FirstDelay: c.FirstDelay, Interval: c.Interval, Logger: r.log})
		if err != nil {
			return fmt.Errorf("router: %w", err)
		}
	}
	r.book = ab
	r.SetNameResolver(func(ctx context.Context, name string) (data.Hash, error) {
		h, err := book.Resolve(ctx, name)
		if errors.Is(err, addressbook.ErrNotFound) {
			return h, fmt.Errorf("%w: %q (not in the addressbook)", i2ptunnel.ErrUnknownName, name)
		}
		return h, err
	})
	return nil
}

// AddressBook is the router's addressbook, nil when it has none.
func (r *Router) AddressBook() *addressbook.AddressBook {
	if r.book == nil {
		return nil
	}
	return r.book.book
}

// runAddressBook fetches the subscriptions until ctx ends.
func (r *Router) runAddressBook(ctx context.Context) {
	if r.book == nil || r.book.subs == nil {
		return
	}
	r.book.subs.Run(ctx)
}

// UpdateAddressBook fetches the subscriptions now.
func (r *Router) UpdateAddressBook(ctx context.Context) error {
	if r.book == nil || r.book.subs == nil {
		return errors.New("router: no addressbook subscriptions (addressbook.subscriptions)")
	}
	return r.book.subs.Update(ctx)
}

// addressBookDial opens streams for the subscriber: "host:port" resolved
// as any name (b32, b33, the book itself), from the addressbook's own
// destination.
func (r *Router) addressBookDial(ab *addressBook) addressbook.Dialer {
	return func(ctx context.Context, _, addr string) (net.Conn, error) {
		host, p, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		port, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("router: addressbook: port %q", p)
		}
		s, err := ab.sessionFor(ctx, r)
		if err != nil {
			return nil, err
		}
		to, err := s.Resolve(ctx, host)
		if err != nil {
			return nil, err
		}
		return s.Streams().Dial(ctx, to, uint16(port))
	}
}

// sessionFor opens the addressbook's destination once; Run's shutdown
// closes it with the other sessions.
func (ab *addressBook) sessionFor(ctx context.Context, r *Router) (*Session, error) {
	ab.mu.Lock()
	defer ab.mu.Unlock()
	if ab.session != nil {
		return ab.session, nil
	}
	s, err := r.OpenSession(ctx, SessionConfig{Name: addressBookSession,
		Pool: PoolShape{InboundLength: 3, OutboundLength: 3, InboundQuantity: 2, OutboundQuantity: 2}})
	if err != nil {
		return nil, err
	}
	ab.session = s
	return s, nil
}

// AddressBookStatus is the addressbook in `veil status --json`: how many
// names each book holds and each subscription's last fetch.
type AddressBookStatus struct {
	Private       int                  `json:"private"`
	Router        int                  `json:"router"`
	Subscriptions []addressbook.Status `json:"subscriptions"`
}

func (r *Router) addressBookStatus() *AddressBookStatus {
	if r.book == nil {
		return nil
	}
	st := &AddressBookStatus{Private: r.book.book.Private().Len(), Router: r.book.book.Router().Len(),
		Subscriptions: []addressbook.Status{}}
	if r.book.subs != nil {
		st.Subscriptions = r.book.subs.Subscriptions()
	}
	return st
}
