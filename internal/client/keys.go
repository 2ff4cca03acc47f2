package client

import "github.com/veil-i2p/veil/internal/keyfile"

// Keys returns the destination's private keys. The streaming library
// signs its SYN, CLOSE, RESET and ping packets with them (the transient
// key, for offline keys).
func (d *Destination) Keys() *keyfile.PrivateKeys { return d.keys }
