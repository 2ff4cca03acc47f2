package data

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// EncryptedLeaseSet is DatabaseStore type 5 (common-structures.rst,
// "EncryptedLeaseSet"; encryptedleaseset.rst, "Layer 0 (outer)"): a
// LeaseSet2 or MetaLeaseSet hidden under two encryption layers, stored
// under a blinded key that changes every UTC day so that the netDb cannot
// link it to the Destination.
//
// Only the outer layer is here; see Seal, Decrypt and EncryptLeaseSet for
// the layers. The wire form is: blinded sig type (2), blinded public key,
// published (4), expires (2), flags (2), optional OfflineSignature (signed
// by the blinded key), len (2), outer ciphertext, and a signature over
// 0x05 || everything before it, by the blinded key or the transient one.
// It does not use the LeaseSet2Header.
//
// A parsed EncryptedLeaseSet keeps its exact bytes, which Bytes returns;
// Sign rebuilds them from the fields.
type EncryptedLeaseSet struct {
	// BlindedType is RedDSA (11) for every blinded key veil makes or
	// decrypts ("This will always be type 11"); other known types parse,
	// so that floodfills can store what peers publish.
	BlindedType crypto.SigType
	BlindedKey  []byte
	Published   Seconds
	Expires     uint16 // offset from Published; about 660 s unless it carries a Meta
	// Flags: bit 0 offline keys (Sign derives it from Offline), bit 1
	// unpublished; bits 15–2 are reserved.
	Flags   uint16
	Offline *OfflineSignature
	// Ciphertext is outerCiphertext: a 32-byte salt then the ChaCha20
	// encrypted layer 1.
	Ciphertext []byte
	Signature  []byte

	raw []byte
}

// els2KnownFlags are the outer flag bits defined so far.
const els2KnownFlags = FlagOfflineKeys | FlagUnpublished

// ParseEncryptedLeaseSet parses a whole EncryptedLeaseSet (without the
// store type byte); trailing bytes are an error. The result aliases b.
// It checks structure only: see Verify and Decrypt.
func ParseEncryptedLeaseSet(b []byte) (*EncryptedLeaseSet, error) {
	const st = "EncryptedLeaseSet"
	if len(b) > maxLeaseSetLen {
		return nil, perr(st, "", invalidf("%d bytes exceeds %d", len(b), maxLeaseSetLen))
	}
	r := &reader{b: b}
	e := &EncryptedLeaseSet{}
	t, err := r.u16()
	if err != nil {
		return nil, perr(st, "blinded type", err)
	}
	e.BlindedType = crypto.SigType(t)
	if !e.BlindedType.Known() {
		return nil, perr(st, "blinded type", invalidf("unknown sig type %d", t))
	}
	if e.BlindedKey, err = r.bytes(e.BlindedType.PubLen()); err != nil {
		return nil, perr(st, "blinded key", err)
	}
	pub, err := r.u32()
	if err != nil {
		return nil, perr(st, "published", err)
	}
	e.Published = Seconds(pub)
	if e.Expires, err = r.u16(); err != nil {
		return nil, perr(st, "expires", err)
	}
	if e.Flags, err = r.u16(); err != nil {
		return nil, perr(st, "flags", err)
	}
	if e.Flags&FlagOfflineKeys != 0 {
		// The offline signature here is made by the blinded key, not by a
		// Destination (encryptedleaseset.rst, "Transient key data").
		o, err := r.offlineSignature(e.BlindedType)
		if err != nil {
			return nil, perr(st, "offline signature", err)
		}
		e.Offline = &o
	}
	n, err := r.u16()
	if err != nil {
		return nil, perr(st, "length", err)
	}
	if n == 0 { // "value: 1 <= num"
		return nil, perr(st, "length", invalidf("empty ciphertext"))
	}
	if e.Ciphertext, err = r.bytes(int(n)); err != nil {
		return nil, perr(st, "ciphertext", err)
	}
	sigType, _ := e.signingKey()
	if e.Signature, err = r.bytes(sigType.SigLen()); err != nil {
		return nil, perr(st, "signature", err)
	}
	if r.remaining() != 0 {
		return nil, perr(st, "", invalidf("%d trailing bytes", r.remaining()))
	}
	e.raw = b[:r.off:r.off]
	return e, nil
}

// signingKey is the transient key with offline keys, else the blinded key.
func (e *EncryptedLeaseSet) signingKey() (crypto.SigType, []byte) {
	if e.Offline != nil {
		return e.Offline.TransientType, e.Offline.TransientKey
	}
	return e.BlindedType, e.BlindedKey
}

// Bytes returns the exact wire bytes (without the store type byte) of a
// parsed or signed EncryptedLeaseSet. The caller must not modify them.
func (e *EncryptedLeaseSet) Bytes() []byte { return e.raw }

// StoreType is StoreEncryptedLeaseSet.
func (e *EncryptedLeaseSet) StoreType() StoreType { return StoreEncryptedLeaseSet }

// Expiration is Published + Expires.
func (e *EncryptedLeaseSet) Expiration() time.Time {
	return e.Published.Time().Add(time.Duration(e.Expires) * time.Second)
}

// Unpublished reports flag bit 1.
func (e *EncryptedLeaseSet) Unpublished() bool { return e.Flags&FlagUnpublished != 0 }

// Hash is the netDb key: SHA-256 of the 2-byte blinded sig type and the
// blinded public key (encryptedleaseset.rst, "DHT storage location";
// network-database.html's "type byte (3)" wording is stale).
func (e *EncryptedLeaseSet) Hash() Hash { return blindedHash(e.BlindedType, e.BlindedKey) }

func blindedHash(t crypto.SigType, key []byte) Hash {
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint16(nil, uint16(t)))
	h.Write(key)
	var out Hash
	h.Sum(out[:0])
	return out
}

// Verify checks the offline signature (made by the blinded key), if any,
// and the outer signature over the exact bytes. It cannot see inside:
// floodfills store on this check alone. It does not look at the clock.
func (e *EncryptedLeaseSet) Verify() error {
	if err := e.verify(); err != nil {
		return fmt.Errorf("data: EncryptedLeaseSet %s: %w", e.Hash(), err)
	}
	return nil
}

func (e *EncryptedLeaseSet) verify() error {
	if len(e.raw) == 0 {
		return fmt.Errorf("not serialized")
	}
	if e.Offline != nil {
		if err := e.Offline.Verify(e.BlindedType, e.BlindedKey); err != nil {
			return err
		}
	}
	msg := make([]byte, 0, len(e.raw)+1-len(e.Signature))
	msg = append(append(msg, byte(StoreEncryptedLeaseSet)), e.raw[:len(e.raw)-len(e.Signature)]...)
	st, pub := e.signingKey()
	return crypto.Verify(st, pub, msg, e.Signature)
}

// Sign serializes e and signs it with s: the transient key if Offline is
// set, else the blinded private key. Afterwards Bytes returns the signed
// form. Ciphertext must be set (see Seal).
func (e *EncryptedLeaseSet) Sign(s crypto.Signer) error {
	if err := e.sign(s); err != nil {
		return fmt.Errorf("data: sign EncryptedLeaseSet: %w", err)
	}
	return nil
}

func (e *EncryptedLeaseSet) sign(s crypto.Signer) error {
	if !e.BlindedType.Known() || len(e.BlindedKey) != e.BlindedType.PubLen() {
		return fmt.Errorf("blinded %v key of %d bytes", e.BlindedType, len(e.BlindedKey))
	}
	f := e.Flags &^ FlagOfflineKeys
	if e.Offline != nil {
		f |= FlagOfflineKeys
		if err := e.Offline.Verify(e.BlindedType, e.BlindedKey); err != nil {
			return err
		}
	}
	if f&^els2KnownFlags != 0 {
		return fmt.Errorf("reserved flag bits %#04x set", f&^els2KnownFlags)
	}
	if len(e.Ciphertext) == 0 || len(e.Ciphertext) > 0xFFFF {
		return fmt.Errorf("ciphertext of %d bytes, want 1–65535", len(e.Ciphertext))
	}
	st, pub := e.signingKey()
	if err := checkSigner(s, st, pub); err != nil {
		return err
	}
	e.Flags = f
	b := make([]byte, 0, 1+2+len(e.BlindedKey)+8+len(e.Ciphertext)+2+st.SigLen())
	b = e.appendBody(append(b, byte(StoreEncryptedLeaseSet)))
	sig, err := s.Sign(b)
	if err != nil {
		return err
	}
	e.Signature = sig
	e.raw = append(b, sig...)[1:]
	return nil
}

// appendBody appends everything the signature covers after the type byte,
// encoding the fields as they are.
func (e *EncryptedLeaseSet) appendBody(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(e.BlindedType))
	b = append(b, e.BlindedKey...)
	b = binary.BigEndian.AppendUint32(b, uint32(e.Published))
	b = binary.BigEndian.AppendUint16(b, e.Expires)
	b = binary.BigEndian.AppendUint16(b, e.Flags)
	if e.Offline != nil {
		b = e.Offline.Append(b)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Ciphertext)))
	return append(b, e.Ciphertext...)
}
