package ssu2

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Packet headers and their protection (ssu2.rst, "Packet Header",
// "Header Encryption KDF").
//
// Every message starts with 16 bytes whose first 13 are the same for all
// types: destination connection id(8) packet number(4) type(1). The long
// header (32 bytes) follows with version, network id, a flag, the source
// connection id and a token; the short header (16 bytes) with three bytes
// of flags (Session Confirmed: the fragment byte, then two zero bytes).
//
// Protection XORs bytes 0–7 with ChaCha20(k_header_1, iv = packet[len-24 :
// len-12]) and bytes 8–15 with ChaCha20(k_header_2, iv = packet[len-12 :])
// over eight zero bytes; the IVs come from the packet's tail, which is
// AEAD output, so every payload is at least 8 bytes. Bytes 16–31 of a
// long header (and for Session Request and Session Created the ephemeral
// key after it, bytes 32–63) are ChaCha20 encrypted with k_header_2 and
// an all-zero nonce.
//
// The spec does not say where the ChaCha20 block counter starts; i2pd
// 2.45.1 (Crypto.cpp, ChaCha20) and so the network start it at 1, as the
// AEAD does for its payload. So does chachaCounter here.

// chachaCounter is the first ChaCha20 block of header protection.
const chachaCounter = 1

// ErrHeader is wrapped by header decode errors.
var ErrHeader = errors.New("ssu2: bad header")

// shortHeader is a Data or Session Confirmed header, unprotected.
type shortHeader struct {
	destID uint64
	pn     uint32
	typ    uint8
	flags  [3]byte // Data: flag, moreflags; Session Confirmed: frag, flags
}

func (h *shortHeader) put(b []byte) {
	binary.BigEndian.PutUint64(b, h.destID)
	binary.BigEndian.PutUint32(b[8:], h.pn)
	b[12] = h.typ
	copy(b[13:16], h.flags[:])
}

func parseShortHeader(b []byte) shortHeader {
	h := shortHeader{destID: binary.BigEndian.Uint64(b), pn: binary.BigEndian.Uint32(b[8:]), typ: b[12]}
	copy(h.flags[:], b[13:16])
	return h
}

// longHeader is the header of every message but Data and Session
// Confirmed, unprotected.
type longHeader struct {
	destID uint64
	pn     uint32
	typ    uint8
	ver    uint8
	netID  uint8
	flag   uint8
	srcID  uint64
	token  uint64
}

func (h *longHeader) put(b []byte) {
	binary.BigEndian.PutUint64(b, h.destID)
	binary.BigEndian.PutUint32(b[8:], h.pn)
	b[12], b[13], b[14], b[15] = h.typ, h.ver, h.netID, h.flag
	binary.BigEndian.PutUint64(b[16:], h.srcID)
	binary.BigEndian.PutUint64(b[24:], h.token)
}

func parseLongHeader(b []byte) longHeader {
	return longHeader{
		destID: binary.BigEndian.Uint64(b), pn: binary.BigEndian.Uint32(b[8:]),
		typ: b[12], ver: b[13], netID: b[14], flag: b[15],
		srcID: binary.BigEndian.Uint64(b[16:]), token: binary.BigEndian.Uint64(b[24:]),
	}
}

// check validates the fields every long header shares: version 2 and our
// network id ("Header Validation").
func (h *longHeader) check(netID uint8) error {
	if h.ver != protocolVersion {
		return fmt.Errorf("%w: version %d", ErrHeader, h.ver)
	}
	if h.netID != netID {
		return fmt.Errorf("%w: network id %d: %w", ErrHeader, h.netID, ErrWrongNetID)
	}
	return nil
}

// headerMask is the first 8 bytes of ChaCha20(key, iv) from block 0.
func headerMask(key *[keyLen]byte, iv []byte) [8]byte {
	var nonce [crypto.ChaChaNonceLen]byte
	copy(nonce[:], iv)
	var m [8]byte
	// ChaCha20XOR fails only for counter overflow, impossible here.
	_ = crypto.ChaCha20XOR(key, &nonce, chachaCounter, m[:], m[:])
	return m
}

func xor8(b []byte, m [8]byte) {
	for i := range m {
		b[i] ^= m[i]
	}
}

// maskConnID XORs bytes 0–7 of pkt with the k_header_1 mask; applying it
// twice restores them. len(pkt) must be at least 24.
func maskConnID(pkt []byte, k1 *[keyLen]byte) {
	xor8(pkt, headerMask(k1, pkt[len(pkt)-24:len(pkt)-12]))
}

// maskTypeBytes XORs bytes 8–15 with the k_header_2 mask.
func maskTypeBytes(pkt []byte, k2 *[keyLen]byte) {
	xor8(pkt[8:], headerMask(k2, pkt[len(pkt)-12:]))
}

// peekConnID returns the destination connection id of a protected packet
// as k1 reveals it, leaving pkt unchanged.
func peekConnID(pkt []byte, k1 *[keyLen]byte) uint64 {
	m := headerMask(k1, pkt[len(pkt)-24:len(pkt)-12])
	return binary.BigEndian.Uint64(pkt) ^ binary.BigEndian.Uint64(m[:])
}

// peekTypeBytes returns bytes 8–15 of a protected packet as k2 reveals
// them (packet number, type, version, network id, flag), leaving pkt
// unchanged.
func peekTypeBytes(pkt []byte, k2 *[keyLen]byte) [8]byte {
	var b [8]byte
	copy(b[:], pkt[8:16])
	xor8(b[:], headerMask(k2, pkt[len(pkt)-12:]))
	return b
}

// xorLongRest en- or decrypts bytes 16..16+n of pkt with ChaCha20(k2,
// zero nonce): the rest of a long header (n = 16) and, for Session
// Request and Created, the ephemeral key (n = 48).
func xorLongRest(pkt []byte, k2 *[keyLen]byte, n int) {
	var zero [crypto.ChaChaNonceLen]byte
	_ = crypto.ChaCha20XOR(k2, &zero, chachaCounter, pkt[shortHeaderLen:shortHeaderLen+n], pkt[shortHeaderLen:shortHeaderLen+n])
}

// protect applies header protection to a finished packet: k1 and k2 over
// bytes 0–15, then k2 over the long header's rest (restLen 0, 16 or 48).
func protect(pkt []byte, k1, k2 *[keyLen]byte, restLen int) {
	maskConnID(pkt, k1)
	maskTypeBytes(pkt, k2)
	if restLen > 0 {
		xorLongRest(pkt, k2, restLen)
	}
}
