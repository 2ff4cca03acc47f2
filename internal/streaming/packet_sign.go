package streaming

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Signatures (streaming.rst, SIGNATURE_INCLUDED): the signer signs the
// whole packet, header and payload, with the signature's own bytes set to
// zero. A destination with offline keys signs with its transient key and
// sends the offline block (OFFLINE_SIGNATURE) with FROM, so the peer
// learns the transient key from the SYN and checks later signatures
// (CLOSE, RESET) against it.

// ErrSignature is wrapped by signature failures.
var ErrSignature = errors.New("streaming: bad signature")

// identity is the local destination as streaming needs it.
type identity struct {
	dest    data.Destination
	hash    data.Hash
	signer  crypto.Signer
	offline *data.OfflineSignature // nil without offline keys
}

// newIdentity reads keys.
func newIdentity(keys *keyfile.PrivateKeys) (*identity, error) {
	if keys == nil {
		return nil, fmt.Errorf("streaming: no keys")
	}
	signer, err := keys.Signer()
	if err != nil {
		return nil, fmt.Errorf("streaming: signer: %w", err)
	}
	id := &identity{dest: keys.Identity, hash: keys.Identity.Hash(), signer: signer}
	if o := keys.Offline; o != nil {
		id.offline = &data.OfflineSignature{Expires: data.Seconds(o.Expires), TransientType: o.TransientType,
			TransientKey: o.TransientPublic, Signature: o.Signature}
	}
	return id, nil
}

// withFrom adds FROM (and the offline block, if any) to p.
func (id *identity) withFrom(p *Packet) {
	p.Flags |= FlagFromIncluded
	p.From = id.dest
	if id.offline != nil {
		p.Flags |= FlagOfflineSignature
		p.Offline = *id.offline
	}
}

// sign sets SIGNATURE_INCLUDED and returns the wire form of p signed.
func (id *identity) sign(p *Packet) ([]byte, error) {
	n := id.signer.Type().SigLen()
	p.Flags |= FlagSignatureIncluded
	p.Signature = make([]byte, n)
	b, err := p.Append(nil)
	if err != nil {
		return nil, err
	}
	sig, err := id.signer.Sign(b)
	if err != nil {
		return nil, fmt.Errorf("streaming: sign: %w", err)
	}
	copy(b[len(b)-len(p.Payload)-n:], sig)
	p.Signature = sig
	return b, nil
}

// verifier is a remote's signing key: its destination's, or the transient
// key its offline block certifies.
type verifier struct {
	typ crypto.SigType
	key []byte
}

// fromVerifier returns the key that signs for p's FROM destination,
// checking its offline block at now.
func fromVerifier(p *Packet, now time.Time) (verifier, error) {
	if !p.Has(FlagFromIncluded) {
		return verifier{}, fmt.Errorf("%w: no FROM", ErrSignature)
	}
	v := verifier{typ: p.From.SigType(), key: p.From.SigningPublicKey()}
	if p.Has(FlagOfflineSignature) {
		if err := p.Offline.Verify(v.typ, v.key); err != nil {
			return verifier{}, fmt.Errorf("%w: %v", ErrSignature, err)
		}
		if p.Offline.Expired(now) {
			return verifier{}, fmt.Errorf("%w: offline signature expired", ErrSignature)
		}
		v = verifier{typ: p.Offline.TransientType, key: p.Offline.TransientKey}
	}
	return v, nil
}

// verify checks the signature of a parsed packet.
func (v verifier) verify(p *Packet) error {
	if !p.Has(FlagSignatureIncluded) {
		return fmt.Errorf("%w: not signed", ErrSignature)
	}
	if p.raw == nil {
		return fmt.Errorf("%w: not a parsed packet", ErrSignature)
	}
	if n := v.typ.SigLen(); n <= 0 || len(p.Signature) != n {
		return fmt.Errorf("%w: %d bytes for a %v signature", ErrSignature, len(p.Signature), v.typ)
	}
	msg := bytes.Clone(p.raw)
	clear(msg[p.sigAt : p.sigAt+len(p.Signature)])
	if err := crypto.Verify(v.typ, v.key, msg, p.Signature); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}
