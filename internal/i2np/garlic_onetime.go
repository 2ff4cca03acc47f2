package i2np

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/veil-i2p/veil/internal/crypto"
)

// One-time garlic: the "Existing Session" ratchet format keyed by a
// single-use key and 8-byte tag that the recipient handed out in advance
// (ecies-routers.rst; proposal 154 for DatabaseLookup replies,
// tunnel-creation-ecies.rst "Garlic Encryption" for the outbound endpoint's
// OutboundTunnelBuildReply). The Garlic body is
//
//	tag(8) || ChaCha20-Poly1305(k=key, n=0, ad=tag, blocks)
//
// where blocks is one Garlic Clove block (type 11) with LOCAL delivery
// holding the message under the 9-byte short header, then a Padding block.
const (
	blockGarlicClove = 11
	blockPadding     = 254
	oneTimeTagLen    = 8
	cloveLocalLen    = 1 + ShortHeaderLen // delivery flag, short header
	blockHeaderLen   = 3                  // type, size(2)
	maxOneTimePad    = 15
)

// WrapOneTimeGarlic returns the payload of a Garlic message (type 11) that
// carries message (h, payload) to the holder of key and tag.
func WrapOneTimeGarlic(key *[32]byte, tag [oneTimeTagLen]byte, h Header, payload []byte) ([]byte, error) {
	clove := cloveLocalLen + len(payload)
	var pad [1]byte
	if _, err := rand.Read(pad[:]); err != nil {
		return nil, fmt.Errorf("i2np: one-time garlic: %w", err)
	}
	padLen := int(pad[0]) % (maxOneTimePad + 1)
	plain := blockHeaderLen + clove + blockHeaderLen + padLen
	body := oneTimeTagLen + plain + crypto.ChaChaPolyOverhead
	if body > maxOpaqueLen || clove > 0xffff {
		return nil, fmt.Errorf("i2np: one-time garlic: message of %d bytes: %w", len(payload), ErrTooLarge)
	}
	b := make([]byte, 4, 4+body)
	binary.BigEndian.PutUint32(b, uint32(body))
	b = append(b, tag[:]...)
	p := len(b)
	b = append(b, blockGarlicClove)
	b = binary.BigEndian.AppendUint16(b, uint16(clove))
	b = append(b, 0) // LOCAL
	b = AppendShortHeader(b, h)
	b = append(b, payload...)
	b = append(b, blockPadding)
	b = binary.BigEndian.AppendUint16(b, uint16(padLen))
	b = append(b, make([]byte, padLen)...)
	b = crypto.ChaChaPolySeal(key, 0, b[:p], b[p:], tag[:])
	return b, nil
}

// OpenOneTimeGarlic decrypts the body of a Garlic message (the bytes after
// its 4-byte length) wrapped with key and tag, and returns the messages of
// its LOCAL Garlic Clove blocks. Other blocks are skipped; cloves with
// other delivery types are refused. The tag itself is not compared: the
// caller found key by it.
func OpenOneTimeGarlic(key *[32]byte, body []byte) ([]Clove, error) {
	if len(body) < oneTimeTagLen+crypto.ChaChaPolyOverhead {
		return nil, perr("one-time garlic", "", detail(ErrTruncated, "%d bytes", len(body)))
	}
	plain, err := crypto.ChaChaPolyOpen(key, 0, nil, body[oneTimeTagLen:], body[:oneTimeTagLen])
	if err != nil {
		return nil, fmt.Errorf("i2np: one-time garlic: %w", err)
	}
	var out []Clove
	for len(plain) > 0 {
		if len(plain) < blockHeaderLen {
			return nil, perr("one-time garlic", "block", detail(ErrTruncated, "%d bytes", len(plain)))
		}
		t, n := plain[0], int(binary.BigEndian.Uint16(plain[1:]))
		plain = plain[blockHeaderLen:]
		if n > len(plain) {
			return nil, perr("one-time garlic", "block", detail(ErrTruncated, "size %d, %d bytes follow", n, len(plain)))
		}
		blk := plain[:n]
		plain = plain[n:]
		if t != blockGarlicClove {
			continue
		}
		if len(blk) < cloveLocalLen || blk[0] != 0 {
			return nil, perr("one-time garlic", "clove", detail(ErrInvalid, "not a LOCAL clove"))
		}
		h, p, err := ParseShortHeader(blk[1:])
		if err != nil {
			return nil, err
		}
		out = append(out, Clove{Header: h, Payload: p})
	}
	return out, nil
}

// Clove is one message taken out of a garlic message. Payload aliases the
// decrypted buffer.
type Clove struct {
	Header  Header
	Payload []byte
}
