package client

import (
	"fmt"

	"github.com/veil-i2p/veil/internal/data"
)

// Datagram3 (proposal 163, protocol 20) is a raw datagram that names its
// sender: the sender's hash, the flags (version 3, bit 4 options), the
// payload. Nothing authenticates the hash; a receiver may answer it, but
// must not trust it more than a raw datagram.

// Datagram3 is a parsed Datagram3.
type Datagram3 struct {
	From    data.Hash // claimed, not verified
	Options data.Mapping
	Payload []byte
}

// AppendDatagram3 writes a Datagram3 of payload from d, with options opts
// (none if empty).
func (d *Destination) AppendDatagram3(b, payload []byte, opts data.Mapping) ([]byte, error) {
	start := len(b)
	h := d.Hash()
	b = append(b, h[:]...)
	b, err := appendFlags(b, datagram3Ver, opts, false)
	if err != nil {
		return b[:start], fmt.Errorf(errDatagramFmt, 3, err)
	}
	return append(b, payload...), nil
}

// ParseDatagram3 reads a Datagram3. The payload aliases b.
func ParseDatagram3(b []byte) (Datagram3, error) {
	var dg Datagram3
	if len(b) < len(dg.From) {
		return dg, fmt.Errorf("client: datagram3: %w: %d bytes", ErrDatagram, len(b))
	}
	copy(dg.From[:], b)
	_, opts, rest, err := parseFlags(b[len(dg.From):], datagram3Ver)
	if err != nil {
		return Datagram3{}, fmt.Errorf(errDatagramFmt, 3, err)
	}
	dg.Options, dg.Payload = opts, rest
	return dg, nil
}
