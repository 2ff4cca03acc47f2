// Package router wires veil's subsystems together and owns their
// lifetimes. Run loads (or creates) the router's identity from the data
// folder, publishes a signed RouterInfo, and runs until its context ends.
//
// The data folder is laid out as i2pd's, so an i2pd router moves to veil
// with its identity: router.keys, router.info, ntcp2.keys and
// netDb/r<c>/routerInfo-<hash>.dat.
//
// A Router is driven by one goroutine (the caller of Run); its exported
// accessors are safe to call concurrently once Run has started.
package router
