package client

import (
	"encoding/binary"
	"hash/crc32"
)

// Stored deflate blocks (RFC 1951, 3.2.4), written and read by hand: an
// I2CP payload at effort 0, as veil sends it and as i2pd's
// GzipNoCompression writes it, is nothing else, and compress/flate's
// writer costs about 700 KB of allocation per call even at
// NoCompression, which at streaming's packet rate was most of a
// router's CPU time.

// maxStored is the most one stored block holds.
const maxStored = 0xffff

// appendStored appends data as stored deflate blocks, the last one final.
func appendStored(b, data []byte) []byte {
	for {
		n := min(len(data), maxStored)
		final := byte(0)
		if n == len(data) {
			final = 1
		}
		b = append(b, final)
		b = binary.LittleEndian.AppendUint16(b, uint16(n))
		b = binary.LittleEndian.AppendUint16(b, ^uint16(n))
		b = append(b, data[:n]...)
		data = data[n:]
		if final == 1 {
			return b
		}
	}
}

// readStoredPayload reads the body of a gzip member that starts at b[10]
// with no optional header fields and holds only stored blocks, checking
// its CRC-32 and length; ok false when it is not such a member (the
// caller then reads it with compress/gzip, which also reports errors).
func readStoredPayload(b []byte) (data []byte, ok bool) {
	if len(b) < 10 || b[3] != 0 { // FLG: no FEXTRA, FNAME, FCOMMENT, FHCRC
		return nil, false
	}
	rest := b[10:]
	for {
		if len(rest) < 5 || rest[0]&^1 != 0 { // BTYPE 00, padding zero
			return nil, false
		}
		n := int(binary.LittleEndian.Uint16(rest[1:]))
		if binary.LittleEndian.Uint16(rest[3:]) != ^uint16(n) || len(rest) < 5+n || len(data)+n > MaxPayload {
			return nil, false
		}
		data = append(data, rest[5:5+n]...)
		final := rest[0] == 1
		rest = rest[5+n:]
		if final {
			break
		}
	}
	if len(rest) < 8 || binary.LittleEndian.Uint32(rest) != crc32.ChecksumIEEE(data) ||
		binary.LittleEndian.Uint32(rest[4:]) != uint32(len(data)) {
		return nil, false
	}
	if data == nil {
		data = []byte{}
	}
	return data, true
}
