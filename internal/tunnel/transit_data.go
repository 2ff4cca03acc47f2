package tunnel

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// The data path of transit tunnels. A participant applies its layer and
// passes the 1024 bytes on under the next tunnel id, in the buffer it
// arrived in; an outbound endpoint applies its layer, reassembles, and
// delivers each message to a router or a tunnel; an inbound gateway packs
// the messages given to it (TunnelGateway) into tunnel messages for the
// first hop.

// tunnelDataLife is the expiration of the TunnelData messages we send.
const tunnelDataLife = time.Minute

// HandleTunnelData processes a TunnelData message (type 18) from the
// router from. payload is taken over: a participant encrypts it in place
// and forwards it.
func (t *Transit) HandleTunnelData(from data.Hash, payload []byte, now time.Time, out []Out) ([]Out, error) {
	td, err := i2np.ParseTunnelData(payload)
	if err != nil {
		return out, err
	}
	t.mu.Lock()
	tt := t.tunnels[td.TunnelID]
	switch {
	case tt == nil:
		t.cnt.Unknown++
		t.mu.Unlock()
		return out, fmt.Errorf("tunnel: TunnelData for unknown tunnel %d", td.TunnelID)
	case tt.role == InboundGateway:
		t.cnt.Unknown++
		t.mu.Unlock()
		return out, fmt.Errorf("tunnel: TunnelData for inbound gateway %d", td.TunnelID)
	case tt.prev == data.Hash{}:
		tt.prev = from
	case tt.prev != from:
		t.mu.Unlock()
		return out, fmt.Errorf("tunnel: TunnelData for %d from %s, not the previous hop", td.TunnelID, from)
	}
	t.cnt.DataIn++
	tt.msgs++
	t.mu.Unlock()

	if !t.withinShare(i2np.TunnelDataMsgLen, now) {
		return out, fmt.Errorf("tunnel: over the transit bandwidth share, message on %d dropped", td.TunnelID)
	}
	if t.dup.Seen(td.Data, now) {
		t.count(func(c *TransitCounters) { c.Duplicate++ })
		return out, fmt.Errorf("tunnel: duplicate tunnel message on %d", td.TunnelID)
	}
	tt.layer.Encrypt(td.Data)
	if tt.role == Participant {
		binary.BigEndian.PutUint32(payload, uint32(tt.nextID))
		t.count(func(c *TransitCounters) { c.DataOut++ })
		return append(out, Out{To: tt.next, Msg: i2np.Header{Type: i2np.TypeTunnelData, ID: randomID(), Expiration: now.Add(tunnelDataLife)}, Payload: payload}), nil
	}
	// Outbound endpoint: one goroutine at a time reassembles.
	tt.mu.Lock()
	defer tt.mu.Unlock()
	var derr error
	err = tt.ep.Receive(td.Data, now, func(d Delivery, msg []byte) {
		var o Out
		if o, derr = endpointDelivery(d, msg, now); derr == nil {
			out = append(out, o)
			t.count(func(c *TransitCounters) { c.Delivered++ })
		}
	})
	if err == nil {
		err = derr
	}
	return out, err
}

// endpointDelivery turns a message reassembled at an outbound endpoint
// into what to send: to a router as it is, or to a tunnel wrapped in a
// TunnelGateway. LOCAL delivery means nothing at a transit endpoint.
func endpointDelivery(d Delivery, msg []byte, now time.Time) (Out, error) {
	switch d.Type {
	case DeliveryRouter:
		h, p, rest, err := i2np.ParseStandard(msg)
		if err != nil {
			return Out{}, err
		}
		if len(rest) != 0 {
			return Out{}, fmt.Errorf("tunnel: %d bytes after the delivered message", len(rest))
		}
		// msg is the Endpoint's buffer, reused for the next message.
		return Out{To: d.To, Msg: h, Payload: append([]byte(nil), p...)}, nil
	case DeliveryTunnel:
		tg := i2np.TunnelGateway{TunnelID: d.TunnelID, Message: msg}
		p, err := tg.Append(nil)
		if err != nil {
			return Out{}, err
		}
		return Out{To: d.To, Msg: i2np.Header{Type: i2np.TypeTunnelGateway, ID: randomID(), Expiration: now.Add(tunnelDataLife)}, Payload: p}, nil
	}
	return Out{}, fmt.Errorf("tunnel: %s delivery at an outbound endpoint", d.Type)
}

// HandleTunnelGateway processes a TunnelGateway message (type 19): the
// wrapped message enters the inbound tunnel we are the gateway of.
func (t *Transit) HandleTunnelGateway(from data.Hash, payload []byte, now time.Time, out []Out) ([]Out, error) {
	tg, err := i2np.ParseTunnelGateway(payload)
	if err != nil {
		return out, err
	}
	t.mu.Lock()
	tt := t.tunnels[tg.TunnelID]
	if tt == nil || tt.role != InboundGateway {
		t.cnt.Unknown++
		t.mu.Unlock()
		return out, fmt.Errorf("tunnel: TunnelGateway for %d, not an inbound gateway of ours", tg.TunnelID)
	}
	t.cnt.Gatewayed++
	tt.msgs++
	t.mu.Unlock()

	if !t.withinShare(len(payload), now) {
		return out, fmt.Errorf("tunnel: over the transit bandwidth share, message for %d dropped", tg.TunnelID)
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	n0 := len(out)
	emit := func(body *[i2np.TunnelDataLen]byte) {
		tt.layer.Encrypt(body)
		p := make([]byte, 4, i2np.TunnelDataMsgLen)
		binary.BigEndian.PutUint32(p, uint32(tt.nextID))
		p = append(p, body[:]...)
		out = append(out, Out{To: tt.next, Msg: i2np.Header{Type: i2np.TypeTunnelData, ID: randomID(), Expiration: now.Add(tunnelDataLife)}, Payload: p})
	}
	if err := tt.gw.Add(Delivery{Type: DeliveryLocal}, tg.Message, emit); err != nil {
		return out, err
	}
	if err := tt.gw.Flush(emit); err != nil {
		return out, err
	}
	t.count(func(c *TransitCounters) { c.DataOut += uint64(len(out) - n0) })
	return out, nil
}
