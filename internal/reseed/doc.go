// Package reseed bootstraps a router's netDb from signed su3 bundles and
// serves such bundles (the reseed protocol).
//
// Spec: i2p.www i2p2www/spec/updates.rst, "SU3 Reseed File Specification"
// (content type 3, a zip of routerInfo-<hash>.dat files, version = Unix
// seconds); i2p.website content/en/docs/misc/reseed.md (GET
// https://host/i2pseeds.su3, "?netid=N" since 0.9.42, User-Agent
// "Wget/1.11.4", the same bundle to the same requester for a while).
// Behaviour follows Java I2P's Reseeder (1 MiB cap on a response, a
// 30-day limit on a bundle's age, random server order) and i2pd's
// Reseeder::Bootstrap (reseed.file, then reseed.zipfile, then
// reseed.urls).
//
// What it owns: Client.Run fetches, checks and unpacks bundles and hands
// each RouterInfo whose signature and network id are right to the
// caller, who stores it (netdb.Store.Put applies the netDb's rules).
// Server signs bundles from a netDb folder, which it only reads, and
// answers HTTP requests for them; it holds its signing key, a small
// cache of signed bundles and a per-address rate limiter.
//
// Safety: a Client on a private network (netid != 2) refuses to contact
// the main network's reseed servers: a private network bootstrapped from
// them would mix with the public one (issue 5). The caller must set
// reseed.urls, reseed.file or reseed.zipfile.
//
// Concurrency: a Client is configured once, then Run may be called from
// one goroutine at a time; it starts no goroutines that outlive it.
// Server's methods are safe for concurrent use; its fields are guarded by
// the mutexes next to them. The package holds no mutable state.
package reseed
