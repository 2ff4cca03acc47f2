package data

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// LeaseSet2Header flags (common-structures.rst, "LeaseSet2Header"). The
// EncryptedLeaseSet outer layer uses bits 0 and 1 with the same meaning.
const (
	// FlagOfflineKeys: an OfflineSignature follows the flags, and the
	// transient key signs the LeaseSet. Sign sets or clears it from
	// whether Offline is present.
	FlagOfflineKeys uint16 = 1 << 0
	// FlagUnpublished: do not flood, publish or serve this LeaseSet.
	FlagUnpublished uint16 = 1 << 1
	// FlagBlindedWhenPublished (0.9.42): this LeaseSet will be blinded and
	// encrypted when published; on expiry, look up the blinded key.
	FlagBlindedWhenPublished uint16 = 1 << 2

	// ls2KnownFlags are the bits defined so far; Sign refuses others,
	// which "set to 0 for compatibility with future uses". Parsers accept
	// them, since the exact bytes are kept and the signature covers them.
	ls2KnownFlags = FlagOfflineKeys | FlagUnpublished | FlagBlindedWhenPublished
)

// LeaseSet2Header is the common start of LeaseSet2 and MetaLeaseSet.
type LeaseSet2Header struct {
	Destination Destination
	Published   Seconds
	// Expires is an offset in seconds from Published: about 660 at most
	// for a LeaseSet2, up to 65535 for a MetaLeaseSet.
	Expires uint16
	Flags   uint16
	// Offline, if non-nil, is the long-term key's authorization of the
	// transient key that signs this LeaseSet.
	Offline *OfflineSignature
}

// Expiration is Published + Expires.
func (h *LeaseSet2Header) Expiration() time.Time {
	return h.Published.Time().Add(time.Duration(h.Expires) * time.Second)
}

// Unpublished reports flag bit 1.
func (h *LeaseSet2Header) Unpublished() bool { return h.Flags&FlagUnpublished != 0 }

// BlindedWhenPublished reports flag bit 2.
func (h *LeaseSet2Header) BlindedWhenPublished() bool {
	return h.Flags&FlagBlindedWhenPublished != 0
}

// signingKey is the key that signs the LeaseSet: the transient key with
// offline keys, else the Destination's.
func (h *LeaseSet2Header) signingKey() (crypto.SigType, []byte) {
	if h.Offline != nil {
		return h.Offline.TransientType, h.Offline.TransientKey
	}
	return h.Destination.SigType(), h.Destination.SigningPublicKey()
}

func (r *reader) ls2Header() (LeaseSet2Header, error) {
	var h LeaseSet2Header
	var err error
	if h.Destination, err = r.keysAndCert(); err != nil {
		return h, fmt.Errorf("destination: %w", err)
	}
	pub, err := r.u32()
	if err != nil {
		return h, fmt.Errorf("published: %w", err)
	}
	h.Published = Seconds(pub)
	if h.Expires, err = r.u16(); err != nil {
		return h, fmt.Errorf("expires: %w", err)
	}
	if h.Flags, err = r.u16(); err != nil {
		return h, fmt.Errorf("flags: %w", err)
	}
	if h.Flags&FlagOfflineKeys != 0 {
		o, err := r.offlineSignature(h.Destination.SigType())
		if err != nil {
			return h, fmt.Errorf("offline signature: %w", err)
		}
		h.Offline = &o
	}
	return h, nil
}

// prepare normalizes the flags for signing and checks the header.
func (h *LeaseSet2Header) prepare() error {
	if h.Destination.IsZero() {
		return fmt.Errorf("no destination")
	}
	f := h.Flags &^ FlagOfflineKeys
	if h.Offline != nil {
		f |= FlagOfflineKeys
		if len(h.Offline.Signature) != h.Destination.SigType().SigLen() {
			return fmt.Errorf("offline signature of %d bytes, destination's type %v makes %d",
				len(h.Offline.Signature), h.Destination.SigType(), h.Destination.SigType().SigLen())
		}
		if err := h.Offline.Verify(h.Destination.SigType(), h.Destination.SigningPublicKey()); err != nil {
			return err
		}
	}
	// "If this bit is set to 1, set bit 1 to 1 also."
	if f&FlagBlindedWhenPublished != 0 {
		f |= FlagUnpublished
	}
	if f&^ls2KnownFlags != 0 {
		return fmt.Errorf("reserved flag bits %#04x set", f&^ls2KnownFlags)
	}
	h.Flags = f
	return nil
}

func (h *LeaseSet2Header) append(b []byte) []byte {
	b = append(b, h.Destination.Bytes()...)
	b = binary.BigEndian.AppendUint32(b, uint32(h.Published))
	b = binary.BigEndian.AppendUint16(b, h.Expires)
	b = binary.BigEndian.AppendUint16(b, h.Flags)
	if h.Offline != nil {
		b = h.Offline.Append(b)
	}
	return b
}

// verifyLS2 checks a LeaseSet2-family signature: over the store type byte
// then the exact bytes before the signature (common-structures.rst,
// LeaseSet2 notes), by the transient key if the header has one, whose own
// authorization by the Destination is checked first.
func verifyLS2(t StoreType, h *LeaseSet2Header, raw, sig []byte) error {
	if len(raw) == 0 {
		return fmt.Errorf("not serialized")
	}
	if h.Offline != nil {
		if err := h.Offline.Verify(h.Destination.SigType(), h.Destination.SigningPublicKey()); err != nil {
			return err
		}
	}
	msg := make([]byte, 0, 1+len(raw)-len(sig))
	msg = append(append(msg, byte(t)), raw[:len(raw)-len(sig)]...)
	st, pub := h.signingKey()
	return crypto.Verify(st, pub, msg, sig)
}

// signLS2 signs t || body (body starts with h) with s, which must be the
// header's signing key, and returns the signature and the wire bytes.
func signLS2(t StoreType, h *LeaseSet2Header, body []byte, s crypto.Signer) (sig, raw []byte, err error) {
	st, pub := h.signingKey()
	if err := checkSigner(s, st, pub); err != nil {
		return nil, nil, err
	}
	msg := make([]byte, 0, 1+len(body)+st.SigLen())
	msg = append(append(msg, byte(t)), body...)
	if sig, err = s.Sign(msg); err != nil {
		return nil, nil, err
	}
	return sig, append(msg, sig...)[1:], nil
}

// EncryptionKey is one entry of a LeaseSet2's key list. Keys of types veil
// does not know are kept as they are.
type EncryptionKey struct {
	Type crypto.EncType
	Key  []byte
}

// LeaseSet2 is DatabaseStore type 3 (common-structures.rst, "LeaseSet2";
// proposal 123): header, options, encryption keys in server-preference
// order, up to 16 Lease2s, and a signature over 0x03 || everything before
// it, by the Destination or the transient key.
//
// A parsed LeaseSet2 keeps its exact bytes, which Bytes returns; Sign
// rebuilds them from the fields.
type LeaseSet2 struct {
	LeaseSet2Header
	// Options must be sorted for the signature to be reproducible; Sign
	// sorts them. Service records (API 0.9.66) live here; see
	// ServiceRecords.
	Options   Mapping
	Keys      []EncryptionKey
	Leases    []Lease2
	Signature []byte

	raw []byte
}

// ParseLeaseSet2 parses a whole LeaseSet2 (without the store type byte);
// trailing bytes are an error. The result aliases b.
//
// Zero keys or zero leases parse: the field definitions allow num = 0 and
// nothing structural breaks, though the spec says every LeaseSet2 variant
// needs a lease and a key, which Sign enforces.
func ParseLeaseSet2(b []byte) (*LeaseSet2, error) {
	const st = "LeaseSet2"
	if len(b) > maxLeaseSetLen {
		return nil, perr(st, "", invalidf("%d bytes exceeds %d", len(b), maxLeaseSetLen))
	}
	r := &reader{b: b}
	ls := &LeaseSet2{}
	var err error
	if ls.LeaseSet2Header, err = r.ls2Header(); err != nil {
		return nil, perr(st, "header", err)
	}
	if ls.Options, err = r.mapping(); err != nil {
		return nil, perr(st, "options", err)
	}
	if ls.Keys, err = countedItems(r, 255, 4, r.encryptionKey); err != nil {
		return nil, perr(st, "keys", err)
	}
	if ls.Leases, err = countedItems(r, maxLeases, Lease2Len, r.lease2); err != nil {
		return nil, perr(st, "leases", err)
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

// encryptionKey reads type(2) len(2) key. keylen "must match the
// specified length of the encryption type", so a known type with another
// length is malformed; unknown types are skipped by their length.
func (r *reader) encryptionKey() (EncryptionKey, error) {
	t, err := r.u16()
	if err != nil {
		return EncryptionKey{}, err
	}
	n, err := r.u16()
	if err != nil {
		return EncryptionKey{}, err
	}
	k := EncryptionKey{Type: crypto.EncType(t)}
	if k.Type.Known() && int(n) != k.Type.PubLen() {
		return EncryptionKey{}, invalidf("%v key of %d bytes, want %d", k.Type, n, k.Type.PubLen())
	}
	if k.Key, err = r.bytes(int(n)); err != nil {
		return EncryptionKey{}, err
	}
	return k, nil
}

// Bytes returns the exact wire bytes (without the store type byte) of a
// parsed or signed LeaseSet2. The caller must not modify them.
func (ls *LeaseSet2) Bytes() []byte { return ls.raw }

// Hash is the Destination hash, the LeaseSet2's netDb key.
func (ls *LeaseSet2) Hash() Hash { return ls.Destination.Hash() }

// StoreType is StoreLeaseSet2.
func (ls *LeaseSet2) StoreType() StoreType { return StoreLeaseSet2 }

// Key returns the first key of type t, in the server's preference order.
func (ls *LeaseSet2) Key(t crypto.EncType) ([]byte, bool) {
	for _, k := range ls.Keys {
		if k.Type == t {
			return k.Key, true
		}
	}
	return nil, false
}

// Verify checks the offline signature, if any, and the LeaseSet2's
// signature over its exact bytes. It does not look at the clock.
func (ls *LeaseSet2) Verify() error {
	if err := verifyLS2(StoreLeaseSet2, &ls.LeaseSet2Header, ls.raw, ls.Signature); err != nil {
		return fmt.Errorf("data: LeaseSet2 %s: %w", ls.Hash(), err)
	}
	return nil
}

// Sign serializes ls (options sorted, flags normalized) and signs it with
// s: the transient key if Offline is set, else the Destination's key.
// Afterwards Bytes returns the signed form.
func (ls *LeaseSet2) Sign(s crypto.Signer) error {
	if err := ls.sign(s); err != nil {
		return fmt.Errorf("data: sign LeaseSet2: %w", err)
	}
	return nil
}

func (ls *LeaseSet2) sign(s crypto.Signer) error {
	if err := ls.prepare(); err != nil {
		return err
	}
	// "All LeaseSet2 variants require at least one Lease", and numk >= 1.
	if len(ls.Keys) == 0 {
		return fmt.Errorf("no encryption keys")
	}
	if len(ls.Leases) == 0 {
		return fmt.Errorf("no leases")
	}
	b, err := ls.appendBody(nil)
	if err != nil {
		return err
	}
	sig, raw, err := signLS2(StoreLeaseSet2, &ls.LeaseSet2Header, b, s)
	if err != nil {
		return err
	}
	ls.Signature, ls.raw = sig, raw
	return nil
}

// appendBody appends everything the signature covers after the type byte,
// encoding the fields as they are.
func (ls *LeaseSet2) appendBody(b []byte) ([]byte, error) {
	if len(ls.Keys) > 255 {
		return nil, fmt.Errorf("%d encryption keys, at most 255", len(ls.Keys))
	}
	if len(ls.Leases) > maxLeases {
		return nil, fmt.Errorf("%d leases, at most %d", len(ls.Leases), maxLeases)
	}
	b = ls.LeaseSet2Header.append(b)
	b, err := ls.Options.Append(b)
	if err != nil {
		return nil, err
	}
	b = append(b, byte(len(ls.Keys)))
	for i, k := range ls.Keys {
		if k.Type.Known() && len(k.Key) != k.Type.PubLen() || len(k.Key) > 0xFFFF {
			return nil, fmt.Errorf("key %d: %v key of %d bytes", i, k.Type, len(k.Key))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(k.Type))
		b = binary.BigEndian.AppendUint16(b, uint16(len(k.Key)))
		b = append(b, k.Key...)
	}
	b = append(b, byte(len(ls.Leases)))
	for _, l := range ls.Leases {
		b = l.Append(b)
	}
	return b, nil
}
