package console

import (
	"net/http"
	"strings"
	"time"
)

// The addressbook page: browse and search the names, add and remove
// private ones, see the subscriptions and fetch them now. It shows when
// the Router implements AddressBook and says it is enabled.

// AddressBook is what a Router offers, besides Router, when it has an
// addressbook.
type AddressBook interface {
	// AddressBookEnabled says whether the router runs an addressbook.
	AddressBookEnabled() bool
	// Names lists a book's names ("private", "router", "" for both)
	// containing search in the name or b32 (case-insensitive; "" all).
	Names(book, search string) ([]Name, error)
	// AddName adds name for a Base64 destination to the private book.
	AddName(name, dest string, replace bool) error
	// RemoveName removes a name (private book first).
	RemoveName(name string) error
	// Subscriptions reports each subscription's last fetch.
	Subscriptions() []Subscription
	// UpdateSubscriptions asks for a fetch now (it runs in the
	// background).
	UpdateSubscriptions() error
}

// Name is one addressbook entry.
type Name struct {
	Name, B32, Book string
}

// Subscription is one subscription's state.
type Subscription struct {
	URL         string
	LastFetched time.Time
	LastError   string
}

// maxListed bounds the names one page shows.
const maxListed = 500

func (s *Server) addressBook() AddressBook {
	if b, ok := s.rt.(AddressBook); ok && b.AddressBookEnabled() {
		return b
	}
	return nil
}

// addressbookPage renders GET /addressbook?q=&book=.
func (s *Server) addressbookPage(w http.ResponseWriter, req *http.Request) {
	s.renderBook(w, req, http.StatusOK, "", "")
}

func (s *Server) renderBook(w http.ResponseWriter, req *http.Request, code int, msg, errMsg string) {
	v := view{Page: "addressbook", Snap: s.rt.Snapshot(), Msg: msg, Err: errMsg}
	b := s.addressBook()
	if b == nil {
		v.Err = "The addressbook is off (addressbook.enabled = false)."
		s.render(w, code, v)
		return
	}
	v.Key, v.Typ = strings.TrimSpace(req.FormValue("q")), req.FormValue("book")
	names, err := b.Names(v.Typ, v.Key)
	if err != nil && v.Err == "" {
		v.Err = err.Error()
	}
	v.Total = len(names)
	if len(names) > maxListed {
		names = names[:maxListed]
	}
	v.Names, v.Subs, v.BookOn = names, b.Subscriptions(), true
	s.render(w, code, v)
}

// addressbookAction handles POST /addressbook/{action}: add, remove,
// update.
func (s *Server) addressbookAction(w http.ResponseWriter, req *http.Request) {
	if !s.postOK(w, req) {
		return
	}
	b := s.addressBook()
	if b == nil {
		http.Error(w, "console: the addressbook is off (addressbook.enabled = false)", http.StatusNotFound)
		return
	}
	name := strings.TrimSpace(req.PostFormValue("name"))
	var err error
	var msg string
	switch req.PathValue("action") {
	case "add":
		if err = b.AddName(name, strings.TrimSpace(req.PostFormValue("dest")), req.PostFormValue("replace") != ""); err == nil {
			msg = name + " added to the private book."
		}
	case "remove":
		if err = b.RemoveName(name); err == nil {
			msg = name + " removed."
		}
	case "update":
		if err = b.UpdateSubscriptions(); err == nil {
			msg = "Fetching the subscriptions now."
		}
	default:
		http.NotFound(w, req)
		return
	}
	if err != nil {
		s.renderBook(w, req, http.StatusBadRequest, "", err.Error())
		return
	}
	s.log.Info("console: " + msg)
	s.renderBook(w, req, http.StatusOK, msg, "")
}
