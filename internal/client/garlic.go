package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/garlic"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/tunnel"
)

// End-to-end messages between destinations: an I2CP payload in a Data
// message, in a Garlic Clove for the remote destination, encrypted with
// the ratchet (internal/garlic) to the key of its LeaseSet2, sent through
// one of our outbound tunnels to the gateway of one of its leases. Our
// LeaseSet rides along in the first messages of a session, so the remote
// can answer without a lookup.

// Received is one message a remote destination sent us.
type Received struct {
	Payload
	// Sender is the verified sender of a repliable datagram (protocol
	// 17, whose Data is then the datagram's payload); zero otherwise.
	Sender data.Hash
	// From is the sender's static encryption key when the garlic session
	// is bound to one; zero otherwise (raw datagrams carry no sender).
	From  [32]byte
	Bound bool
}

// Handler takes the messages a destination receives. It runs on the
// router's local-delivery goroutine and must not block.
type Handler func(Received)

// leaseMargin skips leases that end this soon: the message would arrive
// after the tunnel is gone.
const leaseMargin = 10 * time.Second

// maxRemotes bounds the remote keys remembered for ratchet replies.
const maxRemotes = 4096

// SetHandler sets where received messages go whose protocol has no
// handler of its own (nil: dropped).
func (d *Destination) SetHandler(h Handler) {
	d.mu.Lock()
	d.handler = h
	d.mu.Unlock()
}

// HandleProtocol sets where received messages of one I2CP protocol go
// (ProtoStreaming, ProtoDatagram, ProtoRaw, …), ahead of SetHandler's;
// nil removes it. Streaming and datagram users share a destination so.
func (d *Destination) HandleProtocol(proto uint8, h Handler) {
	d.mu.Lock()
	if h == nil {
		delete(d.protocols, proto)
	} else {
		d.protocols[proto] = h
	}
	d.mu.Unlock()
}

// handlerFor returns the handler of protocol proto.
func (d *Destination) handlerFor(proto uint8) Handler {
	d.mu.Lock()
	defer d.mu.Unlock()
	if h, ok := d.protocols[proto]; ok {
		return h
	}
	return d.handler
}

// HandleGarlic takes a Garlic message (type 11) that came through one of
// the destination's inbound tunnels.
func (d *Destination) HandleGarlic(payload []byte) error {
	g, err := i2np.ParseGarlic(payload)
	if err != nil {
		return err
	}
	now := d.now()
	m, err := d.engine.Decrypt(now, g.Body)
	if err != nil {
		return err
	}
	for _, c := range m.Cloves {
		if c.Delivery.Type != garlic.DeliverLocal {
			continue // we route for nobody
		}
		switch c.Header.Type {
		case i2np.TypeData:
			dm, err := i2np.ParseData(c.Payload)
			if err != nil {
				return err
			}
			p, err := ParsePayload(dm.Payload)
			if err != nil {
				return err
			}
			var sender data.Hash
			if p.Protocol == ProtoDatagram {
				dg, err := ParseDatagram1(p.Data)
				if err != nil {
					return err
				}
				sender, p.Data = dg.From.Hash(), dg.Payload
			}
			d.mu.Lock()
			d.received++
			d.mu.Unlock()
			if h := d.handlerFor(p.Protocol); h != nil {
				h(Received{Payload: p, Sender: sender, From: m.From, Bound: m.Bound})
			}
		case i2np.TypeDatabaseStore:
			d.storeLeaseSet(c.Payload)
		}
	}
	if m.NeedsReply && m.Bound {
		d.replyLater(m.From)
	}
	return nil
}

// storeLeaseSet keeps a sender's LeaseSet bundled in its garlic, so we
// can answer without a lookup.
func (d *Destination) storeLeaseSet(payload []byte) {
	ds, err := i2np.ParseDatabaseStore(payload)
	if err != nil || ds.Type == i2np.StoreRouterInfo {
		return
	}
	ls, err := netdb.ParseLeaseSet(data.StoreType(ds.Type), ds.Data)
	if err != nil || ls.Key != ds.Key {
		return
	}
	if _, err := d.net.Store().PutLeaseSet(ls.Key, ls); err != nil {
		d.log.Debug("client: bundled LeaseSet", "err", err)
	}
}

// replyLater answers a New Session (or an ack request) with an empty
// message after a second if nothing else went to the peer, as ecies.rst
// asks. The peer is known by key only; its LeaseSet came bundled.
func (d *Destination) replyLater(from [32]byte) {
	d.mu.Lock()
	to, ok := d.byKey[from]
	d.mu.Unlock()
	if !ok {
		return
	}
	time.AfterFunc(time.Second, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.sendBlocks(ctx, to, nil); err != nil {
			d.log.Debug("client: ratchet reply", "err", err)
		}
	})
}

// Send sends payload p to the destination with hash to: its LeaseSet
// from the netDb (looked up through our tunnels if needed), the garlic
// session to its key, one of its leases.
func (d *Destination) Send(ctx context.Context, to data.Hash, p Payload) error {
	body, err := AppendPayload(nil, p)
	if err != nil {
		return err
	}
	dm, err := (i2np.Data{Payload: body}).Append(nil)
	if err != nil {
		return err
	}
	now := d.now()
	c := garlic.Clove{Delivery: garlic.Delivery{Type: garlic.DeliverLocal},
		Clove: i2np.Clove{Header: i2np.Header{Type: i2np.TypeData, ID: nonzero32(), Expiration: now.Add(messageLife)}, Payload: dm}}
	return d.sendBlocks(ctx, to, []garlic.Block{c})
}

// SendDatagram sends payload to the destination to as a repliable
// datagram (Datagram1, protocol 17), signed by us.
func (d *Destination) SendDatagram(ctx context.Context, to data.Hash, srcPort, dstPort uint16, payload []byte) error {
	dg, err := d.AppendDatagram1(nil, payload)
	if err != nil {
		return err
	}
	return d.Send(ctx, to, Payload{Protocol: ProtoDatagram, SrcPort: srcPort, DstPort: dstPort, Data: dg})
}

// sendBlocks encrypts blocks (with our LeaseSet added while the session is
// new) to the destination to and sends them to one of its leases.
func (d *Destination) sendBlocks(ctx context.Context, to data.Hash, blocks []garlic.Block) error {
	ls, err := d.remote(ctx, to)
	if err != nil {
		return err
	}
	remote, ok := garlic.RemoteFor(ls, false)
	if !ok {
		return fmt.Errorf("client: %s publishes no ratchet key", to.B32())
	}
	key := remote.Key
	now := d.now()
	var live []data.Lease2
	for _, l := range ls.Leases {
		if l.End.Time().After(now.Add(leaseMargin)) {
			live = append(live, l)
		}
	}
	if len(live) == 0 {
		return fmt.Errorf("client: %s has no live lease", to.B32())
	}
	lease := live[rand.IntN(len(live))]
	var k [32]byte
	copy(k[:], key)
	d.mu.Lock()
	if _, ok := d.byKey[k]; !ok && len(d.byKey) >= maxRemotes {
		for old := range d.byKey { // forget one at random
			delete(d.byKey, old)
			break
		}
	}
	d.byKey[k] = to
	own := d.ls
	d.mu.Unlock()
	if own != nil {
		store, err := (&i2np.DatabaseStore{Key: d.Hash(), Type: i2np.StoreLeaseSet2, Data: own.Bytes()}).Append(nil)
		if err == nil {
			blocks = append(blocks, garlic.Clove{Delivery: garlic.Delivery{Type: garlic.DeliverLocal},
				Clove: i2np.Clove{Header: i2np.Header{Type: i2np.TypeDatabaseStore, ID: nonzero32(), Expiration: now.Add(messageLife)}, Payload: store}})
		}
	}
	sent, err := d.engine.Encrypt(now, remote, blocks...)
	if err != nil {
		return err
	}
	gm, err := (i2np.Garlic{Body: sent.Body}).Append(nil)
	if err != nil {
		return err
	}
	h := i2np.Header{Type: i2np.TypeGarlic, ID: nonzero32(), Expiration: now.Add(messageLife)}
	err = d.net.Tunnels().Send(d.pool, tunnel.Delivery{Type: tunnel.DeliveryTunnel, To: lease.Gateway, TunnelID: lease.TunnelID}, h, gm)
	if err == nil {
		d.mu.Lock()
		d.sent++
		d.mu.Unlock()
	}
	return err
}

// remote returns the LeaseSet2 of destination to: from the store, or
// looked up.
func (d *Destination) remote(ctx context.Context, to data.Hash) (*data.LeaseSet2, error) {
	ls := d.net.Store().LeaseSet(to)
	if ls == nil || !ls.Expires.After(d.now().Add(leaseMargin)) {
		var err error
		if ls, err = d.net.LookupLeaseSet(ctx, to); err != nil {
			return nil, fmt.Errorf("client: LeaseSet of %s: %w", to.B32(), err)
		}
	}
	ls2, ok := ls.Entry.(*data.LeaseSet2)
	if !ok {
		return nil, fmt.Errorf("client: %s publishes a LeaseSet of type %d, not a LeaseSet2", to.B32(), ls.Type)
	}
	return ls2, nil
}

// Counts returns the messages sent and received.
func (d *Destination) Counts() (sent, received uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sent, d.received
}
