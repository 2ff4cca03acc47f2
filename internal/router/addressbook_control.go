package router

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/veil-i2p/veil/internal/addressbook"
)

// addressBookRoutes adds the addressbook's control endpoints to mux
// (`veil addressbook` uses them while the router runs, so the running
// router's book and its files stay one):
//
//	GET  /addressbook/list?book=private|router|all   JSON [{name, b32, book}]
//	GET  /addressbook/export?book=…                  hosts.txt
//	POST /addressbook/add     name=, dest= (Base64), replace=true
//	POST /addressbook/remove  name=
//	POST /addressbook/import  body: hosts.txt, into the private book; JSON stats
//	POST /addressbook/update  fetch the subscriptions now (Run does it)
func (r *Router) addressBookRoutes(mux *http.ServeMux) {
	book := r.AddressBook()
	if book == nil {
		mux.HandleFunc("/addressbook/", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "addressbook disabled (addressbook.enabled=false)", http.StatusNotFound)
		})
		return
	}
	var kick func()
	if r.book.subs != nil {
		kick = r.book.subs.Kick // runAddressBook fetches
	}
	AddressBookRoutes(mux, book, kick)
}

// AddressBookRoutes adds the endpoints above for book to mux; kick (nil
// without subscriptions) asks for an update. `veil addressbook` serves
// them in-process when no router runs.
func AddressBookRoutes(mux *http.ServeMux, book *addressbook.AddressBook, kick func()) {
	fail := func(w http.ResponseWriter, code int, err error) {
		http.Error(w, err.Error(), code)
	}
	mux.HandleFunc("GET /addressbook/list", func(w http.ResponseWriter, req *http.Request) {
		l, err := book.List(req.URL.Query().Get("book"))
		if err != nil {
			fail(w, http.StatusBadRequest, err)
			return
		}
		if l == nil {
			l = []addressbook.Listed{}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(l)
	})
	mux.HandleFunc("GET /addressbook/export", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := book.Export(w, req.URL.Query().Get("book")); err != nil {
			fail(w, http.StatusBadRequest, err)
		}
	})
	mux.HandleFunc("POST /addressbook/add", func(w http.ResponseWriter, req *http.Request) {
		d, err := addressbook.ParseDest(req.FormValue("dest"))
		if err == nil {
			err = book.AddPrivate(req.FormValue("name"), d, req.FormValue("replace") == "true")
		}
		if err != nil {
			fail(w, http.StatusBadRequest, err)
		}
	})
	mux.HandleFunc("POST /addressbook/remove", func(w http.ResponseWriter, req *http.Request) {
		ok, err := book.Remove(req.FormValue("name"))
		switch {
		case err != nil:
			fail(w, http.StatusInternalServerError, err)
		case !ok:
			http.Error(w, "no such name", http.StatusNotFound)
		}
	})
	mux.HandleFunc("POST /addressbook/import", func(w http.ResponseWriter, req *http.Request) {
		st, err := book.Import(io.LimitReader(req.Body, addressbook.MaxFileSize+1))
		if err != nil {
			fail(w, http.StatusBadRequest, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(st)
	})
	mux.HandleFunc("POST /addressbook/update", func(w http.ResponseWriter, req *http.Request) {
		if kick == nil {
			http.Error(w, "no subscriptions in a running router (addressbook.subscriptions)", http.StatusNotFound)
			return
		}
		kick()
		w.WriteHeader(http.StatusAccepted)
	})
}
