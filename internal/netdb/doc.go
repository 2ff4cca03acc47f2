// Package netdb is veil's network database. For now it holds the
// RouterInfo store: RouterInfos validated by i2pd's rules, kept in memory
// and persisted in i2pd's layout (netDb/r<c>/routerInfo-<hash>.dat) so a
// data folder moves between veil and i2pd. Lookups, floodfill duties,
// LeaseSets, Kademlia and reseeding come with the netDb issue.
//
// Ownership and concurrency: a Store owns its map and its folder. One
// RWMutex guards the map (mostly reads: Get, All, counts); a second mutex
// orders file writes so the newest RouterInfo of a router is the one left
// on disk. All methods are safe for concurrent use. File writes happen
// outside the map lock.
//
// See network-database.html ("RouterInfo") and i2pd 2.45.1's NetDb.cpp
// (LoadRouterInfo, AddRouterInfo) for the rules followed.
package netdb
