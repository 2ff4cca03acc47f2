package data

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Blinding is what a client must know to find and open a Destination's
// EncryptedLeaseSets (encryptedleaseset.rst, "Blinding Calculations",
// "Derivation of subcredentials"): the Destination's signing public key A
// and its type (Ed25519 or RedDSA), plus the optional secret. The full
// Destination is not needed, which is why a b33 address carries only A.
//
// The blinded key A', and with it the netDb key, changes at 00:00 UTC.
type Blinding struct {
	SigType   crypto.SigType // type of A: 7 or 11
	PublicKey []byte         // A
	Secret    string         // "" for none
}

// blindedType is the type of every blinded key: RedDSA.
const blindedType = crypto.SigRedDSASHA512

// BlindingOf returns the Blinding of Destination d with the given secret.
func BlindingOf(d Destination, secret string) Blinding {
	return Blinding{SigType: d.SigType(), PublicKey: d.SigningPublicKey(), Secret: secret}
}

// BlindedKey returns A' for the UTC day of t.
func (b Blinding) BlindedKey(t time.Time) ([]byte, error) {
	k, err := crypto.BlindPublicKey(b.SigType, b.PublicKey, blindedType, crypto.BlindingDate(t), b.Secret)
	if err != nil {
		return nil, fmt.Errorf("data: blinding: %w", err)
	}
	return k, nil
}

// DHTKey returns the netDb key of the EncryptedLeaseSet for the UTC day of
// t: SHA-256(00 0b || A'). Lookups then apply the usual daily routing-key
// rotation on top, as for any other key.
func (b Blinding) DHTKey(t time.Time) (Hash, error) {
	k, err := b.BlindedKey(t)
	if err != nil {
		return Hash{}, err
	}
	return blindedHash(blindedType, k), nil
}

// subcredential is H("subcredential", H("credential", A || stA || stA')
// || A'), mixed into every key of both layers so that only those who know
// A can decrypt.
func (b Blinding) subcredential(blinded []byte) ([32]byte, error) {
	cred, err := crypto.Credential(b.SigType, b.PublicKey, blindedType)
	if err != nil {
		return [32]byte{}, err
	}
	return crypto.Subcredential(cred, blinded)
}

// InnerLeaseSet is what an EncryptedLeaseSet carries (encryptedleaseset.rst,
// "Layer 2 (inner)"): a signed *LeaseSet2 or *MetaLeaseSet. Type-switch on
// it to get at the fields.
type InnerLeaseSet interface {
	StoreType() StoreType
	Bytes() []byte
	Hash() Hash
	Verify() error
	header() *LeaseSet2Header
}

func (ls *LeaseSet2) header() *LeaseSet2Header    { return &ls.LeaseSet2Header }
func (ls *MetaLeaseSet) header() *LeaseSet2Header { return &ls.LeaseSet2Header }

// EncryptOptions are the cleartext fields and choices for EncryptLeaseSet.
type EncryptOptions struct {
	// Published is the outer published time. It also picks the UTC day
	// whose blinded key is used. Java and i2pd copy the inner LeaseSet's.
	Published Seconds
	// Expires is the outer expiry offset. The blinded key changes at
	// midnight UTC, so i2pd never lets it run past the next midnight.
	Expires     uint16
	Unpublished bool
	Secret      string
	// Auth restricts decryption to the listed clients; nil lets everyone
	// who knows A (and Secret) decrypt.
	Auth *Authorization
	Rand io.Reader // nil means crypto/rand.Reader
}

// EncryptLeaseSet blinds, encrypts and signs inner for publication, with
// dest the Destination's own (unblinded) signing key, of type 7 or 11.
// inner must be signed and belong to that Destination; it usually has
// FlagBlindedWhenPublished set. For offline keys, build the
// EncryptedLeaseSet by hand, then call Seal and Sign with the transient key.
func EncryptLeaseSet(dest crypto.Signer, inner InnerLeaseSet, o EncryptOptions) (*EncryptedLeaseSet, error) {
	date := crypto.BlindingDate(o.Published.Time())
	priv := dest.Private()
	defer clear(priv)
	bpriv, err := crypto.BlindPrivateKey(dest.Type(), priv, blindedType, date, o.Secret)
	if err != nil {
		return nil, fmt.Errorf("data: encrypt LeaseSet: %w", err)
	}
	defer clear(bpriv)
	bs, err := crypto.NewSigner(blindedType, bpriv)
	if err != nil {
		return nil, fmt.Errorf("data: encrypt LeaseSet: %w", err)
	}
	e := &EncryptedLeaseSet{
		BlindedType: blindedType,
		BlindedKey:  bs.Public(),
		Published:   o.Published,
		Expires:     o.Expires,
	}
	if o.Unpublished {
		e.Flags |= FlagUnpublished
	}
	b := Blinding{SigType: dest.Type(), PublicKey: dest.Public(), Secret: o.Secret}
	if err := e.Seal(b, inner, o.Auth, o.Rand); err != nil {
		return nil, err
	}
	if err := e.Sign(bs); err != nil {
		return nil, err
	}
	return e, nil
}

// Seal encrypts inner into e.Ciphertext for the Destination described by
// b. e.Published must be set, and e.BlindedKey must be b's blinded key for
// that day. e must be signed afterwards.
func (e *EncryptedLeaseSet) Seal(b Blinding, inner InnerLeaseSet, auth *Authorization, rand io.Reader) error {
	if err := e.seal(b, inner, auth, rand); err != nil {
		return fmt.Errorf("data: seal EncryptedLeaseSet: %w", err)
	}
	return nil
}

func (e *EncryptedLeaseSet) seal(b Blinding, inner InnerLeaseSet, auth *Authorization, rand io.Reader) error {
	if inner == nil || len(inner.Bytes()) == 0 {
		return fmt.Errorf("inner LeaseSet is not signed")
	}
	d := inner.header().Destination
	if d.SigType() != b.SigType || !bytes.Equal(d.SigningPublicKey(), b.PublicKey) {
		return fmt.Errorf("inner LeaseSet belongs to another Destination")
	}
	subcred, err := e.checkBlinding(b)
	if err != nil {
		return err
	}
	pt := make([]byte, 0, 1+len(inner.Bytes()))
	pt = append(append(pt, byte(inner.StoreType())), inner.Bytes()...)
	ct, err := sealLayers(pt, subcred, e.Published, auth, rand)
	if err != nil {
		return err
	}
	e.Ciphertext, e.Signature, e.raw = ct, nil, nil
	return nil
}

// checkBlinding makes sure e's blinded key is b's for e's day and returns
// the subcredential.
func (e *EncryptedLeaseSet) checkBlinding(b Blinding) ([32]byte, error) {
	if e.BlindedType != blindedType {
		return [32]byte{}, fmt.Errorf("blinded key type %v, only %v is defined", e.BlindedType, blindedType)
	}
	want, err := b.BlindedKey(e.Published.Time())
	if err != nil {
		return [32]byte{}, err
	}
	if !bytes.Equal(want, e.BlindedKey) {
		return [32]byte{}, fmt.Errorf("blinded key is not this Destination's for %s (wrong key or secret)",
			crypto.BlindingDate(e.Published.Time()))
	}
	return b.subcredential(e.BlindedKey)
}

// Decrypt verifies e's outer signature, opens both layers for the
// Destination described by b, and parses and verifies the inner
// LeaseSet2 or MetaLeaseSet, which must belong to that Destination. key is
// needed (and must match the scheme) when the server authorizes clients
// individually; nil otherwise.
//
// The inner published and expires times are not compared with the outer
// ones: the spec suggests checking they match, but i2pd publishes the
// outer with its own time and caps its expiry at midnight UTC.
func (e *EncryptedLeaseSet) Decrypt(b Blinding, key *ClientKey) (InnerLeaseSet, error) {
	in, err := e.decrypt(b, key)
	if err != nil {
		return nil, fmt.Errorf("data: decrypt EncryptedLeaseSet %s: %w", e.Hash(), err)
	}
	return in, nil
}

func (e *EncryptedLeaseSet) decrypt(b Blinding, key *ClientKey) (InnerLeaseSet, error) {
	if err := e.verify(); err != nil {
		return nil, err
	}
	subcred, err := e.checkBlinding(b)
	if err != nil {
		return nil, err
	}
	pt, err := openLayers(e.Ciphertext, subcred, e.Published, key)
	if err != nil {
		return nil, err
	}
	in, err := parseInner(pt)
	if err != nil {
		return nil, err
	}
	d := in.header().Destination
	if d.SigType() != b.SigType || !bytes.Equal(d.SigningPublicKey(), b.PublicKey) {
		return nil, fmt.Errorf("inner LeaseSet %s is not from the blinded Destination", in.Hash())
	}
	if err := in.Verify(); err != nil {
		return nil, err
	}
	return in, nil
}

// parseInner parses the layer 2 plaintext: the store type byte, then a
// LeaseSet2 (3) or MetaLeaseSet (7).
func parseInner(pt []byte) (InnerLeaseSet, error) {
	if len(pt) == 0 {
		return nil, perr("EncryptedLeaseSet", "inner", ErrTruncated)
	}
	switch StoreType(pt[0]) {
	case StoreLeaseSet2:
		ls, err := ParseLeaseSet2(pt[1:])
		if err != nil {
			return nil, perr("EncryptedLeaseSet", "inner", err)
		}
		return ls, nil
	case StoreMetaLeaseSet:
		ls, err := ParseMetaLeaseSet(pt[1:])
		if err != nil {
			return nil, perr("EncryptedLeaseSet", "inner", err)
		}
		return ls, nil
	}
	// With a wrong key the whole plaintext is noise, so this is the usual
	// symptom of a wrong secret, client key or subcredential.
	return nil, perr("EncryptedLeaseSet", "inner", invalidf("store type %d (wrong key?)", pt[0]))
}
