package ntcp2

import "encoding/binary"

// The 16-byte options blocks of SessionRequest and SessionCreated
// (ntcp2.rst, "1) SessionRequest" and "2) SessionCreated", "Options
// block"). All fields are big-endian; reserved bytes are sent as zero and
// ignored on receipt, for future options.

// requestOptions is the SessionRequest options block:
//
//	id(1) ver(1) padLen(2) m3p2len(2) rsvd(2) tsA(4) rsvd(4)
type requestOptions struct {
	NetID   uint8
	Version uint8
	PadLen  uint16
	M3P2Len uint16
	TsA     uint32 // seconds since the epoch
}

func (o *requestOptions) marshal() [optionsLen]byte {
	var b [optionsLen]byte
	b[0] = o.NetID
	b[1] = o.Version
	binary.BigEndian.PutUint16(b[2:], o.PadLen)
	binary.BigEndian.PutUint16(b[4:], o.M3P2Len)
	binary.BigEndian.PutUint32(b[8:], o.TsA)
	return b
}

func parseRequestOptions(b []byte) requestOptions {
	_ = b[optionsLen-1]
	return requestOptions{
		NetID:   b[0],
		Version: b[1],
		PadLen:  binary.BigEndian.Uint16(b[2:]),
		M3P2Len: binary.BigEndian.Uint16(b[4:]),
		TsA:     binary.BigEndian.Uint32(b[8:]),
	}
}

// createdOptions is the SessionCreated options block:
//
//	rsvd(2) padLen(2) rsvd(4) tsB(4) rsvd(4)
type createdOptions struct {
	PadLen uint16
	TsB    uint32
}

func (o *createdOptions) marshal() [optionsLen]byte {
	var b [optionsLen]byte
	binary.BigEndian.PutUint16(b[2:], o.PadLen)
	binary.BigEndian.PutUint32(b[8:], o.TsB)
	return b
}

func parseCreatedOptions(b []byte) createdOptions {
	_ = b[optionsLen-1]
	return createdOptions{
		PadLen: binary.BigEndian.Uint16(b[2:]),
		TsB:    binary.BigEndian.Uint32(b[8:]),
	}
}
