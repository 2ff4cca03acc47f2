package router

import (
	mrand "math/rand/v2"

	"github.com/veil-i2p/veil/internal/transport"
)

// registerHandlers plugs the router's I2NP handlers into the Manager's
// dispatch point. Types not registered are logged at debug and dropped;
// later issues register theirs here (tunnel builds, garlic, lookups).
func (r *Router) registerHandlers(mgr *transport.Manager) {
	r.registerNetDB(mgr) // DatabaseStore, DatabaseLookup, DatabaseSearchReply, DeliveryStatus, Garlic (netdb.go)
}

// msgID is a fresh I2NP message id.
func (r *Router) msgID() uint32 {
	for {
		if id := mrand.Uint32(); id != 0 {
			return id
		}
	}
}
