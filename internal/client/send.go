package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/garlic"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/tunnel"
)

// leaseMargin skips leases that end this soon: the message would arrive
// after the tunnel is gone.
const leaseMargin = 10 * time.Second

// maxRemotes bounds the remote keys remembered for ratchet replies, and
// the remotes remembered for LeaseSet bundling.
const maxRemotes = 4096

// Our LeaseSet goes along with the first bundleFirst messages to a remote
// after it changed, and again every bundleEvery, so a remote that lost
// the first ones still learns it without a lookup; not with every
// message, which it would make larger than one tunnel message.
const (
	bundleFirst = 3
	bundleEvery = time.Minute
)

// bundle is our LeaseSet as last bundled to one remote.
type bundle struct {
	ls *data.LeaseSet2
	n  int
	at time.Time
}

// remoteDest is what sending needs of a remote destination's LeaseSet.
type remoteDest struct {
	key    garlic.Remote
	leases []data.Lease2
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
	if err := d.sendBlocks(ctx, to, []garlic.Block{localClove(i2np.TypeData, dm, d.now())}); err != nil {
		return err
	}
	d.mu.Lock()
	d.sentBy[p.Protocol]++
	d.mu.Unlock()
	return nil
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

// SendDatagram2 sends payload to the destination to as a Datagram2
// (protocol 19): repliable, signed by us for to only.
func (d *Destination) SendDatagram2(ctx context.Context, to data.Hash, srcPort, dstPort uint16, payload []byte) error {
	dg, err := d.AppendDatagram2(nil, to, payload, data.Mapping{})
	if err != nil {
		return err
	}
	return d.Send(ctx, to, Payload{Protocol: ProtoDatagram2, SrcPort: srcPort, DstPort: dstPort, Data: dg})
}

// SendDatagram3 sends payload to the destination to as a Datagram3
// (protocol 20): repliable, unsigned.
func (d *Destination) SendDatagram3(ctx context.Context, to data.Hash, srcPort, dstPort uint16, payload []byte) error {
	dg, err := d.AppendDatagram3(nil, payload, data.Mapping{})
	if err != nil {
		return err
	}
	return d.Send(ctx, to, Payload{Protocol: ProtoDatagram3, SrcPort: srcPort, DstPort: dstPort, Data: dg})
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
	d.replies.after(time.Second, func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := d.sendBlocks(ctx, to, nil); err != nil {
			d.log.Debug("client: ratchet reply", "err", err)
		}
	})
}

// sendBlocks encrypts blocks (with our LeaseSet added while it is new to
// the remote, and for ElGamal a DeliveryStatus to confirm session tags)
// to the destination to and sends them to one of its leases.
func (d *Destination) sendBlocks(ctx context.Context, to data.Hash, blocks []garlic.Block) error {
	r, err := d.remote(ctx, to)
	if err != nil {
		return err
	}
	now := d.now()
	var live []data.Lease2
	for _, l := range r.leases {
		if l.End.Time().After(now.Add(leaseMargin)) {
			live = append(live, l)
		}
	}
	if len(live) == 0 {
		return fmt.Errorf("client: %s has no live lease", to.B32())
	}
	lease := live[rand.IntN(len(live))]
	elgamal := r.key.Type == crypto.EncElGamal
	d.mu.Lock()
	if !elgamal {
		d.rememberKeyLocked([32]byte(r.key.Key), to)
	}
	own := d.ls
	attach := own != nil && d.bundleLocked(to, own, now)
	d.mu.Unlock()
	if attach {
		store, err := (&i2np.DatabaseStore{Key: d.Hash(), Type: i2np.StoreLeaseSet2, Data: own.Bytes()}).Append(nil)
		if err == nil {
			blocks = append(blocks, localClove(i2np.TypeDatabaseStore, store, now))
		}
	}
	if elgamal && own != nil && len(own.Leases) > 0 && d.engine.ElGamalWantsTags(now, r.key.Key) {
		blocks = append(blocks, deliveryStatusClove(own, now))
	}
	sent, err := d.engine.Encrypt(now, r.key, blocks...)
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

// rememberKeyLocked notes that the ratchet key k is destination to's,
// for ratchet replies.
func (d *Destination) rememberKeyLocked(k [32]byte, to data.Hash) {
	if _, ok := d.byKey[k]; !ok && len(d.byKey) >= maxRemotes {
		for old := range d.byKey { // forget one at random
			delete(d.byKey, old)
			break
		}
	}
	d.byKey[k] = to
}

// bundleLocked reports whether our LeaseSet own goes along with a message
// to the remote to now, and records it if so.
func (d *Destination) bundleLocked(to data.Hash, own *data.LeaseSet2, now time.Time) bool {
	b, ok := d.bundled[to]
	switch {
	case !ok || b.ls != own:
		b = bundle{ls: own}
	case b.n < bundleFirst || now.Sub(b.at) >= bundleEvery:
	default:
		return false
	}
	if !ok && len(d.bundled) >= maxRemotes {
		for old := range d.bundled {
			delete(d.bundled, old)
			break
		}
	}
	b.n++
	b.at = now
	d.bundled[to] = b
	return true
}

// localClove is a clove for the remote destination itself.
func localClove(t uint8, payload []byte, now time.Time) garlic.Clove {
	return garlic.Clove{Delivery: garlic.Delivery{Type: garlic.DeliverLocal},
		Clove: i2np.Clove{Header: i2np.Header{Type: t, ID: nonzero32(), Expiration: now.Add(messageLife)}, Payload: payload}}
}

// deliveryStatusClove asks an ElGamal remote to send a DeliveryStatus
// back to one of our leases; its arrival (HandleDeliveryStatus) confirms
// the session tags the message delivers.
func deliveryStatusClove(own *data.LeaseSet2, now time.Time) garlic.Clove {
	l := own.Leases[rand.IntN(len(own.Leases))]
	id := nonzero32()
	return garlic.Clove{Delivery: garlic.Delivery{Type: garlic.DeliverTunnel, To: l.Gateway, Tunnel: l.TunnelID},
		Clove: i2np.Clove{Header: i2np.Header{Type: i2np.TypeDeliveryStatus, ID: id, Expiration: now.Add(messageLife)},
			Payload: i2np.DeliveryStatus{MsgID: id, Timestamp: now}.Append(nil)}}
}

// remote returns the key to encrypt to and the leases of destination to,
// from its LeaseSet in the store or looked up: a LeaseSet2's first key of
// a type we send to (ML-KEM hybrid, X25519, ElGamal, in its order), or a
// LeaseSet's ElGamal key.
func (d *Destination) remote(ctx context.Context, to data.Hash) (remoteDest, error) {
	ls := d.net.Store().LeaseSet(to)
	if ls == nil || !ls.Expires.After(d.now().Add(leaseMargin)) {
		var err error
		if ls, err = d.net.LookupLeaseSet(ctx, to); err != nil {
			return remoteDest{}, fmt.Errorf("client: LeaseSet of %s: %w", to.B32(), err)
		}
	}
	switch e := ls.Entry.(type) {
	case *data.LeaseSet2:
		k, ok := garlic.RemoteFor(e, true)
		if !ok {
			return remoteDest{}, fmt.Errorf("client: %s publishes no key we encrypt to", to.B32())
		}
		return remoteDest{key: k, leases: e.Leases}, nil
	case *data.LeaseSet:
		r := remoteDest{key: garlic.Remote{Type: crypto.EncElGamal, Key: e.EncryptionKey}}
		for _, l := range e.Leases {
			r.leases = append(r.leases, data.Lease2{Gateway: l.Gateway, TunnelID: l.TunnelID, End: data.SecondsOf(l.End.Time())})
		}
		return r, nil
	}
	return remoteDest{}, fmt.Errorf("client: %s publishes a LeaseSet of type %d, which has no key", to.B32(), ls.Type)
}
