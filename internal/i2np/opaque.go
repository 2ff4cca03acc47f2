package i2np

import (
	"encoding/binary"
	"fmt"
)

// maxOpaqueLen bounds the body of Data and Garlic: it must fit, with its
// 4-byte length, in one I2NP payload.
const maxOpaqueLen = MaxPayloadLen - 4

// Data is an I2NP Data message (type 20): opaque bytes, only ever sent
// inside garlic (i2np.rst, "Data"). ParseData's Payload aliases its input.
type Data struct {
	Payload []byte
}

// Garlic is an I2NP Garlic message (type 11): an encrypted clove set,
// ElGamal/AES or ECIES-X25519 ratchet. The codec treats Body as opaque;
// internal/garlic decrypts it. ParseGarlic's Body aliases its input.
type Garlic struct {
	Body []byte
}

// ParseData parses a Data payload: a 4-byte length and exactly that many
// bytes.
func ParseData(b []byte) (Data, error) {
	p, err := parseOpaque("Data", b)
	return Data{Payload: p}, err
}

// Append appends the Data payload.
func (m Data) Append(b []byte) ([]byte, error) { return appendOpaque("Data", b, m.Payload) }

// ParseGarlic parses a Garlic payload: a 4-byte length ("0 - 64 KB") and
// exactly that many bytes.
func ParseGarlic(b []byte) (Garlic, error) {
	p, err := parseOpaque("Garlic", b)
	return Garlic{Body: p}, err
}

// Append appends the Garlic payload.
func (m Garlic) Append(b []byte) ([]byte, error) { return appendOpaque("Garlic", b, m.Body) }

func parseOpaque(st string, b []byte) ([]byte, error) {
	if len(b) < 4 {
		return nil, perr(st, "length", detail(ErrTruncated, "%d bytes", len(b)))
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	switch {
	case n > maxOpaqueLen:
		return nil, perr(st, "length", detail(ErrTooLarge, "%d bytes", n))
	case uint32(len(b)) < n:
		return nil, perr(st, "data", detail(ErrTruncated, "length %d, %d bytes follow", n, len(b)))
	case uint32(len(b)) > n:
		return nil, perr(st, "data", detail(ErrTrailing, "length %d, %d bytes follow", n, len(b)))
	}
	return b[:n:n], nil
}

func appendOpaque(st string, b, p []byte) ([]byte, error) {
	if len(p) > maxOpaqueLen {
		return b, fmt.Errorf("i2np: %s: %d bytes: %w", st, len(p), ErrTooLarge)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...), nil
}
