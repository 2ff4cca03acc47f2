// Package router wires veil's subsystems together and owns their
// lifetimes. Run loads (or creates) the router's identity from the data
// folder, publishes a signed RouterInfo, loads the netDb, runs the
// transports under a transport.Manager, keeps connected to known routers,
// serves the control socket (veil status), and shuts all of it down in
// order when its context ends (run.go has the flow).
//
// The data folder is laid out as i2pd's, so an i2pd router moves to veil
// with its identity: router.keys, router.info, ntcp2.keys and
// netDb/r<c>/routerInfo-<hash>.dat; veil adds veil.sock, the control
// socket.
//
// Ownership and concurrency: Run's goroutine owns the subsystems it
// creates and waits for every goroutine it starts (Manager.Run, each
// transport's Run, the connector, the control server). The Router's own
// fields are guarded by one mutex; its exported accessors (Hash,
// RouterInfo, Status) are safe to call concurrently at any time. The
// I2NP handlers (dispatch.go) run on transport session goroutines.
//
// Local destinations come from tunnels.conf (destinations.go, opened by
// Run) or are opened while the router runs with OpenSession
// (sessions.go), for SAM, I2CP, BOB and the public Go API: each Session
// owns its tunnel pool, LeaseSet goroutine and streaming Manager until
// its Close, and Run's shutdown closes those still open. Resolve turns
// b32, b33 and Base64 addresses into destination hashes, and other .i2p
// names through the resolver set with SetNameResolver (the addressbook).
package router
