// Package node turns veil's options (internal/config: i2pd's option names,
// i2pd.conf, tunnels.conf) into a router.Config: the one place where
// options become a router, shared by the veil command and the public Go
// API (package veil), so both read an option the same way.
//
// It holds no state: RouterConfig reads the tunnels.conf files the
// options name and returns plain data.
package node
