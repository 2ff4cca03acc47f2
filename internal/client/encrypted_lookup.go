package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/netdb"
)

// Lookups of b33 addresses: derive today's blinded key from the address,
// look its EncryptedLeaseSet up in the netDb (an ordinary LeaseSet lookup
// of the blinded hash), decrypt it, verify the inner LeaseSet2 and keep it
// under the destination's own hash, so that Send works as for any other
// destination. The destination is then remembered by hash, and later
// lookups of that hash (when the inner LeaseSet expires) go to the blinded
// key again.

// B33Key is what a client may need besides the address.
type B33Key struct {
	Secret string // the publisher's extra secret, if the address says so
	// Key is the client's X25519 private key (DH) or pre-shared key (PSK)
	// for a per-client LeaseSet (i2pd's i2cp.leaseSetPrivKey); the scheme
	// is taken from the LeaseSet.
	Key []byte
}

// b33Remote is a destination known by its b33 address.
type b33Remote struct {
	addr data.B33
	key  B33Key
}

// LookupB33 finds, decrypts and verifies the EncryptedLeaseSet of addr (a
// b33 address) for the UTC day of now, through net. It returns the inner
// LeaseSet2 or MetaLeaseSet, verified and belonging to addr's key; it
// stores nothing besides what the netDb lookup stores (the
// EncryptedLeaseSet).
func LookupB33(ctx context.Context, net Network, addr string, k B33Key, now time.Time) (data.InnerLeaseSet, error) {
	a, err := data.ParseB33(addr)
	if err != nil {
		return nil, err
	}
	in, err := lookupB33(ctx, net, a, k, now)
	if err != nil {
		return nil, fmt.Errorf("client: b33 %s: %w", addr, err)
	}
	return in, nil
}

func lookupB33(ctx context.Context, net Network, a data.B33, k B33Key, now time.Time) (data.InnerLeaseSet, error) {
	if a.Secret && k.Secret == "" {
		return nil, errors.New("the address says a secret is required")
	}
	if a.PerClientAuth && k.Key == nil {
		return nil, data.ErrClientKeyRequired
	}
	b := a.Blinding(k.Secret)
	key, err := b.DHTKey(now)
	if err != nil {
		return nil, err
	}
	l, err := net.LookupLeaseSet(ctx, key)
	if err != nil {
		return nil, err
	}
	els, ok := l.Entry.(*data.EncryptedLeaseSet)
	if !ok {
		return nil, fmt.Errorf("blinded key %s holds a LeaseSet of type %d", key, l.Type)
	}
	return decryptB33(els, b, k.Key)
}

// decryptB33 opens els with the client key, if any, trying it as an X25519
// key and then as a PSK: i2pd's i2cp.leaseSetPrivKey does not say which.
func decryptB33(els *data.EncryptedLeaseSet, b data.Blinding, key []byte) (data.InnerLeaseSet, error) {
	if key == nil {
		return els.Decrypt(b, nil)
	}
	in, err := els.Decrypt(b, &data.ClientKey{Scheme: data.AuthDH, Key: key})
	if errors.Is(err, data.ErrWrongScheme) {
		in, err = els.Decrypt(b, &data.ClientKey{Scheme: data.AuthPSK, Key: key})
	}
	return in, err
}

// ResolveB33 looks up the destination with b33 address addr (see
// LookupB33), with the destination's own client key (Config.ClientKey)
// unless k has one, keeps its inner LeaseSet2 in the netDb store under the
// destination's hash, and returns that hash: Send and SendDatagram then
// reach it, and its LeaseSet is looked up by the blinded key again when it
// expires. SAM and proxies that get a "….b32.i2p" name of 56 characters
// or more (data.IsB33) resolve it here.
func (d *Destination) ResolveB33(ctx context.Context, addr string, k B33Key) (data.Hash, error) {
	a, err := data.ParseB33(addr)
	if err != nil {
		return data.Hash{}, err
	}
	if k.Key == nil {
		k.Key = d.enc.clientKey
	}
	l, err := d.resolveB33(ctx, a, k)
	if err != nil {
		return data.Hash{}, fmt.Errorf("client: b33 %s: %w", addr, err)
	}
	d.enc.mu.Lock()
	if _, ok := d.enc.remotes[l.Key]; !ok && len(d.enc.remotes) >= maxB33Remotes {
		for old := range d.enc.remotes { // forget one at random
			delete(d.enc.remotes, old)
			break
		}
	}
	d.enc.remotes[l.Key] = b33Remote{addr: a, key: k}
	d.enc.mu.Unlock()
	return l.Key, nil
}

// resolveB33 looks a up through the router's netDb and stores the inner
// LeaseSet2 as a lookup answer: ours to use, not to serve.
func (d *Destination) resolveB33(ctx context.Context, a data.B33, k B33Key) (*netdb.LeaseSet, error) {
	in, err := lookupB33(ctx, d.net, a, k, d.now())
	if err != nil {
		return nil, err
	}
	ls2, ok := in.(*data.LeaseSet2)
	if !ok {
		return nil, fmt.Errorf("inner LeaseSet of type %d, not a LeaseSet2", in.StoreType())
	}
	l, err := netdb.ParseLeaseSet(data.StoreLeaseSet2, ls2.Bytes())
	if err != nil {
		return nil, err
	}
	if _, err := d.net.Store().PutLeaseSet(l.Key, l); err != nil {
		return nil, err
	}
	return l, nil
}

// b33Net is the destination's view of the router: lookups of destinations
// known by b33 address go to their blinded key.
type b33Net struct {
	Network
	d *Destination
}

func (n b33Net) LookupLeaseSet(ctx context.Context, key data.Hash) (*netdb.LeaseSet, error) {
	n.d.enc.mu.Lock()
	r, ok := n.d.enc.remotes[key]
	n.d.enc.mu.Unlock()
	if !ok {
		return n.Network.LookupLeaseSet(ctx, key)
	}
	return n.d.resolveB33(ctx, r.addr, r.key)
}
