package garlic

import (
	"encoding/binary"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// Garlic Clove blocks (ecies.rst, "Garlic Clove"): Garlic Clove Delivery
// Instructions (i2np.rst, "Garlic Clove Delivery Instructions") and one
// I2NP message under the 9-byte short header. The ElGamal/AES clove set
// (elgamal_payload.go) uses the same delivery instructions.

// DeliveryType says where a clove goes.
type DeliveryType uint8

// Delivery types, flag bits 6-5.
const (
	DeliverLocal       DeliveryType = 0 // to the recipient itself
	DeliverDestination DeliveryType = 1 // to the destination with hash To
	DeliverRouter      DeliveryType = 2 // to the router with hash To
	DeliverTunnel      DeliveryType = 3 // to tunnel Tunnel at gateway To
)

func (t DeliveryType) String() string {
	switch t {
	case DeliverLocal:
		return "local"
	case DeliverDestination:
		return "destination"
	case DeliverRouter:
		return "router"
	case DeliverTunnel:
		return "tunnel"
	}
	return "invalid"
}

// Flag bits that would announce fields nobody implements: bit 7 a 32-byte
// clove session key, bit 4 a 4-byte delay. Both are "always 0"; a clove
// with either is refused rather than guessed at. Bits 3-0 are reserved and
// ignored.
const (
	deliveryEncrypted = 0x80
	deliveryDelay     = 0x10
	cloveHeaderLen    = i2np.ShortHeaderLen
)

// Delivery is a clove's delivery instructions.
type Delivery struct {
	Type   DeliveryType
	To     data.Hash     // destination, router or gateway; unused for local
	Tunnel data.TunnelID // tunnel delivery only; nonzero
}

// Len is the encoded length: 1, 33 or 37 bytes.
func (d Delivery) Len() int {
	switch d.Type {
	case DeliverLocal:
		return 1
	case DeliverTunnel:
		return 37
	}
	return 33
}

// appendTo appends d's encoding (flag, To hash, tunnel ID, in that
// order: the reverse of tunnel-message delivery instructions).
func (d Delivery) appendTo(b []byte) []byte {
	b = append(b, byte(d.Type&3)<<5)
	if d.Type != DeliverLocal {
		b = append(b, d.To[:]...)
	}
	if d.Type == DeliverTunnel {
		b = binary.BigEndian.AppendUint32(b, uint32(d.Tunnel))
	}
	return b
}

func (d Delivery) check() error {
	if d.Type > DeliverTunnel {
		return errorf(ErrInvalid, "delivery", "type %d", d.Type)
	}
	if d.Type == DeliverTunnel && d.Tunnel == 0 {
		return errorf(ErrInvalid, "delivery", "tunnel ID 0")
	}
	return nil
}

// parseDelivery parses delivery instructions at the front of b and
// returns them with their length.
func parseDelivery(b []byte) (Delivery, int, error) {
	const st = "parse delivery"
	if len(b) < 1 {
		return Delivery{}, 0, errorf(ErrTruncated, st, "no flag")
	}
	f := b[0]
	if f&(deliveryEncrypted|deliveryDelay) != 0 {
		return Delivery{}, 0, errorf(ErrInvalid, st, "flag %#02x: encrypted clove or delay", f)
	}
	d := Delivery{Type: DeliveryType(f>>5) & 3}
	n := d.Len()
	if len(b) < n {
		return Delivery{}, 0, errorf(ErrTruncated, st, "%v delivery of %d bytes, %d follow", d.Type, n, len(b))
	}
	if d.Type != DeliverLocal {
		d.To = data.Hash(b[1:33])
	}
	if d.Type == DeliverTunnel {
		d.Tunnel = data.TunnelID(binary.BigEndian.Uint32(b[33:37]))
		if d.Tunnel == 0 {
			return Delivery{}, 0, errorf(ErrInvalid, st, "tunnel ID 0")
		}
	}
	return d, n, nil
}

// Clove (block type 11) is one I2NP message with its delivery
// instructions. The embedded i2np.Clove holds the message: type, ID and
// expiration (whole seconds on the wire) in Header, the body in Payload,
// which aliases the decrypted buffer after parsing.
type Clove struct {
	Delivery Delivery
	i2np.Clove
}

// BlockType is BlockGarlicClove.
func (Clove) BlockType() uint8 { return BlockGarlicClove }

// Len is the block's data length.
func (c Clove) Len() int { return c.Delivery.Len() + cloveHeaderLen + len(c.Payload) }

func (c Clove) appendData(b []byte) []byte {
	b = c.Delivery.appendTo(b)
	b = i2np.AppendShortHeader(b, c.Header)
	return append(b, c.Payload...)
}

func (c Clove) check() error { return c.Delivery.check() }

func parseClove(d []byte) (Block, error) {
	del, n, err := parseDelivery(d)
	if err != nil {
		return nil, err
	}
	h, payload, err := i2np.ParseShortHeader(d[n:])
	if err != nil {
		return nil, errorf(ErrTruncated, "parse clove", "%v", err)
	}
	return Clove{Delivery: del, Clove: i2np.Clove{Header: h, Payload: payload}}, nil
}
