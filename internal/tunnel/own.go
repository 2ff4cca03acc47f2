package tunnel

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// Our own tunnels, the creator's side. An inbound tunnel ends at us: its
// gateway (the first hop) takes messages from anyone and we peel every
// hop's layer and reassemble. An outbound tunnel starts at us: we
// fragment, pre-decrypt for every hop, and the endpoint (the last hop)
// delivers. Zero-hop tunnels have no hops: we are gateway and endpoint.

// State of one of our tunnels.
type State uint8

// Tunnel states.
const (
	Building State = iota
	Established
	Expiring // past its replacement time; still carries traffic
	Failed
)

func (s State) String() string {
	return [...]string{"building", "established", "expiring", "failed"}[s]
}

// replaceBefore is how long before expiry a tunnel stops being offered
// for new traffic and a replacement is built (i2pd: 90 s).
const replaceBefore = 90 * time.Second

// ownTunnel is what inbound and outbound tunnels share.
type ownTunnel struct {
	hops    []HopKeys // in path order
	layers  []*Layer  // the hops' layers, in path order
	created time.Time
	expires time.Time
	pool    *Pool

	mu     sync.Mutex // guards the fields below
	state  State
	tested time.Time // last successful test
	fails  int       // tests failed in a row
	msgs   uint64
}

func (t *ownTunnel) init(hops []HopKeys, now time.Time, pool *Pool) {
	t.hops, t.created, t.expires, t.pool, t.state = hops, now, now.Add(Lifetime), pool, Established
	for _, h := range hops {
		t.layers = append(t.layers, NewLayer(h.Layer, h.IV))
	}
}

// Hops are the hop identities in path order.
func (t *ownTunnel) Hops() []data.Hash {
	out := make([]data.Hash, len(t.hops))
	for i, h := range t.hops {
		out[i] = h.Ident
	}
	return out
}

// State reports the tunnel's state at now.
func (t *ownTunnel) State(now time.Time) State {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == Established && now.After(t.expires.Add(-replaceBefore)) {
		return Expiring
	}
	return t.state
}

// usable reports whether new traffic may use the tunnel.
func (t *ownTunnel) usable(now time.Time) bool { return t.State(now) == Established }

// InboundTunnel is one of our inbound tunnels.
type InboundTunnel struct {
	ownTunnel
	id      data.TunnelID // the tunnel id messages reach us on (zero-hop: at us)
	gateway data.Hash     // the first hop, or us for zero-hop
	gwID    data.TunnelID // the tunnel id at the gateway
	prev    data.Hash     // the last hop, whose TunnelData we accept
	ep      *Endpoint     // guarded by ownTunnel.mu
}

// Gateway is where others send messages into the tunnel: a lease.
func (t *InboundTunnel) Gateway() (data.Hash, data.TunnelID) { return t.gateway, t.gwID }

// ID is the tunnel id the tunnel's messages reach us on.
func (t *InboundTunnel) ID() data.TunnelID { return t.id }

// Expires is when the tunnel ends.
func (t *InboundTunnel) Expires() time.Time { return t.expires }

// OutboundTunnel is one of our outbound tunnels.
type OutboundTunnel struct {
	ownTunnel
	first   data.Hash     // the first hop (zero-hop: none)
	firstID data.TunnelID // its receive tunnel id
	gw      *Gateway      // guarded by ownTunnel.mu
}

// Send fragments msg (an I2NP message with the standard header) for
// delivery d at the tunnel's endpoint and returns the TunnelData messages
// for the first hop; a zero-hop tunnel returns the delivery itself.
func (t *OutboundTunnel) Send(d Delivery, msg []byte, now time.Time, out []Out) ([]Out, error) {
	if len(t.hops) == 0 {
		o, err := endpointDelivery(d, msg, now)
		if err != nil {
			return out, err
		}
		return append(out, o), nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	emit := func(body *[i2np.TunnelDataLen]byte) {
		DecryptLayers(t.layers, body)
		p := make([]byte, 4, i2np.TunnelDataMsgLen)
		binary.BigEndian.PutUint32(p, uint32(t.firstID))
		p = append(p, body[:]...)
		out = append(out, Out{To: t.first, Msg: i2np.Header{Type: i2np.TypeTunnelData, ID: randomID(), Expiration: now.Add(tunnelDataLife)}, Payload: p})
	}
	if err := t.gw.Add(d, msg, emit); err != nil {
		return out, err
	}
	if err := t.gw.Flush(emit); err != nil {
		return out, err
	}
	t.msgs++
	return out, nil
}

// InboundLease is one inbound tunnel as a LeaseSet names it.
type InboundLease struct {
	Gateway  data.Hash
	TunnelID data.TunnelID
	Expires  time.Time
}
