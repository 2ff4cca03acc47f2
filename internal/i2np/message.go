package i2np

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"
)

// Message is the body of one I2NP message. ParsePayload and Parse return
// one of these pointer types, for a type switch:
//
//	*DatabaseStore, *DatabaseLookup, *DatabaseSearchReply, *DeliveryStatus,
//	*Garlic, *TunnelData, *TunnelGateway, *Data, *TunnelBuild,
//	*TunnelBuildReply, *VariableTunnelBuild, *VariableTunnelBuildReply,
//	*ShortTunnelBuild, *OutboundTunnelBuildReply
//
// The interface is closed: only this package's types implement it.
type Message interface {
	MessageType() uint8 // the header's type number, TypeDatabaseStore …
	appendPayload(b []byte) ([]byte, error)
}

// MaxMessageLen bounds a whole I2NP message, header included: 64 KiB,
// the most the standard header's 2-byte size can describe with room for
// the header. (i2pd's buffers stop at I2NP_MAX_MESSAGE_SIZE, 62708
// bytes: libi2pd/I2NPProtocol.h, 2025-12.)
const MaxMessageLen = 64 << 10

// Expiration bounds, as i2pd's I2NPMessage::IsExpired
// (libi2pd/I2NPProtocol.cpp, 2025-12): a message is expired a minute after its
// expiration (I2NP_MESSAGE_CLOCK_SKEW) and refused when it expires more
// than three minutes ahead. i2np.rst recommends senders stay within 60 s.
const (
	ClockSkew           = 60 * time.Second
	MaxFutureExpiration = 3 * ClockSkew
)

// Sentinel errors of the message layer.
var (
	ErrUnknownType = errors.New("unknown message type")
	ErrExpired     = errors.New("expired")
	ErrFuture      = errors.New("expiration too far in the future")
)

// CheckExpiration checks a received message's expiration at now: nil, or
// an error wrapping ErrExpired (more than ClockSkew past, or zero) or
// ErrFuture (more than MaxFutureExpiration ahead). A short header's
// expiration is in whole seconds, rounded down by the sender, which the
// minute of skew absorbs.
func CheckExpiration(exp, now time.Time) error {
	switch {
	case exp.IsZero() || now.After(exp.Add(ClockSkew)):
		return perr("header", "expiration", detail(ErrExpired, "%s ago", now.Sub(exp).Round(time.Millisecond)))
	case exp.After(now.Add(MaxFutureExpiration)):
		return perr("header", "expiration", detail(ErrFuture, "%s ahead", exp.Sub(now).Round(time.Millisecond)))
	}
	return nil
}

// Parse parses one whole I2NP message: with the 16-byte standard header
// (short false), whose size must account for all of b and whose checksum
// must hold, or with the 9-byte short header of NTCP2 and SSU2 (short
// true), whose payload is the rest of b. It checks MaxMessageLen and the
// body (ParsePayload), not the expiration: see CheckExpiration.
func Parse(b []byte, short bool) (Header, Message, error) {
	if len(b) > MaxMessageLen {
		return Header{}, nil, perr("message", "", detail(ErrTooLarge, "%d bytes", len(b)))
	}
	var (
		h       Header
		payload []byte
		err     error
	)
	if short {
		h, payload, err = ParseShortHeader(b)
	} else {
		var rest []byte
		h, payload, rest, err = ParseStandard(b)
		if err == nil && len(rest) != 0 {
			err = perr("header", "size", detail(ErrTrailing, "%d bytes after the message", len(rest)))
		}
	}
	if err != nil {
		return Header{}, nil, err
	}
	m, err := ParsePayload(h.Type, payload)
	return h, m, err
}

// ParsePayload parses the body of a message of type typ. Which parts of
// the result alias payload is documented on each type.
func ParsePayload(typ uint8, payload []byte) (Message, error) {
	switch typ {
	case TypeDatabaseStore:
		return msg(ParseDatabaseStore(payload))
	case TypeDatabaseLookup:
		return msg(ParseDatabaseLookup(payload))
	case TypeDatabaseSearchReply:
		return msg(ParseDatabaseSearchReply(payload))
	case TypeDeliveryStatus:
		m, err := ParseDeliveryStatus(payload)
		return ptr(m, err)
	case TypeGarlic:
		m, err := ParseGarlic(payload)
		return ptr(m, err)
	case TypeTunnelData:
		m, err := ParseTunnelData(payload)
		return ptr(m, err)
	case TypeTunnelGateway:
		m, err := ParseTunnelGateway(payload)
		return ptr(m, err)
	case TypeData:
		m, err := ParseData(payload)
		return ptr(m, err)
	case TypeTunnelBuild:
		return msg(ParseTunnelBuild(payload))
	case TypeTunnelBuildReply:
		return msg(ParseTunnelBuildReply(payload))
	case TypeVariableTunnelBuild:
		return msg(ParseVariableTunnelBuild(payload))
	case TypeVariableTunnelBuildReply:
		return msg(ParseVariableTunnelBuildReply(payload))
	case TypeShortTunnelBuild:
		return msg(ParseShortTunnelBuild(payload))
	case TypeOutboundTunnelBuildReply:
		return msg(ParseOutboundTunnelBuildReply(payload))
	}
	return nil, perr("message", "type", detail(ErrUnknownType, "%d", typ))
}

// msg keeps a typed nil out of the interface on error.
func msg[M Message](m M, err error) (Message, error) {
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ptr is msg for the types parsed by value.
func ptr[T any, P interface {
	*T
	Message
}](m T, err error) (Message, error) {
	if err != nil {
		return nil, err
	}
	return P(&m), nil
}

// AppendPayload appends m's body.
func AppendPayload(b []byte, m Message) ([]byte, error) { return m.appendPayload(b) }

// AppendMessage appends m as one whole message with h's id and
// expiration (h.Type is taken from m): with the standard header, or with
// the short header if short. It fails when the body does not encode or
// the message would exceed MaxMessageLen; b is then returned unchanged.
func AppendMessage(b []byte, h Header, m Message, short bool) ([]byte, error) {
	h.Type = m.MessageType()
	start := len(b)
	if short {
		b = AppendShortHeader(b, h)
	} else {
		b = append(b, make([]byte, StandardHeaderLen)...)
	}
	out, err := m.appendPayload(b)
	if err != nil {
		return b[:start], err
	}
	if len(out)-start > MaxMessageLen {
		return out[:start], perr("message", "", detail(ErrTooLarge, "%s of %d bytes", TypeName(h.Type), len(out)-start))
	}
	if !short {
		hdr, payload := out[start:start+StandardHeaderLen], out[start+StandardHeaderLen:]
		sum := sha256.Sum256(payload)
		hdr[0] = h.Type
		binary.BigEndian.PutUint32(hdr[1:], h.ID)
		binary.BigEndian.PutUint64(hdr[5:], millisOf(h.Expiration))
		binary.BigEndian.PutUint16(hdr[13:], uint16(len(payload)))
		hdr[15] = sum[0]
	}
	return out, nil
}

// Type numbers and the sealed encoder of each message.

func (*DatabaseStore) MessageType() uint8            { return TypeDatabaseStore }
func (*DatabaseLookup) MessageType() uint8           { return TypeDatabaseLookup }
func (*DatabaseSearchReply) MessageType() uint8      { return TypeDatabaseSearchReply }
func (DeliveryStatus) MessageType() uint8            { return TypeDeliveryStatus }
func (Garlic) MessageType() uint8                    { return TypeGarlic }
func (TunnelData) MessageType() uint8                { return TypeTunnelData }
func (TunnelGateway) MessageType() uint8             { return TypeTunnelGateway }
func (Data) MessageType() uint8                      { return TypeData }
func (*TunnelBuild) MessageType() uint8              { return TypeTunnelBuild }
func (*TunnelBuildReply) MessageType() uint8         { return TypeTunnelBuildReply }
func (*VariableTunnelBuild) MessageType() uint8      { return TypeVariableTunnelBuild }
func (*VariableTunnelBuildReply) MessageType() uint8 { return TypeVariableTunnelBuildReply }
func (*ShortTunnelBuild) MessageType() uint8         { return TypeShortTunnelBuild }
func (*OutboundTunnelBuildReply) MessageType() uint8 { return TypeOutboundTunnelBuildReply }

func (m *DatabaseStore) appendPayload(b []byte) ([]byte, error)            { return m.Append(b) }
func (m *DatabaseLookup) appendPayload(b []byte) ([]byte, error)           { return m.Append(b) }
func (m *DatabaseSearchReply) appendPayload(b []byte) ([]byte, error)      { return m.Append(b) }
func (m DeliveryStatus) appendPayload(b []byte) ([]byte, error)            { return m.Append(b), nil }
func (m Garlic) appendPayload(b []byte) ([]byte, error)                    { return m.Append(b) }
func (m TunnelData) appendPayload(b []byte) ([]byte, error)                { return m.Append(b) }
func (m TunnelGateway) appendPayload(b []byte) ([]byte, error)             { return m.Append(b) }
func (m Data) appendPayload(b []byte) ([]byte, error)                      { return m.Append(b) }
func (m *TunnelBuild) appendPayload(b []byte) ([]byte, error)              { return m.Append(b) }
func (m *TunnelBuildReply) appendPayload(b []byte) ([]byte, error)         { return m.Append(b) }
func (m *VariableTunnelBuild) appendPayload(b []byte) ([]byte, error)      { return m.Append(b) }
func (m *VariableTunnelBuildReply) appendPayload(b []byte) ([]byte, error) { return m.Append(b) }
func (m *ShortTunnelBuild) appendPayload(b []byte) ([]byte, error)         { return m.Append(b) }
func (m *OutboundTunnelBuildReply) appendPayload(b []byte) ([]byte, error) { return m.Append(b) }
