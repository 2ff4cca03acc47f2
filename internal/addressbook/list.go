package addressbook

import (
	"fmt"
	"io"
)

// Book names, as the control socket and `veil addressbook` spell them.
const (
	BookPrivate = "private"
	BookRouter  = "router"
)

// Listed is one name of List.
type Listed struct {
	Name string `json:"name"`
	B32  string `json:"b32"`
	Book string `json:"book"`
}

// books returns the books a name selects: "private", "router", or ""
// for both.
func (a *AddressBook) books(which string) ([]*Book, []string, error) {
	switch which {
	case BookPrivate:
		return []*Book{a.private}, []string{BookPrivate}, nil
	case BookRouter:
		return []*Book{a.router}, []string{BookRouter}, nil
	case "", "all":
		return []*Book{a.private, a.router}, []string{BookPrivate, BookRouter}, nil
	}
	return nil, nil, fmt.Errorf("addressbook: no book %q (private, router or all)", clip(which))
}

// List returns the names of a book ("private", "router", "" for both),
// private ones first.
func (a *AddressBook) List(which string) ([]Listed, error) {
	bs, names, err := a.books(which)
	if err != nil {
		return nil, err
	}
	var out []Listed
	for i, b := range bs {
		for _, e := range b.Entries() {
			out = append(out, Listed{e.Name, e.Dest.Hash().B32(), names[i]})
		}
	}
	return out, nil
}

// Export writes a book ("private", "router", "" for both: a name in
// both is written once, the private one) in hosts.txt format.
func (a *AddressBook) Export(w io.Writer, which string) error {
	bs, _, err := a.books(which)
	if err != nil {
		return err
	}
	if len(bs) == 1 {
		_, err := bs[0].WriteTo(w)
		return err
	}
	merged := NewBook(2 * DefaultMaxEntries)
	for _, b := range bs {
		for _, e := range b.Entries() {
			merged.Add(e.Name, e.Dest) // first kept wins: private first
		}
	}
	_, err = merged.WriteTo(w)
	return err
}
