package router

import (
	"fmt"

	"github.com/veil-i2p/veil/internal/data"
)

// What a program embedding the router (package veil) needs besides
// sessions: when Run is up, and how routers of a private network meet
// without a reseed server.

// Ready is closed once Run has started the subsystems (sessions can be
// opened); it stays open if Run fails before.
func (r *Router) Ready() <-chan struct{} { return r.sessions.ready }

// AddRouterInfo stores another router's RouterInfo (the bytes of its
// router.info) in the netDb, as a reseed would: the connector then dials
// it. It is how the routers of a private network find each other. The
// RouterInfo must be signed, of our network, and not ours.
func (r *Router) AddRouterInfo(b []byte) error {
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		return fmt.Errorf("router: add RouterInfo: %w", err)
	}
	if ri.Hash() == r.Hash() {
		return fmt.Errorf("router: add RouterInfo: it is our own")
	}
	store := routerNet{r}.Store()
	if store == nil {
		return fmt.Errorf("router: add RouterInfo: %w", ErrRouterStopped)
	}
	if _, err := store.Put(ri); err != nil {
		return fmt.Errorf("router: add RouterInfo: %w", err)
	}
	return nil
}
