// Package testnet runs a private I2P network of veil routers in one
// process, on loopback, with no internet and no root: `veil testnet`, and
// the fixture of veil's own in-process network tests.
//
// How a network comes up (Start, then Wait):
//
//  1. Identities: each router's data folder <dir>/routers/r<i> gets its
//     keys and router.info (router.Start); the first Floodfills routers
//     are floodfills. All listen on 127.0.0.1 (NTCP2 and SSU2) on ports
//     drawn from 20000–31999, in a private network id.
//  2. Reseed: every router.info is copied into <dir>/reseed/netDb, which
//     a veil reseed server (internal/reseed, the code behind `veil reseed
//     serve`) serves as signed su3 bundles over HTTPS on loopback. Each
//     router trusts only that server's signer and TLS certificates
//     (<dir>/certificates) and reseeds from it at start, as a router
//     joining the live network does.
//  3. Routers run (router.Run), connect, build exploratory tunnels.
//  4. The eepsite: an HTTP server on loopback behind a veil `http` server
//     tunnel on the last router (keys in its folder, so its address is
//     kept when the folder is); the HTTP proxy runs on router 0, the
//     user's router, on 127.0.0.1:4444 when that port is free.
//  5. Wait reports each stage (routers up, netDb filled, tunnels built,
//     eepsite published, eepsite fetched through the proxy) and returns
//     once the page came back.
//
// Close stops every router (each sends its terminations), the reseed and
// web servers, and removes the folder unless it was given or kept.
//
// Concurrency: a Network's methods may be called from several
// goroutines; each router runs on its own goroutine, owned by the
// Network and waited for by Close.
package testnet
