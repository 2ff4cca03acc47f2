package router

import (
	"errors"
	"strings"

	"github.com/veil-i2p/veil/internal/addressbook"
	"github.com/veil-i2p/veil/internal/console"
)

// The console's addressbook page (console.AddressBook) over the router's
// addressbook (addressbook.go): the same operations as `veil addressbook`
// and the control socket.

var _ console.AddressBook = (*ConsoleView)(nil)

var errNoAddressBook = errors.New("the addressbook is off (addressbook.enabled = false)")

// AddressBookEnabled implements console.AddressBook.
func (v *ConsoleView) AddressBookEnabled() bool { return v.r.AddressBook() != nil }

// Names implements console.AddressBook.
func (v *ConsoleView) Names(book, search string) ([]console.Name, error) {
	ab := v.r.AddressBook()
	if ab == nil {
		return nil, errNoAddressBook
	}
	list, err := ab.List(book)
	if err != nil {
		return nil, err
	}
	search = strings.ToLower(search)
	var out []console.Name
	for _, l := range list {
		if search == "" || strings.Contains(strings.ToLower(l.Name), search) || strings.Contains(l.B32, search) {
			out = append(out, console.Name{Name: l.Name, B32: l.B32, Book: l.Book})
		}
	}
	return out, nil
}

// AddName implements console.AddressBook.
func (v *ConsoleView) AddName(name, dest string, replace bool) error {
	ab := v.r.AddressBook()
	if ab == nil {
		return errNoAddressBook
	}
	d, err := addressbook.ParseDest(dest)
	if err != nil {
		return err
	}
	return ab.AddPrivate(name, d, replace)
}

// RemoveName implements console.AddressBook.
func (v *ConsoleView) RemoveName(name string) error {
	ab := v.r.AddressBook()
	if ab == nil {
		return errNoAddressBook
	}
	ok, err := ab.Remove(name)
	if err == nil && !ok {
		err = errors.New("no name " + name)
	}
	return err
}

// Subscriptions implements console.AddressBook.
func (v *ConsoleView) Subscriptions() []console.Subscription {
	if v.r.book == nil || v.r.book.subs == nil {
		return nil
	}
	var out []console.Subscription
	for _, s := range v.r.book.subs.Subscriptions() {
		out = append(out, console.Subscription{URL: s.URL, LastFetched: s.LastFetched, LastError: s.LastError})
	}
	return out
}

// UpdateSubscriptions implements console.AddressBook.
func (v *ConsoleView) UpdateSubscriptions() error {
	if v.r.book == nil || v.r.book.subs == nil {
		return errors.New("no subscriptions (addressbook.subscriptions)")
	}
	v.r.book.subs.Kick()
	return nil
}
