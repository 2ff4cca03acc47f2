// Package netdb is veil's network database.
//
// The Store holds RouterInfos, validated by i2pd's rules, in memory and
// persisted in i2pd's layout (netDb/r<c>/routerInfo-<hash>.dat) so a data
// folder moves between veil and i2pd; and LeaseSets of every kind (types
// 1, 3, 5, 7), validated (signature, offline key, expiry, published not
// ahead, newer than the one held) and kept in memory. Both are capped;
// Expire drops what is stale, with time passed in. Refusals are counted
// by Reason (Stats).
//
// The Service is the network side (service.go, floodfill.go, lookup.go,
// publish.go): the floodfill role, answering DatabaseStore and
// DatabaseLookup, flooding and acknowledging; and the client role,
// iterative lookups, exploration and publishing our RouterInfo with
// verification. It sends through a Sender the router provides, straight
// to routers (never through tunnels), from a capped queue.
//
// Ownership and concurrency: a Store owns its maps and its folder. One
// RWMutex guards the maps (mostly reads: Get, LeaseSet, Closest, counts);
// a second mutex orders file writes so the newest RouterInfo of a router
// is the one left on disk. File writes happen outside the map lock.
// Counters are atomic. The Service's handlers never block: they queue
// what they send, and the Service's Run owns the sending goroutines and
// the timers (expiry, exploration, publishing); lookups run on the
// caller's goroutine and end with its context or their own budget. All
// methods are safe for concurrent use.
//
// See network-database.html, i2np.rst (DatabaseStore, DatabaseLookup,
// DatabaseSearchReply), proposal 154 (ECIES lookup replies) and
// common-structures.rst (LeaseSet kinds), and i2pd 2.45.1's NetDb.cpp for
// the rules and limits followed.
package netdb
