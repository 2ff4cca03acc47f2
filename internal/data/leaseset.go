package data

import (
	"bytes"
	"fmt"

	"github.com/veil-i2p/veil/internal/crypto"
)

// StoreType is the DatabaseStore type byte of a netDb entry (i2np.rst,
// DatabaseStore). The LeaseSet2 family signs it as the first byte of the
// signed data, so the codecs here need it too.
type StoreType uint8

// DatabaseStore types, as of API 0.9.38.
const (
	StoreRouterInfo        StoreType = 0
	StoreLeaseSet          StoreType = 1
	StoreLeaseSet2         StoreType = 3
	StoreEncryptedLeaseSet StoreType = 5
	StoreMetaLeaseSet      StoreType = 7
)

// maxLeaseSetLen caps the input of every LeaseSet parser. A LeaseSet
// travels in one DatabaseStore message, whose I2NP size field is 2 bytes.
const maxLeaseSetLen = 64 << 10

// maxLeases is the largest lease count of a LeaseSet or LeaseSet2
// (common-structures.rst: "0 <= num <= 16").
const maxLeases = 16

// LeaseSet is the original LeaseSet, DatabaseStore type 1
// (common-structures.rst, "LeaseSet"): Destination, a 256-byte ElGamal
// encryption key, an unused signing key, up to 16 Leases and a signature
// by the Destination over everything before it (no type byte prefix).
//
// A parsed LeaseSet keeps its exact bytes, which Bytes returns; Sign
// rebuilds them from the fields.
type LeaseSet struct {
	Destination   Destination
	EncryptionKey []byte // 256 bytes, ElGamal
	// SigningKey was meant for revocation and is unused; its length is
	// that of the Destination's signing key type. Sign zero-fills a nil
	// one.
	SigningKey []byte
	Leases     []Lease
	Signature  []byte

	raw []byte
}

const leaseSetEncKeyLen = 256

// ParseLeaseSet parses a whole LeaseSet; trailing bytes are an error. The
// result aliases b.
func ParseLeaseSet(b []byte) (*LeaseSet, error) {
	const st = "LeaseSet"
	if len(b) > maxLeaseSetLen {
		return nil, perr(st, "", invalidf("%d bytes exceeds %d", len(b), maxLeaseSetLen))
	}
	r := &reader{b: b}
	ls := &LeaseSet{}
	var err error
	if ls.Destination, err = r.keysAndCert(); err != nil {
		return nil, perr(st, "destination", err)
	}
	if ls.EncryptionKey, err = r.bytes(leaseSetEncKeyLen); err != nil {
		return nil, perr(st, "encryption key", err)
	}
	if ls.SigningKey, err = r.bytes(ls.Destination.SigType().PubLen()); err != nil {
		return nil, perr(st, "signing key", err)
	}
	if ls.Leases, err = countedItems(r, maxLeases, LeaseLen, r.lease); err != nil {
		return nil, perr(st, "leases", err)
	}
	if ls.Signature, err = r.bytes(ls.Destination.SigType().SigLen()); err != nil {
		return nil, perr(st, "signature", err)
	}
	if r.remaining() != 0 {
		return nil, perr(st, "", invalidf("%d trailing bytes", r.remaining()))
	}
	ls.raw = b[:r.off:r.off]
	return ls, nil
}

// Bytes returns the exact wire bytes of a parsed or signed LeaseSet. The
// caller must not modify them.
func (ls *LeaseSet) Bytes() []byte { return ls.raw }

// Hash is the Destination hash, the LeaseSet's netDb key.
func (ls *LeaseSet) Hash() Hash { return ls.Destination.Hash() }

// Earliest returns the earliest lease end, which serves as the LeaseSet's
// version (common-structures.rst, LeaseSet notes), or 0 with no leases.
func (ls *LeaseSet) Earliest() Date {
	var d Date
	for i, l := range ls.Leases {
		if i == 0 || l.End < d {
			d = l.End
		}
	}
	return d
}

// Latest returns the latest lease end: when the LeaseSet expires.
func (ls *LeaseSet) Latest() Date {
	var d Date
	for _, l := range ls.Leases {
		d = max(d, l.End)
	}
	return d
}

// Verify checks the signature over the exact bytes.
func (ls *LeaseSet) Verify() error {
	if len(ls.raw) == 0 {
		return fmt.Errorf("data: LeaseSet: not serialized")
	}
	signed := ls.raw[:len(ls.raw)-len(ls.Signature)]
	if err := ls.Destination.Verify(signed, ls.Signature); err != nil {
		return fmt.Errorf("data: LeaseSet %s: %w", ls.Hash(), err)
	}
	return nil
}

// Sign serializes ls and signs it with the Destination's key; afterwards
// Bytes returns the signed form. A zero-lease LeaseSet is legal for type 1
// (the spec allows it, though it is unused), so Sign accepts 0–16 leases.
func (ls *LeaseSet) Sign(s crypto.Signer) error {
	d := ls.Destination
	if d.IsZero() {
		return fmt.Errorf("data: sign LeaseSet: no destination")
	}
	if err := checkSigner(s, d.SigType(), d.SigningPublicKey()); err != nil {
		return fmt.Errorf("data: sign LeaseSet: %w", err)
	}
	if ls.SigningKey == nil {
		ls.SigningKey = make([]byte, d.SigType().PubLen())
	}
	b, err := ls.appendBody(nil)
	if err != nil {
		return fmt.Errorf("data: sign LeaseSet: %w", err)
	}
	sig, err := s.Sign(b)
	if err != nil {
		return fmt.Errorf("data: sign LeaseSet: %w", err)
	}
	ls.Signature = sig
	ls.raw = append(b, sig...)
	return nil
}

// appendBody appends everything the signature covers.
func (ls *LeaseSet) appendBody(b []byte) ([]byte, error) {
	st := ls.Destination.SigType()
	if len(ls.EncryptionKey) != leaseSetEncKeyLen {
		return nil, fmt.Errorf("encryption key of %d bytes, want %d", len(ls.EncryptionKey), leaseSetEncKeyLen)
	}
	if len(ls.SigningKey) != st.PubLen() {
		return nil, fmt.Errorf("signing key of %d bytes, want %d", len(ls.SigningKey), st.PubLen())
	}
	if len(ls.Leases) > maxLeases {
		return nil, fmt.Errorf("%d leases, at most %d", len(ls.Leases), maxLeases)
	}
	b = append(b, ls.Destination.Bytes()...)
	b = append(b, ls.EncryptionKey...)
	b = append(b, ls.SigningKey...)
	b = append(b, byte(len(ls.Leases)))
	for _, l := range ls.Leases {
		b = l.Append(b)
	}
	return b, nil
}

// checkSigner makes sure s is the key that verifiers will use: signing
// with any other key yields a structure that every peer rejects.
func checkSigner(s crypto.Signer, t crypto.SigType, pub []byte) error {
	if s == nil {
		return fmt.Errorf("no signer")
	}
	if s.Type() != t {
		return fmt.Errorf("signer is %v, want %v", s.Type(), t)
	}
	if !bytes.Equal(s.Public(), pub) {
		return fmt.Errorf("signer's public key does not match")
	}
	return nil
}
