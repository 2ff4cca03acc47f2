package client

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Encrypted LeaseSets (encryptedleaseset.rst; i2pd's i2cp.leaseSetType =
// 5): instead of its LeaseSet2, a destination publishes an
// EncryptedLeaseSet stored under the hash of its signing key blinded for
// the UTC day, so floodfills cannot tell whose it is. Clients need its b33
// address (the unblinded signing key) to find and decrypt it, and, with
// per-client authorization, their own key. The inner LeaseSet2 carries the
// "blinded when published" flag and is what rides along in garlic to
// peers, as the spec's notes suggest. Lookups of b33 addresses are in
// encrypted_lookup.go.

// EncryptedConfig makes a destination publish an EncryptedLeaseSet.
type EncryptedConfig struct {
	// Auth is data.AuthNone (everyone who knows the b33 address),
	// data.AuthDH or data.AuthPSK.
	Auth data.AuthScheme
	// Clients are the authorized clients' X25519 public keys (AuthDH) or
	// pre-shared keys (AuthPSK), 32 bytes each.
	Clients [][]byte
	// Secret is an optional extra secret a client must know (Java's
	// i2cp.leaseSetSecret; i2pd 2.45 has none).
	Secret string
}

// encState is a destination's share of the encrypted-LeaseSet work: what
// it publishes, its key for others' per-client LeaseSets, and the remote
// destinations it knows by b33 address only.
type encState struct {
	publish   *EncryptedConfig // nil: a plain LeaseSet2
	b33       string           // our b33 address when publish is set
	clientKey []byte           // i2cp.leaseSetPrivKey: X25519 private key or PSK

	mu      sync.Mutex
	remotes map[data.Hash]b33Remote // by Destination hash
}

// maxB33Remotes bounds the destinations remembered by b33 address.
const maxB33Remotes = 1024

// newEncState checks cfg against the destination's keys.
func newEncState(keys *keyfile.PrivateKeys, cfg Config) (*encState, error) {
	s := &encState{remotes: make(map[data.Hash]b33Remote)}
	if k := cfg.ClientKey; k != nil {
		if len(k) != 32 {
			return nil, fmt.Errorf("client: LeaseSet client key of %d bytes, want 32", len(k))
		}
		s.clientKey = append([]byte(nil), k...)
	}
	e := cfg.Encrypted
	if e == nil {
		return s, nil
	}
	st := keys.Identity.SigType()
	if st != crypto.SigEdDSASHA512 && st != crypto.SigRedDSASHA512 {
		return nil, fmt.Errorf("client: an encrypted LeaseSet needs an Ed25519 or RedDSA destination, not %v", st)
	}
	if keys.Offline != nil {
		// The blinded key is derived from the destination's private key,
		// which an offline-keys file does not hold.
		return nil, errors.New("client: an encrypted LeaseSet needs the destination's signing key, not offline keys")
	}
	switch e.Auth {
	case data.AuthNone:
		if len(e.Clients) != 0 {
			return nil, errors.New("client: encrypted LeaseSet clients listed without an authorization scheme")
		}
	case data.AuthDH, data.AuthPSK:
		if len(e.Clients) == 0 || len(e.Clients) > 0xFFFF {
			return nil, fmt.Errorf("client: encrypted LeaseSet with %v authorization and %d clients", e.Auth, len(e.Clients))
		}
		for i, c := range e.Clients {
			if len(c) != 32 {
				return nil, fmt.Errorf("client: encrypted LeaseSet client %d: %d bytes, want 32", i, len(c))
			}
		}
	default:
		return nil, fmt.Errorf("client: unknown encrypted LeaseSet authorization %v", e.Auth)
	}
	b33, err := data.EncodeB33(st, crypto.SigRedDSASHA512, keys.Identity.SigningPublicKey(),
		data.B33Flags{Secret: e.Secret != "", PerClientAuth: e.Auth != data.AuthNone})
	if err != nil {
		return nil, err
	}
	c := *e
	s.publish, s.b33 = &c, b33
	return s, nil
}

// B33 is the destination's b33 address ("….b32.i2p", 56 characters before
// the suffix) when it publishes an EncryptedLeaseSet, else "".
func (d *Destination) B33() string { return d.enc.b33 }

// Encrypted reports whether the destination publishes an EncryptedLeaseSet.
func (d *Destination) Encrypted() bool { return d.enc.publish != nil }

// newDay reports whether the UTC day changed between the last publication
// and now: an EncryptedLeaseSet must then be blinded again.
func (s *encState) newDay(last, now time.Time) bool {
	return s.publish != nil && crypto.BlindingDate(last) != crypto.BlindingDate(now)
}

// storeEntry is what the destination stores at the floodfills for its
// signed LeaseSet2 ls: ls itself under the destination's hash, or the
// EncryptedLeaseSet wrapping it under today's blinded hash.
func (d *Destination) storeEntry(ls *data.LeaseSet2, now time.Time) (data.Hash, i2np.StoreType, []byte, error) {
	e := d.enc.publish
	if e == nil {
		return d.Hash(), i2np.StoreLeaseSet2, ls.Bytes(), nil
	}
	signer, err := d.keys.Signer()
	if err != nil {
		return data.Hash{}, 0, nil, err
	}
	els, err := data.EncryptLeaseSet(signer, ls, data.EncryptOptions{
		Published: data.SecondsOf(now),
		Expires:   encryptedExpires(ls.Expiration(), now),
		Secret:    e.Secret,
		Auth:      authorization(e),
	})
	if err != nil {
		return data.Hash{}, 0, nil, err
	}
	return els.Hash(), i2np.StoreEncryptedLeaseSet, els.Bytes(), nil
}

// authorization is e's client list for data.EncryptLeaseSet.
func authorization(e *EncryptedConfig) *data.Authorization {
	if e.Auth == data.AuthNone {
		return nil
	}
	return &data.Authorization{Scheme: e.Auth, Keys: e.Clients}
}

// encryptedExpires is the outer expiry offset: the inner LeaseSet's, but
// never past the next midnight UTC, when the blinded key changes (as i2pd
// does).
func encryptedExpires(inner, now time.Time) uint16 {
	end := inner
	if midnight := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour); end.After(midnight) {
		end = midnight
	}
	published := data.SecondsOf(now).Time()
	if !end.After(published) {
		return 0
	}
	return uint16(min(end.Sub(published)/time.Second, 0xFFFF))
}
