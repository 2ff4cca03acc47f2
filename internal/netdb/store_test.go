package netdb

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// router is a test router identity that signs RouterInfos.
type router struct {
	keys *keyfile.PrivateKeys
}

func newRouter(t testing.TB) *router {
	t.Helper()
	k, err := keyfile.GenerateRouter(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &router{keys: k}
}

func (r *router) hash() data.Hash { return r.keys.Identity.Hash() }

// ri signs a RouterInfo published at pub with the given caps and netId
// and one NTCP2 address, then changes it with mutate before signing.
func (r *router) ri(t testing.TB, pub time.Time, caps string, netID int, mutate func(*data.RouterInfo)) *data.RouterInfo {
	t.Helper()
	ri := &data.RouterInfo{Identity: r.keys.Identity, Published: data.DateOf(pub)}
	a := data.RouterAddress{Transport: "NTCP2", Cost: 3}
	a.Options.Set("host", "198.18.0.10")
	a.Options.Set("port", "20000")
	a.Options.Set("s", "c~ywZUmNq6S0z2W3kHyx0k~dQ2CtcpFG4Kp89o9Y0wA=")
	a.Options.Set("v", "2")
	ri.Addresses = []data.RouterAddress{a}
	ri.Options.Set("caps", caps)
	ri.Options.Set("netId", fmt.Sprint(netID))
	ri.Options.Set("router.version", "0.9.57")
	if mutate != nil {
		mutate(ri)
	}
	s, err := r.keys.Signer()
	if err != nil {
		t.Fatal(err)
	}
	if err := ri.Sign(s); err != nil {
		t.Fatal(err)
	}
	return ri
}

func newStore(t testing.TB, dir string, now *time.Time) *Store {
	return New(Config{Dir: dir, NetID: 99, Now: func() time.Time { return *now }})
}

func TestPutGetPersist(t *testing.T) {
	dir := t.TempDir()
	now := t0
	s := newStore(t, dir, &now)
	a, b := newRouter(t), newRouter(t)

	riA := a.ri(t, now.Add(-time.Hour), "XR", 99, nil)
	if ok, err := s.Put(riA); !ok || err != nil {
		t.Fatalf("put: %v %v", ok, err)
	}
	if ok, err := s.Put(b.ri(t, now, "Xf", 99, nil)); !ok || err != nil {
		t.Fatalf("put floodfill: %v %v", ok, err)
	}
	if s.Len() != 2 || s.Floodfills() != 1 || s.Get(a.hash()) != riA || len(s.All()) != 2 {
		t.Fatalf("len %d floodfills %d", s.Len(), s.Floodfills())
	}
	onDisk, err := os.ReadFile(Path(dir, a.hash()))
	if err != nil || !bytes.Equal(onDisk, riA.Bytes()) {
		t.Fatalf("file: %v", err)
	}
	if base := filepath.Base(filepath.Dir(Path(dir, a.hash()))); base != "r"+a.hash().String()[:1] {
		t.Fatalf("folder %s", base)
	}

	// Same or older: no change, no error.
	if ok, err := s.Put(a.ri(t, now.Add(-2*time.Hour), "XR", 99, nil)); ok || err != nil {
		t.Fatalf("older: %v %v", ok, err)
	}
	if ok, err := s.Put(riA); ok || err != nil {
		t.Fatalf("same: %v %v", ok, err)
	}
	// Newer replaces, and the floodfill count follows the caps.
	newer := a.ri(t, now, "Xf", 99, nil)
	if ok, err := s.Put(newer); !ok || err != nil {
		t.Fatalf("newer: %v %v", ok, err)
	}
	if s.Get(a.hash()) != newer || s.Floodfills() != 2 {
		t.Fatalf("floodfills %d", s.Floodfills())
	}
	onDisk, _ = os.ReadFile(Path(dir, a.hash()))
	if !bytes.Equal(onDisk, newer.Bytes()) {
		t.Fatal("file not updated")
	}
}

func TestPutRejects(t *testing.T) {
	now := t0
	self := newRouter(t)
	s := New(Config{NetID: 99, Self: self.hash(), Now: func() time.Time { return now }})
	r := newRouter(t)
	tampered := r.ri(t, now, "X", 99, nil)
	raw := bytes.Clone(tampered.Bytes())
	raw[len(raw)-1] ^= 1
	bad, err := data.ParseRouterInfo(raw)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		ri   *data.RouterInfo
		want error
	}{
		"netid":      {r.ri(t, now, "X", 2, nil), ErrNetID},
		"no netid":   {r.ri(t, now, "X", 99, func(ri *data.RouterInfo) { ri.Options.Delete("netId") }), ErrNetID},
		"signature":  {bad, ErrInvalid},
		"future":     {r.ri(t, now.Add(3*time.Minute), "X", 99, nil), ErrFuture},
		"too old":    {r.ri(t, now.Add(-28*time.Hour), "X", 99, nil), ErrTooOld},
		"self":       {self.ri(t, now, "X", 99, nil), ErrSelf},
		"no address": {r.ri(t, now, "X", 99, func(ri *data.RouterInfo) { ri.Addresses = nil }), ErrInvalid},
		"ssu only":   {r.ri(t, now, "X", 99, func(ri *data.RouterInfo) { ri.Addresses[0].Transport = "SSU" }), ErrInvalid},
		"too large": {r.ri(t, now, "X", 99, func(ri *data.RouterInfo) {
			for i := range 40 {
				ri.Options.Set(fmt.Sprintf("padding.%02d", i), string(bytes.Repeat([]byte{'x'}, 80)))
			}
		}), ErrTooLarge},
	}
	for name, c := range cases {
		if ok, err := s.Put(c.ri); ok || !errors.Is(err, c.want) {
			t.Errorf("%s: %v %v, want %v", name, ok, err, c.want)
		}
	}
	// Just inside the bounds.
	if ok, err := s.Put(r.ri(t, now.Add(MaxFuture), "X", 99, nil)); !ok || err != nil {
		t.Fatalf("2 min ahead: %v", err)
	}
	if s.Len() != 1 {
		t.Fatalf("len %d", s.Len())
	}
}

func TestPutCap(t *testing.T) {
	now := t0
	s := New(Config{NetID: 99, MaxRouters: 2, Now: func() time.Time { return now }})
	rs := []*router{newRouter(t), newRouter(t), newRouter(t)}
	for _, r := range rs[:2] {
		if _, err := s.Put(r.ri(t, now.Add(-time.Minute), "X", 99, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put(rs[2].ri(t, now, "X", 99, nil)); !errors.Is(err, ErrFull) {
		t.Fatalf("third router: %v", err)
	}
	// Updates of known routers still go in.
	if ok, err := s.Put(rs[0].ri(t, now, "X", 99, nil)); !ok || err != nil {
		t.Fatalf("update when full: %v %v", ok, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	now := t0
	self := newRouter(t)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, "r"+name[len("routerInfo-"):][:1], name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	file := func(ri *data.RouterInfo) string { return "routerInfo-" + ri.Hash().String() + ".dat" }
	// renamed changes the hash's second character (the first names the
	// folder), to one it is not.
	renamed := func(name string) string {
		c := byte('A')
		if name[12] == c {
			c = 'B'
		}
		return name[:12] + string(c) + name[13:]
	}

	good := newRouter(t).ri(t, now.Add(-30*24*time.Hour), "X", 99, nil) // a month old: kept on load
	ff := newRouter(t).ri(t, now, "Xf", 99, nil)
	future := newRouter(t).ri(t, now.Add(time.Hour), "X", 99, nil) // kept: the clock may have moved
	mine := self.ri(t, now, "X", 99, nil)
	old := newRouter(t).ri(t, now.Add(-181*24*time.Hour), "X", 99, nil)
	otherNet := newRouter(t).ri(t, now, "X", 2, nil)
	misnamed := newRouter(t).ri(t, now, "X", 99, nil)

	keep := []string{write(file(good), good.Bytes()), write(file(ff), ff.Bytes()), write(file(future), future.Bytes()), write(file(mine), mine.Bytes())}
	drop := []string{
		write(file(old), old.Bytes()),
		write(file(otherNet), otherNet.Bytes()),
		write(renamed(file(good)), good.Bytes()), // name is not the hash
		write("routerInfo-"+misnamed.Hash().String()+".dat", []byte("garbage")),
		write("routerInfo-notbase64!.dat", good.Bytes()),
		write("routerInfo-"+newRouter(t).hash().String()+".dat", make([]byte, MaxRouterInfoLen+1)),
	}
	other := write("routerInfo-x/../README", []byte("not ours"))
	keep = append(keep, other)
	if err := os.WriteFile(filepath.Join(dir, "profile.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	s := New(Config{Dir: dir, NetID: 99, Self: self.hash(), Now: func() time.Time { return now }})
	st, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if st.Loaded != 3 || st.Removed != len(drop) || st.Skipped != 1 {
		t.Fatalf("stats %+v", st)
	}
	if s.Len() != 3 || s.Floodfills() != 1 || s.Get(good.Hash()) == nil || s.Get(self.hash()) != nil {
		t.Fatalf("len %d floodfills %d", s.Len(), s.Floodfills())
	}
	for _, p := range keep {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
	for _, p := range drop {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s kept", p)
		}
	}

	// A missing folder is an empty netDb.
	if st, err := New(Config{Dir: filepath.Join(dir, "none"), NetID: 99}).Load(); err != nil || st.Loaded != 0 {
		t.Fatalf("missing folder: %+v %v", st, err)
	}
}

func TestConcurrentPutGet(t *testing.T) {
	dir := t.TempDir()
	now := t0
	s := newStore(t, dir, &now)
	r := newRouter(t)
	var ris []*data.RouterInfo
	for i := range 20 {
		ris = append(ris, r.ri(t, now.Add(-time.Duration(i)*time.Second), "X", 99, nil))
	}
	var wg sync.WaitGroup
	for _, ri := range ris {
		wg.Go(func() {
			if _, err := s.Put(ri); err != nil {
				t.Error(err)
			}
			_ = s.Get(ri.Hash())
			_ = s.All()
			_ = s.Floodfills()
		})
	}
	wg.Wait()
	// Whatever the order, the newest is stored and on disk.
	if s.Get(r.hash()) != ris[0] {
		t.Fatal("newest not kept")
	}
	b, _ := os.ReadFile(Path(dir, r.hash()))
	if !bytes.Equal(b, ris[0].Bytes()) {
		t.Fatal("newest not on disk")
	}
}
