package addressbook

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"

	"github.com/veil-i2p/veil/internal/atomicfile"
	"github.com/veil-i2p/veil/internal/data"
)

// Bounds of a book and of a hosts.txt file or feed.
const (
	// DefaultMaxEntries bounds the names of one book. The live
	// network's largest registries list some tens of thousands.
	DefaultMaxEntries = 50000
	// MaxFileSize bounds a hosts.txt read from disk or fetched.
	MaxFileSize = 32 << 20
)

// ErrFull is returned when a book holds its most entries.
var ErrFull = errors.New("addressbook: book full")

// ErrExists is returned when adding a name the book holds already.
var ErrExists = errors.New("addressbook: name taken")

// Entry is one name of a book.
type Entry struct {
	Name string
	Dest data.Destination
}

// Book maps names to destinations, and destination hashes back to the
// first name kept for them. Its zero value is not usable: use NewBook.
// It is safe for concurrent use.
type Book struct {
	mu      sync.RWMutex
	byName  map[string]data.Destination
	reverse map[data.Hash]string
	max     int
}

// NewBook returns an empty book holding at most max names
// (DefaultMaxEntries when max ≤ 0).
func NewBook(max int) *Book {
	if max <= 0 {
		max = DefaultMaxEntries
	}
	return &Book{byName: make(map[string]data.Destination), reverse: make(map[data.Hash]string), max: max}
}

// Len is the number of names held.
func (b *Book) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.byName)
}

// Lookup returns the destination of a normalized name.
func (b *Book) Lookup(name string) (data.Destination, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	d, ok := b.byName[name]
	return d, ok
}

// Reverse returns the first name kept for a destination hash.
func (b *Book) Reverse(h data.Hash) (string, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	n, ok := b.reverse[h]
	return n, ok
}

// Add adds a name that the book does not hold: the first name kept
// wins (ErrExists otherwise, even for the same destination).
func (b *Book) Add(name string, d data.Destination) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addLocked(name, d)
}

func (b *Book) addLocked(name string, d data.Destination) error {
	if _, ok := b.byName[name]; ok {
		return fmt.Errorf("%w: %s", ErrExists, name)
	}
	if len(b.byName) >= b.max {
		return fmt.Errorf("%w: %d names", ErrFull, b.max)
	}
	b.byName[name] = d
	if _, ok := b.reverse[d.Hash()]; !ok {
		b.reverse[d.Hash()] = name
	}
	return nil
}

// Set adds name or changes its destination.
func (b *Book) Set(name string, d data.Destination) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.removeLocked(name)
	return b.addLocked(name, d)
}

// Remove removes a name; it reports whether the book held it.
func (b *Book) Remove(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.removeLocked(name)
}

func (b *Book) removeLocked(name string) bool {
	d, ok := b.byName[name]
	if !ok {
		return false
	}
	delete(b.byName, name)
	h := d.Hash()
	if b.reverse[h] != name {
		return true
	}
	delete(b.reverse, h)
	// Another name of the same destination takes over (rare: aliases).
	for n, o := range b.byName {
		if o.Hash() == h {
			if cur, ok := b.reverse[h]; !ok || n < cur {
				b.reverse[h] = n
			}
		}
	}
	return true
}

// RemoveDest removes every name of a destination and returns them.
func (b *Book) RemoveDest(h data.Hash) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var gone []string
	for n, d := range b.byName {
		if d.Hash() == h {
			gone = append(gone, n)
		}
	}
	for _, n := range gone {
		delete(b.byName, n)
	}
	delete(b.reverse, h)
	sort.Strings(gone)
	return gone
}

// Entries returns the names in order.
func (b *Book) Entries() []Entry {
	b.mu.RLock()
	out := make([]Entry, 0, len(b.byName))
	for n, d := range b.byName {
		out = append(out, Entry{n, d})
	}
	b.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// WriteTo writes the book in hosts.txt format, one "name=Base64" line
// per name, in name order.
func (b *Book) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	var n int64
	for _, e := range b.Entries() {
		k, err := bw.WriteString(e.Name + "=" + data.EncodeBase64(e.Dest.Bytes()) + "\n")
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}

// Save writes the book to path atomically (mode 0600: the names a user
// keeps are nobody else's business).
func (b *Book) Save(path string) error {
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		return err
	}
	if err := atomicfile.Write(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("addressbook: save %s: %w", path, err)
	}
	return nil
}

// Load adds the plain entries of the hosts.txt file at path (absent is
// empty) by the first-name-wins rule. Lines that do not parse are
// counted, not fatal: one bad line must not lose a user's book.
func (b *Book) Load(path string) (Stats, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Stats{}, nil
	}
	if err != nil {
		return Stats{}, fmt.Errorf("addressbook: %w", err)
	}
	defer f.Close()
	var st Stats
	err = ParseHostsTxt(f, func(l Line) {
		if l.Name == "" || l.Action != ActionAdd {
			st.Ignored++
			return
		}
		if b.Add(l.Name, l.Dest) == nil {
			st.Added++
		} else {
			st.Conflicts++
		}
	}, &st)
	if err != nil {
		return st, fmt.Errorf("addressbook: %s: %w", path, err)
	}
	return st, nil
}
