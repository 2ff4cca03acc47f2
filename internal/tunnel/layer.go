package tunnel

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/replay"
)

// Layered encryption (tunnels/implementation.html, "Participant
// Processing"). The body of a TunnelData message is IV(16) || data(1008).
// Every hop "encrypts" it with its layer:
//
//	IV'  = AES-256-ECB(ivKey, IV)
//	data = AES-256-CBC(layerKey, IV', data)
//	IV'' = AES-256-ECB(ivKey, IV')          (the IV is encrypted twice)
//
// An outbound gateway applies the inverse, Decrypt, for every hop from the
// last to the first, so that the hops' encryptions reveal the plaintext at
// the outbound endpoint; an inbound creator peels the hops' layers the same
// way, last hop first (DecryptLayers).

const (
	ivLen   = 16
	dataLen = i2np.TunnelDataLen - ivLen // 1008, a whole number of AES blocks
)

// Layer is one hop's tunnel layer: the expanded AES-256 layer key and IV
// key. It is read-only after NewLayer and safe for concurrent use; its
// methods never allocate.
type Layer struct {
	layer cipher.Block
	iv    cipher.Block
}

// NewLayer expands a hop's layer key and IV key.
func NewLayer(layerKey, ivKey [32]byte) *Layer {
	return &Layer{layer: newAES(&layerKey), iv: newAES(&ivKey)}
}

func newAES(key *[32]byte) cipher.Block {
	b, err := aes.NewCipher(key[:])
	if err != nil {
		// aes.NewCipher fails only on a key length other than 16, 24 or 32.
		panic("tunnel: aes: " + err.Error())
	}
	return b
}

// Encrypt applies the layer in place, as a participant (or an inbound
// gateway, or an outbound endpoint) does.
func (l *Layer) Encrypt(msg *[i2np.TunnelDataLen]byte) {
	iv := msg[:ivLen]
	l.iv.Encrypt(iv, iv)
	// CBC by hand on the stateless Block, so that a Layer needs no
	// per-call BlockMode (which would allocate or need a lock). Encryption
	// is sequential either way.
	prev := iv
	for i := ivLen; i < i2np.TunnelDataLen; i += aes.BlockSize {
		b := msg[i : i+aes.BlockSize]
		subtle.XORBytes(b, b, prev)
		l.layer.Encrypt(b, b)
		prev = b
	}
	l.iv.Encrypt(iv, iv)
}

// Decrypt removes the layer in place: the exact inverse of Encrypt.
func (l *Layer) Decrypt(msg *[i2np.TunnelDataLen]byte) {
	iv := msg[:ivLen]
	l.iv.Decrypt(iv, iv)
	// Backwards, so each block's predecessor is still ciphertext when it
	// is XORed in; the blocks are independent and the CPU overlaps them.
	for i := i2np.TunnelDataLen - aes.BlockSize; i >= ivLen; i -= aes.BlockSize {
		b := msg[i : i+aes.BlockSize]
		l.layer.Decrypt(b, b)
		subtle.XORBytes(b, b, msg[i-aes.BlockSize:i])
	}
	l.iv.Decrypt(iv, iv)
}

// DecryptLayers applies Decrypt for hops[len-1] down to hops[0]. With the
// hops of an outbound tunnel in path order (first hop after the gateway
// first), it is the gateway's pre-decryption; with the hops of an inbound
// tunnel in path order (its gateway first), it is how the creator recovers
// the gateway's plaintext.
func DecryptLayers(hops []*Layer, msg *[i2np.TunnelDataLen]byte) {
	for i := len(hops) - 1; i >= 0; i-- {
		hops[i].Decrypt(msg)
	}
}

// DupKey returns the duplicate-filter key of a received tunnel message
// body: SipHash-2-4 under key of the IV XOR the first data block
// (tunnels/implementation.html: XOR, so that colluding hops cannot tag a
// message by swapping the two). Call it on the body as it arrived, before
// Encrypt. Keying the hash keeps a peer from choosing bodies whose keys
// collide and so making the filter drop another tunnel's messages.
func DupKey(key *[16]byte, msg *[i2np.TunnelDataLen]byte) uint64 {
	var x [ivLen]byte
	subtle.XORBytes(x[:], msg[:ivLen], msg[ivLen:2*ivLen])
	return crypto.SipHash24(binary.LittleEndian.Uint64(key[:8]), binary.LittleEndian.Uint64(key[8:]), x[:])
}

// DefaultDupPeriod is how long a DupFilter remembers a body at least (it
// forgets it after twice that): tunnels live 10 minutes, and the spec's
// filter drops entries after 10–20.
const DefaultDupPeriod = 10 * time.Minute

// DefaultDupCapacity is the capacity of the DupFilter of a router with no
// transit bandwidth limit: 1<<18 messages a period (2 × 640 KiB), enough
// for about 450 KB/s of transit traffic sustained.
const DefaultDupCapacity = 1 << 18

// DupCapacity is the capacity, per DefaultDupPeriod, to give the DupFilter
// of a router whose transit traffic is limited to shareBytes a second:
// every tunnel message the share lets through in a period and a second's
// burst. A Bloom filter past its capacity drops good messages as
// duplicates (at twice it about 3%, at four times 40%), and a tunnel's
// creator could push it there on purpose; sized for the share, which is
// taken before the filter, it stays near its false-positive rate (about
// 2e-4) whatever the traffic. 0 (no limit) means DefaultDupCapacity. At
// most replay.MaxCapacity (a share of about 14 MB/s; 2 × 20 MiB).
func DupCapacity(shareBytes int) int {
	if shareBytes <= 0 {
		return DefaultDupCapacity
	}
	secs := int(DefaultDupPeriod/time.Second) + 1
	return min(shareBytes/i2np.TunnelDataMsgLen*secs+secs, replay.MaxCapacity)
}

// DupFilter is the router-wide duplicate filter over every tunnel it takes
// part in: a decaying Bloom filter (internal/replay) of DupKey. Safe for
// concurrent use.
type DupFilter struct {
	key [16]byte
	f   *replay.Filter
}

// NewDupFilter returns a filter with the secret hash key key (random, per
// router) remembering bodies for period to 2×period (DefaultDupPeriod if
// period ≤ 0), sized for capacity bodies per period.
func NewDupFilter(key [16]byte, period time.Duration, capacity int) *DupFilter {
	if period <= 0 {
		period = DefaultDupPeriod
	}
	return &DupFilter{key: key, f: replay.NewFilter(period, capacity)}
}

// Seen records the received body msg at now and reports whether it (or,
// rarely, a body with the same key) was seen before: true means drop it.
func (d *DupFilter) Seen(msg *[i2np.TunnelDataLen]byte, now time.Time) bool {
	return d.f.Seen(DupKey(&d.key, msg), now)
}
