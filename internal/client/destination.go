// Package client holds local destinations: the services and clients this
// router hosts, each with its own keys (i2pd's key-file format, so an
// i2pd tunnel keeps its .b32.i2p address), its own tunnel pool, and its
// LeaseSet2, built from the pool's inbound tunnels, signed, and published
// to the floodfills closest to it through the pool's outbound tunnels,
// garlic-encrypted to the floodfill (network-database.html, "LeaseSet
// Storage"). End-to-end garlic and datagrams build on it.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/garlic"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/tunnel"
)

// LeaseSet timing. A LeaseSet2 lives as long as its last lease at most
// (about 10 minutes); it is republished when its leases change, and a
// few minutes before it expires in any case, never twice in the same
// second (floodfills refuse a LeaseSet2 that is not newer).
const (
	republishEvery = 5 * time.Minute
	minRepublish   = 2 * time.Second
	publishTo      = 2 // floodfills a LeaseSet is stored at (i2pd stores at 1, Java 2–3)
	messageLife    = time.Minute
)

// Network is what destinations need from the router.
type Network interface {
	Tunnels() *tunnel.Tunnels
	Store() *netdb.Store
	// LookupLeaseSet finds a remote destination's LeaseSet in the netDb.
	LookupLeaseSet(ctx context.Context, key data.Hash) (*netdb.LeaseSet, error)
}

// Destination is one local destination.
type Destination struct {
	keys   *keyfile.PrivateKeys
	encPub [32]byte // the LeaseSet2's X25519 key (type 4)
	encKey [32]byte
	elgPub []byte           // the LeaseSet2's ElGamal key (type 0), for i2pd destinations without the ratchet
	types  []crypto.EncType // the LeaseSet2's keys, in order
	pool   *tunnel.Pool
	net    Network
	log    *slog.Logger
	now    func() time.Time

	engine *garlic.Engine // our garlic sessions, keyed by encKey
	enc    *encState      // encrypted LeaseSets, ours and b33 remotes (encrypted.go)

	mu             sync.Mutex
	ls             *data.LeaseSet2
	published      time.Time
	gateways       string // the leases last published, to notice a change
	stores         uint64
	handler        Handler
	protocols      map[uint8]Handler
	byKey          map[[32]byte]data.Hash // remote keys we sent to, for ratchet replies
	bundled        map[data.Hash]bundle   // our LeaseSet as last bundled to each remote
	sent, received uint64
	sentBy, recvBy map[uint8]uint64 // by I2CP protocol
	forwarded      uint64           // cloves passed on for others (DeliveryStatus)

	replies replies // delayed ratchet replies, stopped by Close (replies.go)
}

// Config configures a Destination.
type Config struct {
	Keys *keyfile.PrivateKeys // nil: a transient destination
	// EncTypes are the keys the LeaseSet2 publishes, in the order of
	// preference (i2pd's i2cp.leaseSetEncType): any of 6, 5, 7 (ML-KEM
	// hybrids), 4 (X25519), 0 (ElGamal). Nil: DefaultEncTypes.
	EncTypes []crypto.EncType
	Pool     tunnel.PoolConfig
	Log      *slog.Logger
	Now      func() time.Time
	// Encrypted, if set, publishes an EncryptedLeaseSet (b33 address)
	// instead of the LeaseSet2 (encrypted.go).
	Encrypted *EncryptedConfig
	// ClientKey is our key for others' per-client EncryptedLeaseSets
	// (i2pd's i2cp.leaseSetPrivKey): X25519 private key or PSK.
	ClientKey []byte
}

// DefaultEncTypes: the ML-KEM-768 hybrid first, X25519 for peers without
// it (i2pd 2.45), ElGamal last for i2pd destinations set to
// i2cp.leaseSetEncType = 0, which pick it out of the list.
var DefaultEncTypes = []crypto.EncType{crypto.EncMLKEM768X25519, crypto.EncX25519, crypto.EncElGamal}

// New creates a destination with its tunnel pool on net.
func New(net Network, cfg Config) (*Destination, error) {
	types := cfg.EncTypes
	if len(types) == 0 {
		types = DefaultEncTypes
	}
	var ratchet []crypto.EncType
	for i, t := range types {
		if slices.Contains(types[:i], t) {
			return nil, fmt.Errorf("client: encryption type %d listed twice", t)
		}
		switch t {
		case crypto.EncElGamal:
		case crypto.EncX25519, crypto.EncMLKEM512X25519, crypto.EncMLKEM768X25519, crypto.EncMLKEM1024X25519:
			ratchet = append(ratchet, t)
		default:
			return nil, fmt.Errorf("client: encryption type %d not supported for a LeaseSet", t)
		}
	}
	keys := cfg.Keys
	if keys == nil {
		var err error
		if keys, err = keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader); err != nil {
			return nil, err
		}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	enc, err := newEncState(keys, cfg)
	if err != nil {
		return nil, err
	}
	priv, pub, err := crypto.GenerateX25519(rand.Reader)
	if err != nil {
		return nil, err
	}
	var elgPriv, elgPub []byte
	if slices.Contains(types, crypto.EncElGamal) {
		if elgPriv, elgPub, err = elGamalKeys(keys); err != nil {
			return nil, err
		}
	}
	// One static X25519 key serves all ratchet types, published under
	// each. Without one listed the engine still takes type 4 New
	// Sessions, which nobody will send.
	engine, err := garlic.New(garlic.Config{Static: priv, ElGamal: elgPriv, Types: ratchet})
	if err != nil {
		return nil, err
	}
	d := &Destination{keys: keys, encKey: priv, encPub: pub, elgPub: elgPub, types: slices.Clone(types),
		net: net, log: cfg.Log, now: cfg.Now, engine: engine, enc: enc,
		byKey: make(map[[32]byte]data.Hash), protocols: make(map[uint8]Handler),
		bundled: make(map[data.Hash]bundle), sentBy: make(map[uint8]uint64), recvBy: make(map[uint8]uint64)}
	d.net = b33Net{Network: net, d: d} // destinations known by b33 address are looked up blinded
	if cfg.Pool.Name == "" {
		cfg.Pool.Name = d.B32()
	}
	d.pool = net.Tunnels().NewPool(cfg.Pool)
	return d, nil
}

// elGamalKeys returns the ElGamal key pair the LeaseSet2 publishes: the
// keys file's, when its identity is ElGamal (i2pd's default for tunnel
// keys) and the public key matches; a new one otherwise.
func elGamalKeys(keys *keyfile.PrivateKeys) (priv, pub []byte, err error) {
	if keys.Identity.EncType() == crypto.EncElGamal && len(keys.EncPrivate) == crypto.ElGamalKeyLen {
		if p, err := crypto.ElGamalPublicKey(keys.EncPrivate); err == nil && bytes.Equal(p, keys.Identity.EncryptionPublicKey()) {
			return keys.EncPrivate, p, nil
		}
	}
	return crypto.GenerateElGamal(rand.Reader)
}

// Hash is the destination's hash, its netDb key.
func (d *Destination) Hash() data.Hash { return d.keys.Identity.Hash() }

// B32 is the destination's address, "….b32.i2p".
func (d *Destination) B32() string {
	h := d.Hash()
	return h.B32()
}

// EncryptionKey is the static key its LeaseSet2 publishes.
func (d *Destination) EncryptionKey() [32]byte { return d.encPub }

// Session describes our garlic session with the remote whose LeaseSet
// publishes key (ok false: none).
func (d *Destination) Session(key [32]byte) (garlic.SessionInfo, bool) { return d.engine.Session(key) }

// Pool is the destination's tunnel pool.
func (d *Destination) Pool() *tunnel.Pool { return d.pool }

// LeaseSet returns the LeaseSet2 published last, or nil.
func (d *Destination) LeaseSet() *data.LeaseSet2 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ls
}

// Stores counts the LeaseSet stores sent.
func (d *Destination) Stores() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stores
}

// buildLeaseSet signs a LeaseSet2 naming leases, published now.
func (d *Destination) buildLeaseSet(leases []tunnel.InboundLease, now time.Time) (*data.LeaseSet2, error) {
	if len(leases) == 0 {
		return nil, fmt.Errorf("client: no inbound tunnels")
	}
	ls := &data.LeaseSet2{}
	ls.Destination = d.keys.Identity
	ls.Published = data.SecondsOf(now)
	if d.enc.publish != nil {
		ls.Flags |= data.FlagBlindedWhenPublished
	}
	last := now
	for _, l := range leases {
		if len(ls.Leases) == 16 {
			break
		}
		ls.Leases = append(ls.Leases, data.Lease2{Gateway: l.Gateway, TunnelID: l.TunnelID, End: data.SecondsOf(l.Expires)})
		if l.Expires.After(last) {
			last = l.Expires
		}
	}
	ls.Expires = uint16(min(last.Sub(now)/time.Second+1, 660))
	for _, t := range d.types {
		k := d.encPub[:]
		if t == crypto.EncElGamal {
			k = d.elgPub
		}
		ls.Keys = append(ls.Keys, data.EncryptionKey{Type: t, Key: k})
	}
	signer, err := d.keys.Signer()
	if err != nil {
		return nil, err
	}
	if err := ls.Sign(signer); err != nil {
		return nil, err
	}
	return ls, nil
}

// Maintain republishes the LeaseSet when its leases changed or it is due,
// and returns whether it published. The router calls it every second or
// so.
func (d *Destination) Maintain() bool {
	now := d.now()
	d.engine.Expire(now)
	tun := d.net.Tunnels()
	leases := tun.Leases(d.pool)
	key := fmt.Sprint(leases)
	d.mu.Lock()
	changed := key != d.gateways
	due := now.Sub(d.published) >= republishEvery || d.enc.newDay(d.published, now)
	recent := now.Sub(d.published) < minRepublish
	d.mu.Unlock()
	if len(leases) == 0 || recent || (!changed && !due) {
		return false
	}
	ls, err := d.buildLeaseSet(leases, now)
	if err != nil {
		d.log.Debug("client: LeaseSet", "dest", d.B32(), "err", err)
		return false
	}
	dbKey, typ, entry, err := d.storeEntry(ls, now)
	if err != nil {
		d.log.Warn("client: encrypted LeaseSet", "dest", d.B32(), "err", err)
		return false
	}
	n := d.publish(dbKey, typ, entry, len(ls.Leases), leases, now)
	d.mu.Lock()
	d.ls, d.published = ls, now
	if n > 0 {
		d.gateways = key
	} // else: no store went out (no outbound tunnel yet): try again in minRepublish, not in republishEvery
	d.stores += uint64(n)
	d.mu.Unlock()
	return n > 0
}

// publish stores entry (a LeaseSet of type typ with nLeases leases) at
// the floodfills closest to key's routing key: a DatabaseStore with a
// reply token (acknowledged down one of our inbound tunnels),
// garlic-encrypted to the floodfill's router key, sent through one of the
// pool's outbound tunnels. It returns how many stores went out.
func (d *Destination) publish(key data.Hash, typ i2np.StoreType, entry []byte, nLeases int, leases []tunnel.InboundLease, now time.Time) int {
	rk := netdb.RoutingKey(key, now)
	sent := 0
	for i, ff := range d.net.Store().Closest(rk, publishTo, true, nil) {
		reply := leases[i%len(leases)]
		ds := &i2np.DatabaseStore{Key: key, Type: typ, Data: entry,
			ReplyToken: nonzero32(), ReplyTunnel: reply.TunnelID, ReplyGateway: reply.Gateway}
		payload, err := ds.Append(nil)
		if err != nil {
			d.log.Debug("client: LeaseSet store", "err", err)
			return sent
		}
		var ffKey [32]byte
		copy(ffKey[:], ff.Identity.EncryptionPublicKey())
		h := i2np.Header{Type: i2np.TypeDatabaseStore, ID: nonzero32(), Expiration: now.Add(messageLife)}
		g, err := i2np.SealRouterGarlic(&ffKey, h, payload, now, nil)
		if err != nil {
			d.log.Debug("client: LeaseSet garlic", "err", err)
			continue
		}
		gh := i2np.Header{Type: i2np.TypeGarlic, ID: nonzero32(), Expiration: now.Add(messageLife)}
		if err := d.net.Tunnels().Send(d.pool, tunnel.Delivery{Type: tunnel.DeliveryRouter, To: ff.Hash()}, gh, g); err != nil {
			d.log.Debug("client: LeaseSet not sent", "floodfill", ff.Hash().String(), "err", err)
			continue
		}
		sent++
		d.log.Debug("client: LeaseSet stored", "dest", d.B32(), "key", key.String(), "type", typ, "floodfill", ff.Hash().String(), "leases", nLeases)
	}
	return sent
}

// nonzero32 is a random nonzero uint32.
func nonzero32() uint32 {
	var b [4]byte
	for {
		rand.Read(b[:])
		if v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]); v != 0 {
			return v
		}
	}
}
