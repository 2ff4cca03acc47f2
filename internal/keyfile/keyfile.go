package keyfile

import (
	"bytes"
	"crypto/ecdh"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
)

// ErrFormat is wrapped by every parse error of this package.
var ErrFormat = errors.New("keyfile: malformed private keys")

// paddedEncPrivLen is the 256-byte encryption private key field of older
// writers, which put shorter keys at its start.
const paddedEncPrivLen = 256

// PrivateKeys is a router's or destination's identity with its private
// keys.
type PrivateKeys struct {
	Identity   data.KeysAndCert
	EncPrivate []byte // the key itself, EncType().PrivLen() bytes
	SigPrivate []byte // SigType().PrivLen() bytes; zero if Offline != nil
	Offline    *Offline
}

// Offline holds an offline signature and the transient key it certifies
// (common-structures.rst, "OfflineSignature").
type Offline struct {
	Expires          uint32 // seconds since the epoch
	TransientType    crypto.SigType
	TransientPublic  []byte
	Signature        []byte // by the identity's signing key
	TransientPrivate []byte
}

// Parse reads a private keys file in i2pd's or Java's layout.
func Parse(b []byte) (*PrivateKeys, error) {
	id, rest, err := data.ParseKeysAndCert(b)
	if err != nil {
		return nil, fmt.Errorf("%w: identity: %w", ErrFormat, err)
	}
	et, st := id.EncType(), id.SigType()
	encLen := et.PrivLen()
	sigLen := st.PrivLen()
	if encLen == 0 && et != crypto.EncNone || sigLen == 0 {
		return nil, fmt.Errorf("%w: unsupported key types %v/%v", ErrFormat, st, et)
	}
	pk, err := parseWith(id, rest, encLen, encLen, sigLen)
	if err == nil || encLen == paddedEncPrivLen {
		return pk, err
	}
	// Some older writers pad the key into a 256-byte field. Accept that
	// layout only without an offline section, where zero padding of one
	// layout could otherwise read as an offline section of the other.
	if len(rest) == paddedEncPrivLen+sigLen && !isZero(rest[paddedEncPrivLen:]) {
		return parseWith(id, rest, paddedEncPrivLen, encLen, sigLen)
	}
	return nil, err
}

func parseWith(id data.KeysAndCert, b []byte, field, encLen, sigLen int) (*PrivateKeys, error) {
	if len(b) < field+sigLen {
		return nil, fmt.Errorf("%w: %d bytes after identity, need %d", ErrFormat, len(b), field+sigLen)
	}
	pk := &PrivateKeys{
		Identity:   id,
		EncPrivate: bytes.Clone(b[:encLen]),
		SigPrivate: bytes.Clone(b[field : field+sigLen]),
	}
	rest := b[field+sigLen:]
	if isZero(pk.SigPrivate) {
		off, n, err := parseOffline(rest, id.SigType())
		if err != nil {
			return nil, err
		}
		pk.Offline, rest = off, rest[n:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrFormat, len(rest))
	}
	return pk, nil
}

func parseOffline(b []byte, idType crypto.SigType) (*Offline, int, error) {
	if len(b) < 6 {
		return nil, 0, fmt.Errorf("%w: offline section truncated", ErrFormat)
	}
	o := &Offline{
		Expires:       binary.BigEndian.Uint32(b),
		TransientType: crypto.SigType(binary.BigEndian.Uint16(b[4:])),
	}
	tt := o.TransientType
	if !tt.Known() {
		return nil, 0, fmt.Errorf("%w: offline transient type %v", ErrFormat, tt)
	}
	need := 6 + tt.PubLen() + idType.SigLen() + tt.PrivLen()
	if len(b) < need {
		return nil, 0, fmt.Errorf("%w: offline section truncated", ErrFormat)
	}
	off := 6
	o.TransientPublic = bytes.Clone(b[off : off+tt.PubLen()])
	off += tt.PubLen()
	o.Signature = bytes.Clone(b[off : off+idType.SigLen()])
	off += idType.SigLen()
	o.TransientPrivate = bytes.Clone(b[off : off+tt.PrivLen()])
	return o, need, nil
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Bytes serializes pk as i2pd 2.45 and Java write it: each private key at
// its own length.
func (pk *PrivateKeys) Bytes() []byte {
	b := bytes.Clone(pk.Identity.Bytes())
	b = append(b, pk.EncPrivate...)
	sig := make([]byte, pk.Identity.SigType().PrivLen())
	if pk.Offline == nil {
		copy(sig, pk.SigPrivate)
	}
	b = append(b, sig...)
	if o := pk.Offline; o != nil {
		b = binary.BigEndian.AppendUint32(b, o.Expires)
		b = binary.BigEndian.AppendUint16(b, uint16(o.TransientType))
		b = append(b, o.TransientPublic...)
		b = append(b, o.Signature...)
		b = append(b, o.TransientPrivate...)
	}
	return b
}

// Signer returns the key that signs for this identity: the transient key
// when offline keys are in use.
func (pk *PrivateKeys) Signer() (crypto.Signer, error) {
	if pk.Offline != nil {
		return crypto.NewSigner(pk.Offline.TransientType, pk.Offline.TransientPrivate)
	}
	return crypto.NewSigner(pk.Identity.SigType(), pk.SigPrivate)
}

// Check verifies that the private keys match the identity's public keys,
// for the types veil can derive public keys of.
func (pk *PrivateKeys) Check() error {
	if pk.Offline == nil {
		s, err := crypto.NewSigner(pk.Identity.SigType(), pk.SigPrivate)
		if err == nil && !bytes.Equal(s.Public(), pk.Identity.SigningPublicKey()) {
			return fmt.Errorf("keyfile: signing private key does not match the identity")
		}
	}
	if pk.Identity.EncType() == crypto.EncX25519 {
		pub, err := x25519Public(pk.EncPrivate)
		if err != nil {
			return fmt.Errorf("keyfile: encryption key: %w", err)
		}
		if !bytes.Equal(pub, pk.Identity.EncryptionPublicKey()) {
			return fmt.Errorf("keyfile: encryption private key does not match the identity")
		}
	}
	return nil
}

func x25519Public(priv []byte) ([]byte, error) {
	k, err := ecdh.X25519().NewPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return k.PublicKey().Bytes(), nil
}

// GenerateRouter makes a new router identity: X25519 encryption and
// Ed25519 signing keys, the only combination current peers accept.
func GenerateRouter(rand io.Reader) (*PrivateKeys, error) {
	return Generate(crypto.SigEdDSASHA512, crypto.EncX25519, rand)
}

// Generate makes a new identity with the given types. Supported: signing
// types veil can sign with (Ed25519, RedDSA); encryption X25519 or
// ElGamal (i2pd's default for tunnel keys files).
func Generate(st crypto.SigType, et crypto.EncType, rand io.Reader) (*PrivateKeys, error) {
	signer, err := crypto.GenerateSigner(st, rand)
	if err != nil {
		return nil, fmt.Errorf("keyfile: generate: %w", err)
	}
	var encPub, encPriv []byte
	switch et {
	case crypto.EncX25519:
		k, err := ecdh.X25519().GenerateKey(rand)
		if err != nil {
			return nil, fmt.Errorf("keyfile: generate: %w", err)
		}
		encPriv, encPub = k.Bytes(), k.PublicKey().Bytes()
	case crypto.EncElGamal:
		if encPriv, encPub, err = crypto.GenerateElGamal(rand); err != nil {
			return nil, fmt.Errorf("keyfile: generate: %w", err)
		}
	default:
		return nil, fmt.Errorf("keyfile: generate: encryption type %v not supported", et)
	}
	id, err := data.NewKeysAndCert(et, encPub, st, signer.Public(), rand)
	if err != nil {
		return nil, fmt.Errorf("keyfile: generate: %w", err)
	}
	return &PrivateKeys{Identity: id, EncPrivate: encPriv, SigPrivate: signer.Private()}, nil
}
