package client

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// The I2CP payload (i2cp.html, "Payload"): what a Data message between
// destinations carries is a gzip stream whose header hides the protocol
// and the ports in fields gzip ignores: mtime bytes 4–5 the source port
// and 6–7 the destination port (big-endian: i2pd 2.45 writes and reads
// them with htobe16/bufbe16toh, Java with DataHelper), XFL 2 like Java,
// OS the protocol (6 streaming, 17 repliable datagram, 18 raw, 19
// Datagram2, 20 Datagram3).

// Protocols in the I2CP payload header.
const (
	ProtoStreaming = 6
	ProtoDatagram  = 17 // Datagram1, repliable
	ProtoRaw       = 18
	ProtoDatagram2 = 19 // repliable, replay-resistant (proposal 163)
	ProtoDatagram3 = 20 // repliable, not authenticated (proposal 163)
)

// MaxPayload bounds a decompressed I2CP payload: a Data message fits in
// one I2NP message (64 KiB), and gzip at effort 0 only adds to it.
const MaxPayload = 64 << 10

// Errors of the payload codec.
var ErrPayload = errors.New("client: bad I2CP payload")

// Payload is one I2CP payload.
type Payload struct {
	Protocol         uint8
	SrcPort, DstPort uint16
	Data             []byte
	// Compress, when sending, deflates Data at the default level (i2pd's
	// gzip = true); otherwise it goes in stored blocks. Not set on parse.
	Compress bool
}

// AppendPayload writes p as a gzip stream, at effort 0 (stored blocks)
// unless p.Compress: i2cp.html recommends effort 0 for data that does not
// compress.
func AppendPayload(b []byte, p Payload) ([]byte, error) {
	if len(p.Data) > MaxPayload {
		return b, fmt.Errorf("%w: %d bytes", ErrPayload, len(p.Data))
	}
	b = append(b, 0x1f, 0x8b, 0x08, 0)
	b = binary.BigEndian.AppendUint16(b, p.SrcPort)
	b = binary.BigEndian.AppendUint16(b, p.DstPort)
	b = append(b, 2, p.Protocol)
	if p.Compress {
		var buf bytes.Buffer
		w, err := flate.NewWriter(&buf, flate.DefaultCompression)
		if err != nil {
			return b, err
		}
		w.Write(p.Data)
		if err := w.Close(); err != nil {
			return b, err
		}
		b = append(b, buf.Bytes()...)
	} else {
		b = appendStored(b, p.Data) // payload_stored.go
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(p.Data))
	return binary.LittleEndian.AppendUint32(b, uint32(len(p.Data))), nil
}

// ParsePayload reads an I2CP payload, refusing anything that inflates
// beyond MaxPayload or fails gzip's checks.
func ParsePayload(b []byte) (Payload, error) {
	if len(b) < 10 || b[0] != 0x1f || b[1] != 0x8b || b[2] != 0x08 {
		return Payload{}, fmt.Errorf("%w: no gzip header", ErrPayload)
	}
	p := Payload{SrcPort: binary.BigEndian.Uint16(b[4:]), DstPort: binary.BigEndian.Uint16(b[6:]), Protocol: b[9]}
	if data, ok := readStoredPayload(b); ok {
		p.Data = data
		return p, nil
	}
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return Payload{}, fmt.Errorf("%w: %v", ErrPayload, err)
	}
	r.Multistream(false)
	data, err := io.ReadAll(io.LimitReader(r, MaxPayload+1))
	if err != nil {
		return Payload{}, fmt.Errorf("%w: %v", ErrPayload, err)
	}
	if len(data) > MaxPayload {
		return Payload{}, fmt.Errorf("%w: inflates beyond %d bytes", ErrPayload, MaxPayload)
	}
	p.Data = data
	return p, nil
}
