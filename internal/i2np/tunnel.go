package i2np

import (
	"encoding/binary"
	"fmt"

	"github.com/veil-i2p/veil/internal/data"
)

// Sizes of the tunnel messages (i2np.rst, "TunnelData", "TunnelGateway").
const (
	TunnelDataLen       = 1024              // the fixed, encrypted tunnel message
	TunnelDataMsgLen    = 4 + TunnelDataLen // tunnel id + data
	tunnelGatewayHeader = 4 + 2             // tunnel id, length
)

// TunnelData is an I2NP TunnelData message (type 18): 1024 bytes of
// fragmented, padded and layer-encrypted I2NP messages for one hop.
// ParseTunnelData's Data points into its input, so a transit hop can
// decrypt in place and forward without copying.
type TunnelData struct {
	TunnelID data.TunnelID // nonzero
	Data     *[TunnelDataLen]byte
}

// ParseTunnelData parses a TunnelData payload of exactly 1028 bytes. It
// does not allocate.
func ParseTunnelData(b []byte) (TunnelData, error) {
	const st = "TunnelData"
	switch {
	case len(b) < TunnelDataMsgLen:
		return TunnelData{}, perr(st, "", detail(ErrTruncated, "%d of %d bytes", len(b), TunnelDataMsgLen))
	case len(b) > TunnelDataMsgLen:
		return TunnelData{}, perr(st, "", detail(ErrTrailing, "%d bytes", len(b)-TunnelDataMsgLen))
	}
	id := data.TunnelID(binary.BigEndian.Uint32(b))
	if id == 0 {
		return TunnelData{}, perr(st, "tunnelId", detail(ErrInvalid, "zero"))
	}
	return TunnelData{TunnelID: id, Data: (*[TunnelDataLen]byte)(b[4:])}, nil
}

// Append appends the 1028-byte payload; a nil Data appends zeros.
func (m TunnelData) Append(b []byte) ([]byte, error) {
	if m.TunnelID == 0 {
		return b, fmt.Errorf("i2np: TunnelData: zero tunnel id: %w", ErrInvalid)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(m.TunnelID))
	if m.Data == nil {
		return append(b, make([]byte, TunnelDataLen)...), nil
	}
	return append(b, m.Data[:]...), nil
}

// TunnelGateway is an I2NP TunnelGateway message (type 19): a message to
// send into tunnel TunnelID at its inbound gateway. Message is one whole
// I2NP message with the standard 16-byte header; ParseTunnelGateway checks
// that it is (size, checksum, nothing after it) and Message aliases the
// input.
type TunnelGateway struct {
	TunnelID data.TunnelID // nonzero
	Message  []byte
}

// ParseTunnelGateway parses a TunnelGateway payload.
func ParseTunnelGateway(b []byte) (TunnelGateway, error) {
	const st = "TunnelGateway"
	if len(b) < tunnelGatewayHeader {
		return TunnelGateway{}, perr(st, "", detail(ErrTruncated, "%d bytes", len(b)))
	}
	id := data.TunnelID(binary.BigEndian.Uint32(b))
	if id == 0 {
		return TunnelGateway{}, perr(st, "tunnelId", detail(ErrInvalid, "zero"))
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	b = b[tunnelGatewayHeader:]
	switch {
	case len(b) < n:
		return TunnelGateway{}, perr(st, "data", detail(ErrTruncated, "length %d, %d bytes follow", n, len(b)))
	case len(b) > n:
		return TunnelGateway{}, perr(st, "data", detail(ErrTrailing, "length %d, %d bytes follow", n, len(b)))
	}
	_, _, rest, err := ParseStandard(b)
	if err != nil {
		return TunnelGateway{}, perr(st, "data", err)
	}
	if len(rest) != 0 {
		return TunnelGateway{}, perr(st, "data", detail(ErrTrailing, "%d bytes after the message", len(rest)))
	}
	return TunnelGateway{TunnelID: id, Message: b[:n:n]}, nil
}

// NewTunnelGateway wraps the message (h, payload) for tunnel id.
func NewTunnelGateway(id data.TunnelID, h Header, payload []byte) (TunnelGateway, error) {
	msg, err := AppendStandard(nil, h, payload)
	if err != nil {
		return TunnelGateway{}, fmt.Errorf("i2np: TunnelGateway: %w", err)
	}
	return TunnelGateway{TunnelID: id, Message: msg}, nil
}

// Inner parses the wrapped message: its header and payload, aliasing
// Message.
func (m TunnelGateway) Inner() (Header, []byte, error) {
	h, p, rest, err := ParseStandard(m.Message)
	if err == nil && len(rest) != 0 {
		err = perr("TunnelGateway", "data", detail(ErrTrailing, "%d bytes after the message", len(rest)))
	}
	return h, p, err
}

// Append appends the TunnelGateway payload. It checks only the tunnel id
// and the length; Message is written as it is.
func (m TunnelGateway) Append(b []byte) ([]byte, error) {
	if m.TunnelID == 0 {
		return b, fmt.Errorf("i2np: TunnelGateway: zero tunnel id: %w", ErrInvalid)
	}
	if len(m.Message) > MaxPayloadLen-tunnelGatewayHeader {
		return b, fmt.Errorf("i2np: TunnelGateway: message of %d bytes: %w", len(m.Message), ErrTooLarge)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(m.TunnelID))
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Message)))
	return append(b, m.Message...), nil
}
