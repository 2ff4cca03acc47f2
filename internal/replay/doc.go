// Package replay holds two duplicate detectors, each a leaf with no I/O,
// no goroutines and no package state:
//
//   - Filter, a decaying Bloom filter of 64-bit keys (I2NP message ids,
//     garlic clove ids, handshake keys) that remembers each key for at
//     least one period and at most two, in fixed memory, as Java I2P's
//     DecayingBloomFilter does. Time is passed in. Safe for concurrent use.
//   - Window, a sliding-window bitmap of recently accepted counters
//     (packet numbers, nonces), in the manner of RFC 6479 and
//     wireguard-go's replay package. One owner; not safe for concurrent
//     use.
//
// Neither can be fooled into forgetting a key early by a flood: a Filter
// degrades by reporting more false duplicates, never fewer, and a Window
// refuses counters that fall behind it.
package replay
