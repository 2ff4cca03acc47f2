package client

import (
	"bytes"
	"maps"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/garlic"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/tunnel"
)

// End-to-end messages between destinations: an I2CP payload in a Data
// message, in a Garlic Clove for the remote destination, encrypted with
// the ratchet (internal/garlic) to the key of its LeaseSet2 — or with
// ElGamal/AES to a destination that publishes only an ElGamal key —
// sent through one of our outbound tunnels to the gateway of one of its
// leases (send.go). Our LeaseSet rides along in the first messages to a
// remote, so it can answer without a lookup.

// Received is one message a remote destination sent us.
type Received struct {
	Payload
	// Sender is the sender a datagram names (protocols 17, 19 and 20,
	// whose Data is then the datagram's payload); zero otherwise.
	// Verified says its signature was checked (Datagram1 and Datagram2);
	// a Datagram3's sender is only claimed.
	Sender   data.Hash
	Verified bool
	// SenderDest is the sender's full destination (Datagram1 and
	// Datagram2 carry it), as SAM and net.PacketConn users answer to it.
	SenderDest []byte
	// Options are a Datagram2's or Datagram3's options.
	Options data.Mapping
	// From is the sender's static encryption key when the garlic session
	// is bound to one; zero otherwise (raw datagrams carry no sender).
	From  [32]byte
	Bound bool
}

// Handler takes the messages a destination receives. It runs on the
// router's local-delivery goroutine and must not block.
type Handler func(Received)

// maxForwards bounds the cloves of one garlic message passed on to other
// tunnels or routers.
const maxForwards = 2

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
// the destination's inbound tunnels. Cloves for us (local delivery, or
// destination delivery naming us, as i2pd addresses them) are taken;
// DeliveryStatus and Garlic cloves for a tunnel or router — the
// acknowledgements an ElGamal sender asks for — are passed on through
// our outbound tunnels, as i2pd and Java do; the rest is dropped.
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
	var firstErr error
	forwards := 0
	for _, c := range m.Cloves {
		switch t := c.Delivery.Type; {
		case t == garlic.DeliverLocal || t == garlic.DeliverDestination && c.Delivery.To == d.Hash():
			if err := d.takeClove(c, m, now); err != nil && firstErr == nil {
				firstErr = err
			}
		case (t == garlic.DeliverTunnel || t == garlic.DeliverRouter) && forwards < maxForwards:
			forwards++
			d.forward(c)
		}
	}
	if m.NeedsReply && m.Bound {
		d.replyLater(m.From)
	}
	return firstErr
}

// takeClove handles a clove addressed to us.
func (d *Destination) takeClove(c garlic.Clove, m *garlic.Message, now time.Time) error {
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
		r := Received{Payload: p, From: m.From, Bound: m.Bound}
		if err := d.openDatagram(&r, now); err != nil {
			return err
		}
		d.mu.Lock()
		d.received++
		d.recvBy[p.Protocol]++
		d.mu.Unlock()
		if h := d.handlerFor(p.Protocol); h != nil {
			h(r)
		}
	case i2np.TypeDatabaseStore:
		d.storeLeaseSet(c.Payload, m)
	case i2np.TypeDeliveryStatus:
		d.HandleDeliveryStatus(c.Payload)
	}
	return nil
}

// openDatagram replaces r.Data by the payload of the datagram it holds,
// for the protocols that have a datagram header, and fills in the sender.
func (d *Destination) openDatagram(r *Received, now time.Time) error {
	switch r.Protocol {
	case ProtoDatagram:
		dg, err := ParseDatagram1(r.Data)
		if err != nil {
			return err
		}
		r.Sender, r.SenderDest, r.Verified, r.Data = dg.From.Hash(), dg.From.Bytes(), true, dg.Payload
	case ProtoDatagram2:
		dg, err := ParseDatagram2(r.Data, d.Hash(), now)
		if err != nil {
			return err
		}
		r.Sender, r.SenderDest, r.Verified, r.Options, r.Data = dg.From.Hash(), dg.From.Bytes(), true, dg.Options, dg.Payload
	case ProtoDatagram3:
		dg, err := ParseDatagram3(r.Data)
		if err != nil {
			return err
		}
		r.Sender, r.Options, r.Data = dg.From, dg.Options, dg.Payload
	}
	return nil
}

// forward passes a DeliveryStatus or Garlic clove on to the tunnel or
// router it names, through one of our outbound tunnels.
func (d *Destination) forward(c garlic.Clove) {
	if c.Header.Type != i2np.TypeDeliveryStatus && c.Header.Type != i2np.TypeGarlic {
		return
	}
	to := tunnel.Delivery{Type: tunnel.DeliveryRouter, To: c.Delivery.To}
	if c.Delivery.Type == garlic.DeliverTunnel {
		to = tunnel.Delivery{Type: tunnel.DeliveryTunnel, To: c.Delivery.To, TunnelID: c.Delivery.Tunnel}
	}
	if err := d.net.Tunnels().Send(d.pool, to, c.Header, c.Payload); err != nil {
		d.log.Debug("client: clove not forwarded", "dest", d.B32(), "err", err)
		return
	}
	d.mu.Lock()
	d.forwarded++
	d.mu.Unlock()
}

// HandleDeliveryStatus takes a DeliveryStatus message that came through
// one of the destination's inbound tunnels: the acknowledgement of
// ElGamal session tags we sent (garlic.Engine.ConfirmDelivery).
func (d *Destination) HandleDeliveryStatus(payload []byte) {
	ds, err := i2np.ParseDeliveryStatus(payload)
	if err != nil {
		return
	}
	d.engine.ConfirmDelivery(d.now(), ds.MsgID)
}

// storeLeaseSet keeps a sender's LeaseSet bundled in its garlic, so we
// can answer without a lookup. When it lists the key the garlic session
// is bound to, that key is known to be its destination's: the ratchet's
// own replies (replyLater) can then go to a peer that wrote first.
func (d *Destination) storeLeaseSet(payload []byte, m *garlic.Message) {
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
		return
	}
	if ls2, ok := ls.Entry.(*data.LeaseSet2); ok && m.Bound {
		for _, k := range ls2.Keys {
			if k.Type != crypto.EncElGamal && bytes.Equal(k.Key, m.From[:]) {
				d.mu.Lock()
				d.rememberKeyLocked(m.From, ls.Key)
				d.mu.Unlock()
				break
			}
		}
	}
}

// Counts returns the messages sent and received.
func (d *Destination) Counts() (sent, received uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sent, d.received
}

// Stats are a destination's counters since it was made.
type Stats struct {
	// SentBy and ReceivedBy count I2CP payloads by protocol (17
	// repliable datagrams, 18 raw, …).
	SentBy, ReceivedBy map[uint8]uint64
	// Forwarded counts cloves passed on to others' tunnels (the
	// DeliveryStatus acknowledgements of ElGamal senders).
	Forwarded uint64
	// Garlic are the garlic engine's counters: messages by kind
	// (ratchet NS/NSR/ES, ElGamal NS/ES) each way.
	Garlic garlic.Stats
}

// Stats returns the destination's counters.
func (d *Destination) Stats() Stats {
	s := Stats{Garlic: d.engine.Stats()}
	d.mu.Lock()
	defer d.mu.Unlock()
	s.SentBy, s.ReceivedBy, s.Forwarded = maps.Clone(d.sentBy), maps.Clone(d.recvBy), d.forwarded
	return s
}
