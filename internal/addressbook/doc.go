// Package addressbook is veil's naming service: the .i2p names of
// naming.html, kept in two books in hosts.txt format, and the
// subscriptions that fill one of them.
//
// The private book (privatehosts.txt) holds the names the user added
// (veil addressbook add, the HTTP proxy's address helper page); it is
// consulted first and never changed by a subscription. The router book
// (hosts.txt) holds the names merged from subscriptions: "the first
// name kept wins", so a feed can add names but not take one over,
// except through the signed commands of subscription.rst (changedest,
// changename, remove, removeall), whose signatures are checked with the
// keys of the destinations they name.
//
// Everything read from outside is bounded: line length, file and feed
// size, entries per book, signatures checked per feed. Lookups never
// write anything: no name a user visits reaches the disk.
//
// Concurrency: a Book is safe for concurrent use (one RWMutex, lookups
// take the read lock). An AddressBook owns its two books and its files;
// Subscriber.Run is the only goroutine it needs, and it ends with its
// context.
package addressbook
