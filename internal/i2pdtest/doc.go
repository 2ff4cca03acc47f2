// Package i2pdtest runs real i2pd routers (Debian's i2pd 2.45.1) for
// interoperability tests, and for `veil testnet --i2pd` (internal/testnet),
// which runs the same routers in the same namespaces outside a test: its
// functions take a TB, which *testing.T satisfies and testnet implements.
//
// What it owns: one i2pd process per Router, started as a direct child of the
// test process (the PID comes from exec.Cmd, never from a shell), its data
// directory and the config files it writes there. Start registers a
// t.Cleanup that stops the process by that PID (SIGTERM, SIGKILL only if it
// does not exit within StopTimeout) and waits for it.
//
// Safety: every router runs on a private network id (16..254), reseeds only
// from a local zip file or a dead loopback URL, and has UPnP, NTP, the address
// book, SOCKS, BOB and I2PControl disabled. Start refuses Config.Options that
// would change any of that. Routers listen on 127.0.0.0/8 (loopback mode) or
// inside network namespaces that a Network created by the same test owns
// (netns mode, root only). See /work/shared/testnet/README.md for why netns
// mode is needed for i2pd < 2.51 to accept connections from other local
// routers: i2pd 2.45.1 drops incoming NTCP2/SSU2 traffic from reserved
// addresses, 127/8 included, whatever reservedrange says.
//
// Concurrency: a Router's methods may be called from several goroutines; one
// goroutine per running process waits for it. Every wait is bounded (MaxWait).
//
// What i2pd 2.45.1 shows, found by running it (see the interop tests):
//   - it writes router.keys, router.info, ntcp2.keys, ssu2.keys on first start;
//   - for a server tunnel "[name] keys=F" it logs
//     "Clients: New private keys file <datadir>/F for <b32>.b32.i2p created"
//     (later starts: "Clients: Local address <b32>.b32.i2p loaded"), and its
//     console page ?page=i2p_tunnels lists
//     `<a href="/?page=local_destination&b32=<b32>">name</a> &#8658; <b32>.b32.i2p:<port>`;
//   - it loads netDb/r<c>/routerInfo-<hash>.dat at start and logs
//     "NetDb: <n> routers loaded (<m> floodfils)"; it does NOT verify
//     signatures there (RouterInfo(path) -> ReadFromBuffer(false)) but
//     deletes files that do not parse, carry another netId, lack
//     router.version or a usable NTCP2/SSU2 address, or are older than 180
//     days, logging "NetDb: RI from <path> is invalid or too old. Delete";
//   - it always reseeds at start in a small network (< 25 routers or < 5
//     floodfills); from Config.ReseedZip each entry goes through
//     NetDb::AddRouterInfo, which verifies the signature and logs
//     "NetDb: RouterInfo added: <hash>" or
//     "RouterInfo: Signature verification failed".
package i2pdtest
