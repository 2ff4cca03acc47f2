package addressbook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/veil-i2p/veil/internal/data"
)

// File names inside Config.Dir.
const (
	RouterFile  = "hosts.txt"        // names merged from subscriptions
	PrivateFile = "privatehosts.txt" // names the user added
)

// ErrNotFound is returned for a name neither book holds.
var ErrNotFound = errors.New("addressbook: name not found")

// Config says where an AddressBook keeps its files.
type Config struct {
	// Dir holds hosts.txt and privatehosts.txt (created if missing).
	Dir string
	// HostsFile, if set, also receives the router book after every
	// change (i2pd's addressbook.hostsfile: a hosts.txt to publish).
	HostsFile string
	// MaxEntries bounds each book (DefaultMaxEntries when 0).
	MaxEntries int
	Logger     *slog.Logger
}

// AddressBook is the private and the router book with their files.
// Lookups try the private book first.
type AddressBook struct {
	cfg     Config
	log     *slog.Logger
	private *Book
	router  *Book
	saveMu  sync.Mutex // one writer of the files at a time
}

// Open loads the books of cfg.Dir.
func Open(cfg Config) (*AddressBook, error) {
	if cfg.Dir == "" {
		return nil, errors.New("addressbook: no folder")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("addressbook: %w", err)
	}
	a := &AddressBook{cfg: cfg, log: cfg.Logger, private: NewBook(cfg.MaxEntries), router: NewBook(cfg.MaxEntries)}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	for _, f := range []struct {
		b    *Book
		name string
	}{{a.private, PrivateFile}, {a.router, RouterFile}} {
		st, err := f.b.Load(filepath.Join(cfg.Dir, f.name))
		if err != nil {
			return nil, err
		}
		if st.Bad > 0 || st.Conflicts > 0 {
			a.log.Warn("addressbook: lines skipped", "file", f.name, "bad", st.Bad, "duplicates", st.Conflicts, "last_error", st.LastError)
		}
	}
	return a, nil
}

// Private is the user's book; Router is the subscriptions' book.
func (a *AddressBook) Private() *Book { return a.private }
func (a *AddressBook) Router() *Book  { return a.router }

// Lookup returns the destination of a name, private book first. As in
// naming.html, lookups are case-insensitive and enforce no naming rule.
func (a *AddressBook) Lookup(name string) (data.Destination, bool) {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	if d, ok := a.private.Lookup(n); ok {
		return d, true
	}
	return a.router.Lookup(n)
}

// Resolve returns the destination hash of a name (the shape of
// i2ptunnel.Resolver), ErrNotFound for an unknown one.
func (a *AddressBook) Resolve(_ context.Context, name string) (data.Hash, error) {
	d, ok := a.Lookup(name)
	if !ok {
		return data.Hash{}, fmt.Errorf("%w: %q", ErrNotFound, clip(name))
	}
	return d.Hash(), nil
}

// Reverse returns a name of a destination hash, private book first.
func (a *AddressBook) Reverse(h data.Hash) (string, bool) {
	if n, ok := a.private.Reverse(h); ok {
		return n, true
	}
	return a.router.Reverse(h)
}

// AddPrivate adds a name to the private book and saves it. With
// replace, a name held already changes destination; without, it is
// ErrExists.
func (a *AddressBook) AddPrivate(name string, d data.Destination, replace bool) error {
	n, err := NormalizeName(name)
	if err != nil {
		return err
	}
	if replace {
		err = a.private.Set(n, d)
	} else {
		err = a.private.Add(n, d)
	}
	if err != nil {
		return err
	}
	return a.savePrivate()
}

// Remove removes a name from the private book, or from the router book
// when the private book does not hold it, and saves.
func (a *AddressBook) Remove(name string) (bool, error) {
	n := strings.ToLower(name)
	if a.private.Remove(n) {
		return true, a.savePrivate()
	}
	if a.router.Remove(n) {
		return true, a.saveRouter()
	}
	return false, nil
}

// Import reads a hosts.txt into the private book (first name kept
// wins; signed commands are checked and applied as from a
// subscription) and saves it.
func (a *AddressBook) Import(r io.Reader) (Stats, error) {
	return merge(a.private, r, a.savePrivate)
}

// Merge applies a subscription feed to the router book and saves it
// (and addressbook.hostsfile) if anything changed.
func (a *AddressBook) Merge(r io.Reader) (Stats, error) {
	return merge(a.router, r, a.saveRouter)
}

// merge applies a hosts.txt to b, and saves when anything changed.
func merge(b *Book, r io.Reader, save func() error) (Stats, error) {
	var st Stats
	m := merger{book: b, st: &st}
	err := ParseHostsTxt(r, m.apply, &st)
	if m.changed {
		if serr := save(); serr != nil && err == nil {
			err = serr
		}
	}
	return st, err
}

func (a *AddressBook) savePrivate() error {
	a.saveMu.Lock()
	defer a.saveMu.Unlock()
	return a.private.Save(filepath.Join(a.cfg.Dir, PrivateFile))
}

func (a *AddressBook) saveRouter() error {
	a.saveMu.Lock()
	defer a.saveMu.Unlock()
	if err := a.router.Save(filepath.Join(a.cfg.Dir, RouterFile)); err != nil {
		return err
	}
	if a.cfg.HostsFile != "" {
		if err := a.router.Save(a.cfg.HostsFile); err != nil {
			return fmt.Errorf("addressbook.hostsfile: %w", err)
		}
	}
	return nil
}
