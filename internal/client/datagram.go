package client

import (
	"crypto/sha256"
	"fmt"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
)

// Datagram1, the repliable datagram (datagrams.rst, protocol 17): the
// sender's Destination, its signature, the payload. The signature is of
// the payload itself, except for DSA_SHA1 destinations, which sign the
// payload's SHA-256.

// Datagram1 is a verified repliable datagram.
type Datagram1 struct {
	From    data.KeysAndCert
	Payload []byte
}

// signedPart is what a Datagram1 signature covers for a key type.
func signedPart(t crypto.SigType, payload []byte) []byte {
	if t == crypto.SigDSASHA1 {
		h := sha256.Sum256(payload)
		return h[:]
	}
	return payload
}

// AppendDatagram1 writes a repliable datagram of payload from d.
func (d *Destination) AppendDatagram1(b, payload []byte) ([]byte, error) {
	signer, err := d.keys.Signer()
	if err != nil {
		return b, err
	}
	sig, err := signer.Sign(signedPart(signer.Type(), payload))
	if err != nil {
		return b, err
	}
	b = append(b, d.keys.Identity.Bytes()...)
	b = append(b, sig...)
	return append(b, payload...), nil
}

// ParseDatagram1 reads a repliable datagram and verifies its signature.
// The payload aliases b.
func ParseDatagram1(b []byte) (Datagram1, error) {
	from, rest, err := data.ParseKeysAndCert(b)
	if err != nil {
		return Datagram1{}, fmt.Errorf("client: datagram: %w", err)
	}
	n := from.SigType().SigLen()
	if n <= 0 || len(rest) < n {
		return Datagram1{}, fmt.Errorf("client: datagram: %d bytes left for a %d-byte signature", len(rest), n)
	}
	sig, payload := rest[:n], rest[n:]
	if err := from.Verify(signedPart(from.SigType(), payload), sig); err != nil {
		return Datagram1{}, fmt.Errorf("client: datagram signature: %w", err)
	}
	return Datagram1{From: from, Payload: payload}, nil
}
