package i2np

import (
	"encoding/binary"
	"time"
)

// DeliveryStatusLen is the size of a DeliveryStatus payload.
const DeliveryStatusLen = 12

// DeliveryStatus is an I2NP DeliveryStatus message (type 10): the id of
// the message it acknowledges and a time (i2np.rst, "DeliveryStatus").
// A floodfill answers a DatabaseStore with a nonzero reply token with one
// whose MsgID is the token.
type DeliveryStatus struct {
	MsgID     uint32
	Timestamp time.Time // millisecond resolution; zero encodes as 0
}

// ParseDeliveryStatus parses a DeliveryStatus payload of exactly 12 bytes.
func ParseDeliveryStatus(b []byte) (DeliveryStatus, error) {
	switch {
	case len(b) < DeliveryStatusLen:
		return DeliveryStatus{}, perr("DeliveryStatus", "", detail(ErrTruncated, "%d of %d bytes", len(b), DeliveryStatusLen))
	case len(b) > DeliveryStatusLen:
		return DeliveryStatus{}, perr("DeliveryStatus", "", detail(ErrTrailing, "%d bytes", len(b)))
	}
	ms := binary.BigEndian.Uint64(b[4:])
	if ms > 1<<63-1 {
		return DeliveryStatus{}, perr("DeliveryStatus", "time_stamp", detail(ErrInvalid, "%d ms", ms))
	}
	return DeliveryStatus{MsgID: binary.BigEndian.Uint32(b), Timestamp: timeOfMillis(ms)}, nil
}

// Append appends the 12-byte payload.
func (m DeliveryStatus) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, m.MsgID)
	return binary.BigEndian.AppendUint64(b, millisOf(m.Timestamp))
}
