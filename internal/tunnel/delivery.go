package tunnel

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/veil-i2p/veil/internal/data"
)

// Tunnel message delivery instructions (tunnel-message.rst, "Tunnel
// Message Delivery Instructions"). Not the garlic clove format: here the
// types are 0 LOCAL, 1 TUNNEL, 2 ROUTER and a follow-on fragment has its
// own 7-byte form.
//
//	first fragment: flag(1) [tunnelId(4)] [toHash(32)] [msgId(4)] size(2)
//	  flag = 0tt0f000: tt delivery type, f fragmented (msgId present)
//	follow-on:      frag(1) msgId(4) size(2)
//	  frag = 1nnnnnnd: n fragment number 1–63, d last fragment

// Errors of the tunnel message layer. Parse errors wrap ErrBadFragment or
// ErrBadChecksum with the detail.
var (
	ErrBadChecksum     = errors.New("tunnel: tunnel message checksum mismatch")
	ErrBadFragment     = errors.New("tunnel: malformed delivery instructions or fragment")
	ErrBadDelivery     = errors.New("tunnel: invalid delivery")
	ErrMessageTooLarge = errors.New("tunnel: message too large for a tunnel")
	ErrEmptyMessage    = errors.New("tunnel: empty message")
)

// DeliveryType says where a tunnel endpoint sends a message.
type DeliveryType uint8

// Delivery types. LOCAL is for inbound tunnels: the endpoint is the
// creator and handles the message itself.
const (
	DeliveryLocal  DeliveryType = 0
	DeliveryTunnel DeliveryType = 1 // to tunnel TunnelID at gateway router To
	DeliveryRouter DeliveryType = 2 // to router To
)

func (t DeliveryType) String() string {
	switch t {
	case DeliveryLocal:
		return "local"
	case DeliveryTunnel:
		return "tunnel"
	case DeliveryRouter:
		return "router"
	}
	return fmt.Sprintf("DeliveryType(%d)", uint8(t))
}

// Delivery is where the endpoint sends one I2NP message. TunnelID is used
// only with DeliveryTunnel, To only with DeliveryTunnel and DeliveryRouter;
// the zero value is local delivery.
type Delivery struct {
	Type     DeliveryType
	TunnelID data.TunnelID
	To       data.Hash
}

// check reports whether a gateway may send d.
func (d Delivery) check() error {
	switch d.Type {
	case DeliveryLocal, DeliveryRouter:
		return nil
	case DeliveryTunnel:
		if d.TunnelID == 0 {
			return fmt.Errorf("%w: tunnel delivery to tunnel id 0", ErrBadDelivery)
		}
		return nil
	}
	return fmt.Errorf("%w: type %d", ErrBadDelivery, d.Type)
}

// addrLen is the length of the first-fragment instructions before the
// message id: flag, tunnel id, hash.
func (d Delivery) addrLen() int {
	switch d.Type {
	case DeliveryTunnel:
		return 1 + 4 + hashLen
	case DeliveryRouter:
		return 1 + hashLen
	}
	return 1
}

// Flag bits and lengths of the instructions.
const (
	hashLen        = len(data.Hash{})
	flagFollowOn   = 0x80
	flagTypeShift  = 5
	flagDelay      = 0x10 // never implemented; refused
	flagFragmented = 0x08
	flagExtended   = 0x04 // never implemented; refused
	followOnLen    = 1 + 4 + 2

	// MaxFragmentNumber is the highest follow-on fragment number: a
	// message has at most 64 fragments.
	MaxFragmentNumber = 63
)

// Instructions are the delivery instructions in front of one fragment.
type Instructions struct {
	// FollowOn marks a follow-on fragment; otherwise this is the first
	// fragment of a message or a whole message.
	FollowOn bool
	// Delivery of the message (first fragment only).
	Delivery Delivery
	// Fragmented: a first fragment that more fragments follow; MsgID is
	// set.
	Fragmented bool
	// MsgID ties the fragments of one message (fragmented first fragment,
	// follow-on).
	MsgID uint32
	// Number is a follow-on fragment's number, 1–63; Last marks the final
	// fragment of the message.
	Number uint8
	Last   bool
	// Size is the length of the fragment that follows.
	Size uint16
}

// Len returns the encoded length of in.
func (in *Instructions) Len() int {
	if in.FollowOn {
		return followOnLen
	}
	n := in.Delivery.addrLen() + 2
	if in.Fragmented {
		n += 4
	}
	return n
}

// Append appends the encoded instructions to b. It writes the fields as
// they are; the gateway validates them before.
func (in *Instructions) Append(b []byte) []byte {
	if in.FollowOn {
		f := flagFollowOn | (in.Number&MaxFragmentNumber)<<1
		if in.Last {
			f |= 1
		}
		b = append(b, f)
		b = binary.BigEndian.AppendUint32(b, in.MsgID)
		return binary.BigEndian.AppendUint16(b, in.Size)
	}
	f := byte(in.Delivery.Type&3) << flagTypeShift
	if in.Fragmented {
		f |= flagFragmented
	}
	b = append(b, f)
	switch in.Delivery.Type {
	case DeliveryTunnel:
		b = binary.BigEndian.AppendUint32(b, uint32(in.Delivery.TunnelID))
		b = append(b, in.Delivery.To[:]...)
	case DeliveryRouter:
		b = append(b, in.Delivery.To[:]...)
	}
	if in.Fragmented {
		b = binary.BigEndian.AppendUint32(b, in.MsgID)
	}
	return binary.BigEndian.AppendUint16(b, in.Size)
}

// ParseInstructions parses the instructions at the front of b and returns
// them with their encoded length. It refuses delivery type 3, the delay
// and extended-options flags (never implemented by anyone) and follow-on
// fragment number 0; the reserved bits 1–0 of a first fragment's flag are
// ignored. The fragment size is not checked against b.
func ParseInstructions(b []byte) (Instructions, int, error) {
	if len(b) == 0 {
		return Instructions{}, 0, fmt.Errorf("%w: no instructions", ErrBadFragment)
	}
	f := b[0]
	if f&flagFollowOn != 0 {
		if len(b) < followOnLen {
			return Instructions{}, 0, fmt.Errorf("%w: follow-on instructions truncated: %d of %d bytes", ErrBadFragment, len(b), followOnLen)
		}
		in := Instructions{
			FollowOn: true,
			Number:   f >> 1 & MaxFragmentNumber,
			Last:     f&1 != 0,
			MsgID:    binary.BigEndian.Uint32(b[1:]),
			Size:     binary.BigEndian.Uint16(b[5:]),
		}
		if in.Number == 0 {
			return Instructions{}, 0, fmt.Errorf("%w: follow-on fragment number 0", ErrBadFragment)
		}
		return in, followOnLen, nil
	}
	in := Instructions{Delivery: Delivery{Type: DeliveryType(f >> flagTypeShift & 3)}, Fragmented: f&flagFragmented != 0}
	switch {
	case in.Delivery.Type > DeliveryRouter:
		return Instructions{}, 0, fmt.Errorf("%w: delivery type %d", ErrBadFragment, in.Delivery.Type)
	case f&flagDelay != 0:
		return Instructions{}, 0, fmt.Errorf("%w: delay flag set", ErrBadFragment)
	case f&flagExtended != 0:
		return Instructions{}, 0, fmt.Errorf("%w: extended options flag set", ErrBadFragment)
	}
	n := in.Len()
	if len(b) < n {
		return Instructions{}, 0, fmt.Errorf("%w: %s instructions truncated: %d of %d bytes", ErrBadFragment, in.Delivery.Type, len(b), n)
	}
	p := b[1:]
	switch in.Delivery.Type {
	case DeliveryTunnel:
		in.Delivery.TunnelID = data.TunnelID(binary.BigEndian.Uint32(p))
		p = p[4:]
		fallthrough
	case DeliveryRouter:
		in.Delivery.To = data.Hash(p[:hashLen])
		p = p[hashLen:]
	}
	if in.Fragmented {
		in.MsgID = binary.BigEndian.Uint32(p)
		p = p[4:]
	}
	in.Size = binary.BigEndian.Uint16(p)
	return in, n, nil
}
