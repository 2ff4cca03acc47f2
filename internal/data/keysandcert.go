package data

import (
	"fmt"
	"io"

	"github.com/veil-i2p/veil/internal/crypto"
)

// KeysAndCert is the body of a RouterIdentity or Destination
// (common-structures.rst, "KeysAndCert"): 256 bytes of encryption key
// field, 128 bytes of signing key field, then a Certificate. Short keys
// are left-aligned (encryption) or right-aligned (signing) with padding
// between; keys longer than their field spill into the KEY certificate.
//
// The exact bytes are kept: the identity hash is SHA-256 of all of them,
// padding included.
type KeysAndCert struct {
	raw     []byte
	cert    Certificate
	sigType crypto.SigType
	encType crypto.EncType
	encKey  []byte
	sigKey  []byte
}

// RouterIdentity identifies a router; Destination identifies a client.
// Both are KeysAndCert on the wire.
type (
	RouterIdentity = KeysAndCert
	Destination    = KeysAndCert
)

const (
	keysBodyLen  = 384
	encFieldLen  = 256
	sigFieldLen  = 128
	minKACLen    = keysBodyLen + 3
	maxDestBytes = keysBodyLen + 3 + 65535
)

// ParseKeysAndCert parses a KeysAndCert at the start of b and returns the
// rest.
func ParseKeysAndCert(b []byte) (KeysAndCert, []byte, error) {
	r := &reader{b: b}
	k, err := r.keysAndCert()
	if err != nil {
		return KeysAndCert{}, nil, perr("KeysAndCert", "", err)
	}
	return k, r.rest(), nil
}

func (r *reader) keysAndCert() (KeysAndCert, error) {
	start := r.off
	body, err := r.bytes(keysBodyLen)
	if err != nil {
		return KeysAndCert{}, err
	}
	cert, err := r.certificate()
	if err != nil {
		return KeysAndCert{}, fmt.Errorf("certificate: %w", err)
	}
	k := KeysAndCert{raw: r.b[start:r.off:r.off], cert: cert}
	k.sigType, k.encType = cert.KeyTypes()
	if !k.sigType.Known() {
		return KeysAndCert{}, invalidf("unknown signing key type %d", uint16(k.sigType))
	}
	if !k.encType.Known() {
		return KeysAndCert{}, invalidf("unknown encryption key type %d", uint16(k.encType))
	}
	sigLen, encLen := k.sigType.PubLen(), k.encType.PubLen()
	var excess []byte
	if cert.Type == CertKey {
		excess = cert.Payload[4:]
	}
	sigExcess := max(0, sigLen-sigFieldLen)
	encExcess := max(0, encLen-encFieldLen)
	if len(excess) != sigExcess+encExcess {
		return KeysAndCert{}, invalidf("KEY certificate has %d excess key bytes, types %v/%v need %d",
			len(excess), k.sigType, k.encType, sigExcess+encExcess)
	}
	if sigExcess > 0 {
		k.sigKey = append(append([]byte(nil), body[encFieldLen:]...), excess[:sigExcess]...)
	} else {
		k.sigKey = body[keysBodyLen-sigLen : keysBodyLen : keysBodyLen]
	}
	if encExcess > 0 {
		k.encKey = append(append([]byte(nil), body[:encFieldLen]...), excess[sigExcess:]...)
	} else {
		k.encKey = body[:encLen:encLen]
	}
	return k, nil
}

// NewKeysAndCert builds a KeysAndCert for the given keys. Unused space is
// filled as proposal 161 asks: one 32-byte random block repeated, so the
// structure compresses well yet stays unpredictable.
//
// A nil encPub leaves the encryption field unused, as a Destination's has
// been since 0.6 (its LeaseSet carries the keys): it is filled with the
// same block, 11 copies for an Ed25519 destination (proposal 161), and the
// certificate still names et, normally ElGamal.
func NewKeysAndCert(et crypto.EncType, encPub []byte, st crypto.SigType, sigPub []byte, rand io.Reader) (KeysAndCert, error) {
	if !et.Known() {
		return KeysAndCert{}, fmt.Errorf("data: new identity: unknown encryption type %v", et)
	}
	if encPub != nil && len(encPub) != et.PubLen() {
		return KeysAndCert{}, fmt.Errorf("data: new identity: %v key of %d bytes, want %d", et, len(encPub), et.PubLen())
	}
	if !st.Known() || len(sigPub) != st.PubLen() {
		return KeysAndCert{}, fmt.Errorf("data: new identity: %v key of %d bytes, want %d", st, len(sigPub), st.PubLen())
	}
	var pad [32]byte
	if _, err := io.ReadFull(rand, pad[:]); err != nil {
		return KeysAndCert{}, fmt.Errorf("data: new identity: padding: %w", err)
	}
	body := make([]byte, keysBodyLen)
	for i := 0; i < keysBodyLen; i += len(pad) {
		copy(body[i:], pad[:])
	}
	var excess []byte
	copy(body, encPub) // left-aligned; longer keys spill below
	if len(sigPub) > sigFieldLen {
		copy(body[encFieldLen:], sigPub[:sigFieldLen])
		excess = append(excess, sigPub[sigFieldLen:]...)
	} else {
		copy(body[keysBodyLen-len(sigPub):], sigPub)
	}
	if len(encPub) > encFieldLen {
		excess = append(excess, encPub[encFieldLen:]...)
	}
	cert := Certificate{Type: CertNull}
	if st != crypto.SigDSASHA1 || et != crypto.EncElGamal {
		cert = NewKeyCertificate(st, et, excess)
	}
	raw := cert.Append(body)
	k, _, err := ParseKeysAndCert(raw)
	return k, err
}

// Bytes returns the exact wire bytes. The caller must not modify them.
func (k KeysAndCert) Bytes() []byte { return k.raw }

// Len is the wire length.
func (k KeysAndCert) Len() int { return len(k.raw) }

// Hash is SHA-256 of the whole structure: the router or destination hash.
func (k KeysAndCert) Hash() Hash { return HashOf(k.raw) }

// SigType is the signing key type.
func (k KeysAndCert) SigType() crypto.SigType { return k.sigType }

// EncType is the encryption key type.
func (k KeysAndCert) EncType() crypto.EncType { return k.encType }

// SigningPublicKey returns the signing public key.
func (k KeysAndCert) SigningPublicKey() []byte { return k.sigKey }

// EncryptionPublicKey returns the encryption public key (for a
// Destination with a LeaseSet2 this field is unused random bytes).
func (k KeysAndCert) EncryptionPublicKey() []byte { return k.encKey }

// Certificate returns the certificate.
func (k KeysAndCert) Certificate() Certificate { return k.cert }

// IsZero reports whether k is the zero value.
func (k KeysAndCert) IsZero() bool { return len(k.raw) == 0 }

// Verify checks sig over msg with k's signing key.
func (k KeysAndCert) Verify(msg, sig []byte) error {
	return crypto.Verify(k.sigType, k.sigKey, msg, sig)
}
