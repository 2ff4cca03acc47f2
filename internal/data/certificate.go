package data

import (
	"encoding/binary"
	"fmt"

	"github.com/veil-i2p/veil/internal/crypto"
)

// CertType is a Certificate type code (common-structures.rst,
// "Certificate").
type CertType uint8

// Certificate types. Only NULL and KEY are in use; 1–4 are deprecated but
// still parsed.
const (
	CertNull     CertType = 0
	CertHashcash CertType = 1
	CertHidden   CertType = 2
	CertSigned   CertType = 3
	CertMultiple CertType = 4
	CertKey      CertType = 5
)

// Certificate is a type and an opaque payload.
type Certificate struct {
	Type    CertType
	Payload []byte
}

// Len is the wire length of c.
func (c Certificate) Len() int { return 3 + len(c.Payload) }

// Append appends c's wire form.
func (c Certificate) Append(b []byte) []byte {
	b = append(b, byte(c.Type))
	b = binary.BigEndian.AppendUint16(b, uint16(len(c.Payload)))
	return append(b, c.Payload...)
}

// KeyTypes returns the signing and encryption types c declares: those of a
// KEY certificate, or DSA_SHA1 and ElGamal for every other type.
func (c Certificate) KeyTypes() (crypto.SigType, crypto.EncType) {
	if c.Type != CertKey || len(c.Payload) < 4 {
		return crypto.SigDSASHA1, crypto.EncElGamal
	}
	return crypto.SigType(binary.BigEndian.Uint16(c.Payload)),
		crypto.EncType(binary.BigEndian.Uint16(c.Payload[2:]))
}

// NewKeyCertificate builds a KEY certificate; excess carries key bytes
// that do not fit the 384-byte KeysAndCert body (signing excess first).
func NewKeyCertificate(st crypto.SigType, et crypto.EncType, excess []byte) Certificate {
	p := make([]byte, 4, 4+len(excess))
	binary.BigEndian.PutUint16(p, uint16(st))
	binary.BigEndian.PutUint16(p[2:], uint16(et))
	return Certificate{Type: CertKey, Payload: append(p, excess...)}
}

// ParseCertificate parses a Certificate at the start of b and returns the
// rest.
func ParseCertificate(b []byte) (Certificate, []byte, error) {
	r := &reader{b: b}
	c, err := r.certificate()
	if err != nil {
		return Certificate{}, nil, perr("Certificate", "", err)
	}
	return c, r.rest(), nil
}

func (r *reader) certificate() (Certificate, error) {
	t, err := r.u8()
	if err != nil {
		return Certificate{}, err
	}
	n, err := r.u16()
	if err != nil {
		return Certificate{}, err
	}
	p, err := r.bytes(int(n))
	if err != nil {
		return Certificate{}, err
	}
	c := Certificate{Type: CertType(t), Payload: p}
	switch c.Type {
	case CertNull:
		if n != 0 {
			return Certificate{}, invalidf("NULL certificate with %d payload bytes", n)
		}
	case CertHashcash, CertHidden, CertSigned, CertMultiple:
	case CertKey:
		if n < 4 {
			return Certificate{}, invalidf("KEY certificate payload of %d bytes, want >= 4", n)
		}
	default:
		return Certificate{}, invalidf("unknown certificate type %d", t)
	}
	return c, nil
}

// String describes c for logs.
func (c Certificate) String() string {
	if c.Type == CertKey {
		st, et := c.KeyTypes()
		return fmt.Sprintf("KEY(%v,%v)", st, et)
	}
	return fmt.Sprintf("cert(type=%d,len=%d)", c.Type, len(c.Payload))
}
