package router

import (
	mrand "math/rand/v2"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/transport"
)

// registerHandlers plugs the router's I2NP handlers into the Manager's
// dispatch point. Types not registered are logged at debug and dropped;
// later issues register theirs here (tunnel builds, garlic, lookups).
func (r *Router) registerHandlers(mgr *transport.Manager) {
	mgr.Handle(i2np.TypeDatabaseStore, func(from data.Hash, m *transport.Message) {
		r.handleDatabaseStore(mgr, from, m)
	})
	mgr.Handle(i2np.TypeDeliveryStatus, func(from data.Hash, m *transport.Message) {
		r.handleDeliveryStatus(from, m)
	})
}

// handleDatabaseStore stores a RouterInfo sent to us (i2np.rst,
// "DatabaseStore"). LeaseSets wait for the netDb issue. A reply token
// gets the DeliveryStatus i2pd sends for any store, but only straight
// back to the sender: replies down tunnels need tunnels, and replying to
// a third router on a stranger's word would let anyone make us dial.
func (r *Router) handleDatabaseStore(mgr *transport.Manager, from data.Hash, m *transport.Message) {
	log := r.log.With("peer", from.String())
	ds, err := i2np.ParseDatabaseStore(m.Payload)
	if err != nil {
		log.Debug("router: bad DatabaseStore", "err", err)
		return
	}
	if ds.ReplyToken != 0 && ds.ReplyTunnel == 0 && ds.ReplyGateway == from {
		ack := i2np.DeliveryStatus{MsgID: ds.ReplyToken, Timestamp: r.cfg.now()}
		reply := &transport.Message{Type: i2np.TypeDeliveryStatus, ID: r.msgID(), Expiration: r.cfg.now().Add(time.Minute), Payload: ack.Append(nil)}
		if s := mgr.Session(from); s != nil {
			if err := s.Send(reply, transport.PriorityNormal); err != nil {
				log.Debug("router: DeliveryStatus for DatabaseStore", "err", err)
			}
		}
	}
	if ds.Type != i2np.StoreRouterInfo {
		log.Debug("router: DatabaseStore of a LeaseSet dropped (not yet handled)", "key", ds.Key.String(), "type", ds.Type)
		return
	}
	ri, err := ds.RouterInfo()
	if err != nil {
		log.Debug("router: DatabaseStore", "err", err)
		return
	}
	r.mu.Lock()
	store := r.netdb
	r.mu.Unlock()
	updated, err := store.Put(ri)
	switch {
	case err != nil:
		log.Debug("router: RouterInfo refused", "router", ri.Hash().String(), "err", err)
	case updated:
		log.Debug("router: RouterInfo stored", "router", ri.Hash().String(), "caps", ri.Caps())
	}
}

// handleDeliveryStatus logs DeliveryStatus messages; nothing waits for
// them yet.
func (r *Router) handleDeliveryStatus(from data.Hash, m *transport.Message) {
	ds, err := i2np.ParseDeliveryStatus(m.Payload)
	if err != nil {
		r.log.Debug("router: bad DeliveryStatus", "peer", from.String(), "err", err)
		return
	}
	r.log.Debug("router: DeliveryStatus", "peer", from.String(), "msgid", ds.MsgID, "time", ds.Timestamp)
}

// msgID is a fresh I2NP message id.
func (r *Router) msgID() uint32 {
	for {
		if id := mrand.Uint32(); id != 0 {
			return id
		}
	}
}
