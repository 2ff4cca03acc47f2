package garlic

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"io"
	"time"

	"github.com/veil-i2p/veil/internal/i2np"
)

// The ElGamal/AES+SessionTags plaintexts (docs/how/elgamal-aes.html, "AES
// Block"; i2np.rst, "Garlic" and "GarlicClove"):
//
//	AES block: tagCount(2) tags(32 each) payloadSize(4) SHA-256(payload)(32)
//	           flag(1) [newKey(32) if flag == 1] payload padding-to-16
//	payload:   numCloves(1) cloves certificate(3) messageID(4) expiration(8)
//	clove:     delivery I2NP-message(16-byte header) cloveID(4) expiration(8) certificate(3)

const (
	maxElGamalTags  = 200 // per AES block
	aesBlockMin     = 2 + 4 + sha256.Size + 1
	elgTagLen       = 32
	cloveTrailerLen = 4 + 8 + 3
	setTrailerLen   = 3 + 4 + 8
)

// appendAESBlock appends the plaintext AES block carrying tags and
// payload, padded with random bytes to a multiple of 16.
func appendAESBlock(b []byte, tags [][32]byte, payload []byte, rand io.Reader) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(len(tags)))
	for i := range tags {
		b = append(b, tags[i][:]...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	h := sha256.Sum256(payload)
	b = append(b, h[:]...)
	b = append(b, 0) // no new session key
	b = append(b, payload...)
	if pad := (16 - len(b)%16) % 16; pad > 0 {
		p := len(b)
		b = append(b, make([]byte, pad)...)
		if _, err := io.ReadFull(orRand(rand), b[p:]); err != nil {
			return nil, errorf(ErrInvalid, "AES block", "padding: %v", err)
		}
	}
	return b, nil
}

// parseAESBlock parses a decrypted AES block; tags and payload alias b.
func parseAESBlock(b []byte) (tags []byte, payload []byte, err error) {
	const st = "parse AES block"
	if len(b) < aesBlockMin {
		return nil, nil, errorf(ErrTruncated, st, "%d bytes", len(b))
	}
	n := int(binary.BigEndian.Uint16(b))
	if n > maxElGamalTags {
		return nil, nil, errorf(ErrInvalid, st, "%d tags", n)
	}
	b = b[2:]
	if len(b) < n*elgTagLen+aesBlockMin-2 {
		return nil, nil, errorf(ErrTruncated, st, "%d tags, %d bytes", n, len(b))
	}
	tags, b = b[:n*elgTagLen], b[n*elgTagLen:]
	size := binary.BigEndian.Uint32(b)
	sum := b[4 : 4+sha256.Size]
	flag := b[4+sha256.Size]
	b = b[4+sha256.Size+1:]
	if flag == 1 { // "currently unused and never present"; skip it
		if len(b) < 32 {
			return nil, nil, errorf(ErrTruncated, st, "new session key")
		}
		b = b[32:]
	}
	if uint64(size) > uint64(len(b)) {
		return nil, nil, errorf(ErrTruncated, st, "payload of %d bytes, %d left", size, len(b))
	}
	payload = b[:size:size]
	h := sha256.Sum256(payload)
	if subtle.ConstantTimeCompare(h[:], sum) != 1 {
		return nil, nil, errorf(ErrInvalid, st, "payload hash mismatch")
	}
	return tags, payload, nil
}

// appendCloveSet appends the garlic payload holding cloves, with message
// ID id expiring at exp. Clove IDs come from rand.
func appendCloveSet(b []byte, cloves []Clove, id uint32, exp time.Time, rand io.Reader) ([]byte, error) {
	const st = "clove set"
	if len(cloves) > 255 {
		return nil, errorf(ErrTooLarge, st, "%d cloves", len(cloves))
	}
	b = append(b, byte(len(cloves)))
	var ids []byte
	if len(cloves) > 0 {
		ids = make([]byte, 4*len(cloves))
		if _, err := io.ReadFull(orRand(rand), ids); err != nil {
			return nil, errorf(ErrInvalid, st, "clove IDs: %v", err)
		}
	}
	for i, c := range cloves {
		if err := c.check(); err != nil {
			return nil, err
		}
		b = c.Delivery.appendTo(b)
		var err error
		if b, err = i2np.AppendStandard(b, c.Header, c.Payload); err != nil {
			return nil, errorf(ErrTooLarge, st, "%v", err)
		}
		cexp := c.Header.Expiration
		if cexp.IsZero() {
			cexp = exp
		}
		b = append(b, ids[4*i:4*i+4]...)
		b = binary.BigEndian.AppendUint64(b, uint64(max(cexp.UnixMilli(), 0)))
		b = append(b, 0, 0, 0) // NULL certificate
	}
	b = append(b, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, id)
	return binary.BigEndian.AppendUint64(b, uint64(max(exp.UnixMilli(), 0))), nil
}

// parseCloveSet parses a garlic payload; the cloves alias b. Trailing
// bytes after the set are an error.
func parseCloveSet(b []byte) (cloves []Clove, id uint32, exp time.Time, err error) {
	const st = "parse clove set"
	if len(b) < 1 {
		return nil, 0, exp, errorf(ErrTruncated, st, "empty")
	}
	n := int(b[0])
	b = b[1:]
	for i := range n {
		del, dn, err := parseDelivery(b)
		if err != nil {
			return nil, 0, exp, err
		}
		h, payload, rest, err := i2np.ParseStandard(b[dn:])
		if err != nil {
			return nil, 0, exp, errorf(ErrInvalid, st, "clove %d: %v", i, err)
		}
		if len(rest) < cloveTrailerLen {
			return nil, 0, exp, errorf(ErrTruncated, st, "clove %d trailer", i)
		}
		if rest, err = skipCertificate(rest[12:]); err != nil {
			return nil, 0, exp, err
		}
		cloves = append(cloves, Clove{Delivery: del, Clove: i2np.Clove{Header: h, Payload: payload}})
		b = rest
	}
	if b, err = skipCertificate(b); err != nil {
		return nil, 0, exp, err
	}
	if len(b) != 12 {
		return nil, 0, exp, errorf(ErrInvalid, st, "%d bytes after the cloves' certificate, want 12", len(b))
	}
	ms := binary.BigEndian.Uint64(b[4:])
	if ms > 1<<62 {
		return nil, 0, exp, errorf(ErrInvalid, st, "expiration %d", ms)
	}
	return cloves, binary.BigEndian.Uint32(b), time.UnixMilli(int64(ms)), nil
}

// skipCertificate skips a Certificate (type, length, payload).
func skipCertificate(b []byte) ([]byte, error) {
	if len(b) < 3 {
		return nil, errorf(ErrTruncated, "certificate", "%d bytes", len(b))
	}
	n := int(binary.BigEndian.Uint16(b[1:3]))
	if len(b) < 3+n {
		return nil, errorf(ErrTruncated, "certificate", "%d-byte payload, %d left", n, len(b)-3)
	}
	return b[3+n:], nil
}
