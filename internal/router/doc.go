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
package router
