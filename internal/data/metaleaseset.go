package data

import (
	"fmt"

	"github.com/veil-i2p/veil/internal/crypto"
)

// MetaLease points a MetaLeaseSet at another LeaseSet
// (common-structures.rst, "MetaLease"): a hash, 3 bytes of flags whose low
// 4 bits give the target's store type (0 unknown, 1 LeaseSet, 3
// LeaseSet2, 5 MetaLeaseSet), a cost (lower is preferred) and a 4-byte end
// date. 40 bytes in all, like a Lease2.
type MetaLease struct {
	Hash  Hash
	Flags uint32 // 24 bits on the wire
	Cost  uint8
	End   Seconds
}

// Type returns the store type in flag bits 3–0.
func (m MetaLease) Type() StoreType { return StoreType(m.Flags & 0xF) }

// Append appends the 40-byte wire form of m.
func (m MetaLease) Append(b []byte) []byte {
	b = append(b, m.Hash[:]...)
	b = append(b, byte(m.Flags>>16), byte(m.Flags>>8), byte(m.Flags), m.Cost)
	return append(b, byte(m.End>>24), byte(m.End>>16), byte(m.End>>8), byte(m.End))
}

func (r *reader) metaLease() (MetaLease, error) {
	p, err := r.bytes(Lease2Len)
	if err != nil {
		return MetaLease{}, err
	}
	var m MetaLease
	copy(m.Hash[:], p)
	m.Flags = uint32(p[32])<<16 | uint32(p[33])<<8 | uint32(p[34])
	m.Cost = p[35]
	m.End = Seconds(uint32(p[36])<<24 | uint32(p[37])<<16 | uint32(p[38])<<8 | uint32(p[39]))
	return m, nil
}

// MetaLeaseSet is DatabaseStore type 7 (common-structures.rst,
// "MetaLeaseSet"; proposal 123): header, options, MetaLeases, revoked
// hashes and a signature over 0x07 || everything before it.
//
// The spec's length line for the leases reads "$numr*40 bytes"; that is
// an erratum for num*40 (each MetaLease is 40 bytes; numr counts the
// revocations that follow).
type MetaLeaseSet struct {
	LeaseSet2Header
	Options     Mapping
	Leases      []MetaLease
	Revocations []Hash
	Signature   []byte

	raw []byte
}

// ParseMetaLeaseSet parses a whole MetaLeaseSet (without the store type
// byte); trailing bytes are an error. The result aliases b. As for
// LeaseSet2, zero leases parse but Sign refuses them.
func ParseMetaLeaseSet(b []byte) (*MetaLeaseSet, error) {
	const st = "MetaLeaseSet"
	if len(b) > maxLeaseSetLen {
		return nil, perr(st, "", invalidf("%d bytes exceeds %d", len(b), maxLeaseSetLen))
	}
	r := &reader{b: b}
	ls := &MetaLeaseSet{}
	var err error
	if ls.LeaseSet2Header, err = r.ls2Header(); err != nil {
		return nil, perr(st, "header", err)
	}
	if ls.Options, err = r.mapping(); err != nil {
		return nil, perr(st, "options", err)
	}
	// "max TBD": the count byte is the only limit.
	if ls.Leases, err = countedItems(r, 255, Lease2Len, r.metaLease); err != nil {
		return nil, perr(st, "leases", err)
	}
	if ls.Revocations, err = countedItems(r, 255, 32, r.hash); err != nil {
		return nil, perr(st, "revocations", err)
	}
	sigType, _ := ls.signingKey()
	if ls.Signature, err = r.bytes(sigType.SigLen()); err != nil {
		return nil, perr(st, "signature", err)
	}
	if r.remaining() != 0 {
		return nil, perr(st, "", invalidf("%d trailing bytes", r.remaining()))
	}
	ls.raw = b[:r.off:r.off]
	return ls, nil
}

func (r *reader) hash() (Hash, error) {
	var h Hash
	p, err := r.bytes(len(h))
	copy(h[:], p)
	return h, err
}

// Bytes returns the exact wire bytes (without the store type byte) of a
// parsed or signed MetaLeaseSet. The caller must not modify them.
func (ls *MetaLeaseSet) Bytes() []byte { return ls.raw }

// Hash is the Destination hash, the MetaLeaseSet's netDb key.
func (ls *MetaLeaseSet) Hash() Hash { return ls.Destination.Hash() }

// StoreType is StoreMetaLeaseSet.
func (ls *MetaLeaseSet) StoreType() StoreType { return StoreMetaLeaseSet }

// Verify checks the offline signature, if any, and the signature over
// the exact bytes. It does not look at the clock.
func (ls *MetaLeaseSet) Verify() error {
	if err := verifyLS2(StoreMetaLeaseSet, &ls.LeaseSet2Header, ls.raw, ls.Signature); err != nil {
		return fmt.Errorf("data: MetaLeaseSet %s: %w", ls.Hash(), err)
	}
	return nil
}

// Sign serializes ls and signs it with s (the transient key if Offline is
// set, else the Destination's key). It needs 1–255 leases and at most
// 255 revocations, and MetaLease flags that fit 24 bits.
func (ls *MetaLeaseSet) Sign(s crypto.Signer) error {
	if err := ls.sign(s); err != nil {
		return fmt.Errorf("data: sign MetaLeaseSet: %w", err)
	}
	return nil
}

func (ls *MetaLeaseSet) sign(s crypto.Signer) error {
	if err := ls.prepare(); err != nil {
		return err
	}
	if len(ls.Leases) == 0 {
		return fmt.Errorf("no leases")
	}
	b, err := ls.appendBody(nil)
	if err != nil {
		return err
	}
	sig, raw, err := signLS2(StoreMetaLeaseSet, &ls.LeaseSet2Header, b, s)
	if err != nil {
		return err
	}
	ls.Signature, ls.raw = sig, raw
	return nil
}

// appendBody appends everything the signature covers after the type byte,
// encoding the fields as they are.
func (ls *MetaLeaseSet) appendBody(b []byte) ([]byte, error) {
	if len(ls.Leases) > 255 {
		return nil, fmt.Errorf("%d leases, at most 255", len(ls.Leases))
	}
	if len(ls.Revocations) > 255 {
		return nil, fmt.Errorf("%d revocations, at most 255", len(ls.Revocations))
	}
	b = ls.LeaseSet2Header.append(b)
	b, err := ls.Options.Append(b)
	if err != nil {
		return nil, err
	}
	b = append(b, byte(len(ls.Leases)))
	for i, l := range ls.Leases {
		if l.Flags > 0xFFFFFF {
			return nil, fmt.Errorf("lease %d: flags %#x exceed 24 bits", i, l.Flags)
		}
		b = l.Append(b)
	}
	b = append(b, byte(len(ls.Revocations)))
	for _, h := range ls.Revocations {
		b = append(b, h[:]...)
	}
	return b, nil
}
