package router

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2ptunnel"
	"github.com/veil-i2p/veil/internal/keyfile"
)

func TestAddressBookResolver(t *testing.T) {
	r := newTestRouter(t, t.TempDir(), func(c *Config) { c.AddressBook = &AddressBookConfig{} })
	k, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddressBook().AddPrivate("named.i2p", k.Identity, false); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"named.i2p", "NAMED.i2p", "named.i2p:80"} {
		if h, err := r.Resolve(t.Context(), name); err != nil || h != k.Identity.Hash() {
			t.Errorf("Resolve(%s) = %v, %v", name, h, err)
		}
	}
	if _, err := r.Resolve(t.Context(), "unknown.i2p"); !errors.Is(err, i2ptunnel.ErrUnknownName) {
		t.Errorf("unknown name: %v", err)
	}
	// Without an addressbook, names are unknown.
	plain := newTestRouter(t, t.TempDir(), nil)
	if plain.AddressBook() != nil {
		t.Fatal("addressbook without its config")
	}
	if _, err := plain.Resolve(t.Context(), "named.i2p"); !errors.Is(err, i2ptunnel.ErrUnknownName) {
		t.Errorf("no addressbook: %v", err)
	}
}

// TestAddressBookSubscription: a destination on one router serves a
// hosts.txt over streams; another router subscribed to it learns the
// names and resolves them.
func TestAddressBookSubscription(t *testing.T) {
	if testing.Short() {
		t.Skip("four routers")
	}
	goroutineLeakCheck(t)
	feedKeys, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	site, _ := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	feedURL := "http://" + feedKeys.Identity.Hash().B32() + "/hosts.txt"
	rs, _ := startVeilNet(t, 4, func(i int, c *Config) {
		if i == 2 {
			c.AddressBook = &AddressBookConfig{Subscriptions: []string{feedURL}, FirstDelay: time.Hour}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	shape := PoolShape{InboundLength: 2, OutboundLength: 2, InboundQuantity: 2, OutboundQuantity: 2}
	feed, err := rs[3].OpenSession(ctx, SessionConfig{Name: "feed", Keys: feedKeys, Pool: shape})
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	ln, err := feed.Streams().Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	body := "feed.i2p=" + data.EncodeBase64(feedKeys.Identity.Bytes()) + "\nsite.i2p=" + data.EncodeBase64(site.Identity.Bytes()) + "\n"
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if req.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte(body))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	// The feed's LeaseSet takes a while to be published; retry the update.
	for {
		err := rs[2].UpdateAddressBook(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("subscription never fetched: %v", err)
		}
		time.Sleep(2 * time.Second)
	}
	for name, want := range map[string]data.Hash{"site.i2p": site.Identity.Hash(), "feed.i2p": feedKeys.Identity.Hash()} {
		if h, err := rs[2].Resolve(ctx, name); err != nil || h != want {
			t.Errorf("Resolve(%s) = %v, %v", name, h, err)
		}
	}
	if n, ok := rs[2].AddressBook().Reverse(site.Identity.Hash()); !ok || n != "site.i2p" {
		t.Errorf("Reverse = %q %v", n, ok)
	}
	// A second update gets a 304; status shows the books and the fetch.
	if err := rs[2].UpdateAddressBook(ctx); err != nil {
		t.Fatal(err)
	}
	ab := rs[2].Status().AddressBook
	if ab == nil || ab.Router != 2 || ab.Private != 0 || len(ab.Subscriptions) != 1 || ab.Subscriptions[0].ETag != `"v1"` ||
		ab.Subscriptions[0].LastFetched.IsZero() || ab.Subscriptions[0].LastError != "" {
		t.Errorf("status addressbook %+v", ab)
	}
	if rs[3].Status().AddressBook != nil {
		t.Error("addressbook in the status of a router without one")
	}
}
