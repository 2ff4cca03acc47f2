package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// OfflineSignature lets a destination keep its long-term signing key
// offline (common-structures.rst, "OfflineSignature"; proposal 123): the
// long-term key signs a short-lived transient key once, and the transient
// key then signs LeaseSets (and streaming or I2CP messages).
//
// Wire form: expires (4-byte Seconds), transient sig type (2), transient
// public key (length from that type), then the signature by the long-term
// key over the three preceding fields. The signature's length comes from
// the long-term key's type, which is not in the structure, so every parse
// needs it from the context: the Destination for LeaseSet2 and
// MetaLeaseSet, the blinded key for an EncryptedLeaseSet.
type OfflineSignature struct {
	Expires       Seconds
	TransientType crypto.SigType
	TransientKey  []byte
	Signature     []byte
}

// Len is the wire length of o.
func (o OfflineSignature) Len() int { return 6 + len(o.TransientKey) + len(o.Signature) }

// Append appends the wire form of o.
func (o OfflineSignature) Append(b []byte) []byte {
	b = o.appendSigned(b)
	return append(b, o.Signature...)
}

// appendSigned appends the part the long-term key signs.
func (o OfflineSignature) appendSigned(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(o.Expires))
	b = binary.BigEndian.AppendUint16(b, uint16(o.TransientType))
	return append(b, o.TransientKey...)
}

// ParseOfflineSignature parses an OfflineSignature whose signature was
// made by a key of type signer, and returns the rest of b.
func ParseOfflineSignature(b []byte, signer crypto.SigType) (OfflineSignature, []byte, error) {
	r := &reader{b: b}
	o, err := r.offlineSignature(signer)
	if err != nil {
		return OfflineSignature{}, nil, perr("OfflineSignature", "", err)
	}
	return o, r.rest(), nil
}

func (r *reader) offlineSignature(signer crypto.SigType) (OfflineSignature, error) {
	var o OfflineSignature
	exp, err := r.u32()
	if err != nil {
		return o, fmt.Errorf("expires: %w", err)
	}
	o.Expires = Seconds(exp)
	t, err := r.u16()
	if err != nil {
		return o, fmt.Errorf("transient type: %w", err)
	}
	o.TransientType = crypto.SigType(t)
	// An unknown type has no known key length, so nothing after it can be
	// located: the whole structure is unparseable, not just skippable.
	if !o.TransientType.Known() {
		return o, invalidf("unknown transient sig type %d", t)
	}
	if o.TransientKey, err = r.bytes(o.TransientType.PubLen()); err != nil {
		return o, fmt.Errorf("transient key: %w", err)
	}
	if !signer.Known() {
		return o, invalidf("unknown signer sig type %d", uint16(signer))
	}
	if o.Signature, err = r.bytes(signer.SigLen()); err != nil {
		return o, fmt.Errorf("signature: %w", err)
	}
	return o, nil
}

// NewOfflineSignature has the long-term signer authorize a transient key
// of type tt until expires. Run it where the long-term key lives.
func NewOfflineSignature(longTerm crypto.Signer, expires Seconds, tt crypto.SigType, transientPub []byte) (OfflineSignature, error) {
	if !tt.Known() || len(transientPub) != tt.PubLen() {
		return OfflineSignature{}, fmt.Errorf("data: new offline signature: %v key of %d bytes", tt, len(transientPub))
	}
	o := OfflineSignature{Expires: expires, TransientType: tt, TransientKey: bytes.Clone(transientPub)}
	sig, err := longTerm.Sign(o.appendSigned(nil))
	if err != nil {
		return OfflineSignature{}, fmt.Errorf("data: new offline signature: %w", err)
	}
	o.Signature = sig
	return o, nil
}

// Verify checks that the long-term key (type t, public key pub) signed o.
// It does not look at the clock: see Expired.
func (o OfflineSignature) Verify(t crypto.SigType, pub []byte) error {
	if err := crypto.Verify(t, pub, o.appendSigned(nil), o.Signature); err != nil {
		return fmt.Errorf("data: offline signature: %w", err)
	}
	return nil
}

// Expired reports whether the transient key is no longer valid at now.
// Holders must stop trusting anything it signed from then on.
func (o OfflineSignature) Expired(now time.Time) bool {
	return !now.Before(o.Expires.Time())
}

// Equal reports whether o and p have the same wire form.
func (o OfflineSignature) Equal(p OfflineSignature) bool {
	return o.Expires == p.Expires && o.TransientType == p.TransientType &&
		bytes.Equal(o.TransientKey, p.TransientKey) && bytes.Equal(o.Signature, p.Signature)
}
