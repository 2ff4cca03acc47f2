package tunnel

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// The creator's side of a short-record build (tunnel-creation-ecies.rst):
// one Noise N record per hop at a random position, the other positions
// filled with fake records, each hop's record pre-encrypted with the
// ChaCha20 streams of the hops before it, so that it reaches its hop as
// that hop's Noise ciphertext. Replies come back with each record sealed by
// its hop and then streamed by every later hop; OpenReplies undoes that.

// MaxHops is the longest tunnel a build message can describe.
const MaxHops = i2np.MaxBuildRecords

// Hop is one hop of a tunnel to build: who it is and what to ask of it.
type Hop struct {
	Ident   data.Hash
	EncKey  [32]byte // the hop's static X25519 key, from its RouterIdentity
	Request BuildRequest
}

// HopKeys are a built hop's secrets kept by the creator.
type HopKeys struct {
	Ident     data.Hash
	ReceiveID data.TunnelID // the tunnel id the hop receives on
	Index     int           // position of the hop's record in the build message
	Layer, IV [32]byte
	GarlicKey [32]byte // outbound endpoint: the key and tag of its reply
	GarlicTag [8]byte
	// Reply is the hop's reply options Mapping (length included), set by
	// OpenReplies; proposal 168's "b" is the bandwidth it offers.
	Reply []byte

	replyKey [32]byte
	h        [32]byte
}

// Build is a short-record tunnel build in flight at its creator.
type Build struct {
	Hops []HopKeys // in path order
	num  int       // records in the message
	// own is the creator's own fake record of an inbound build (its
	// position, or -1, and its bytes as sent), checked on return.
	own     int
	ownSent i2np.ShortBuildRecord
}

// NewShortBuild encrypts the build records for hops (in path order) into
// a message of num records (len(hops) ≤ num ≤ 8). If creator is not nil
// this is an inbound build whose last hop forwards the message to the
// creator: one fake record carries the creator's hash prefix and a real
// ephemeral key, and OpenReplies checks that it came back untouched.
func NewShortBuild(rnd io.Reader, hops []Hop, num int, creator *data.Hash) (*Build, []i2np.ShortBuildRecord, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	extra := 0
	if creator != nil {
		extra = 1
	}
	if len(hops) == 0 || len(hops)+extra > num || num > MaxHops {
		return nil, nil, fmt.Errorf("tunnel: %d hops in %d records", len(hops), num)
	}
	recs := make([]i2np.ShortBuildRecord, num)
	for i := range recs {
		if _, err := io.ReadFull(rnd, recs[i][:]); err != nil {
			return nil, nil, err
		}
	}
	slots := mrand.Perm(num)
	b := &Build{Hops: make([]HopKeys, len(hops)), num: num, own: -1}
	for i := range hops {
		if err := encryptShort(rnd, &hops[i], &recs[slots[i]], &b.Hops[i]); err != nil {
			return nil, nil, err
		}
		b.Hops[i].Index = slots[i]
	}
	if creator != nil {
		b.own = slots[len(hops)]
		copy(recs[b.own][:recordHashLen], creator[:])
		_, pub, err := crypto.GenerateX25519(rnd)
		if err != nil {
			return nil, nil, err
		}
		copy(recs[b.own][recordHashLen:recordCipherAt], pub[:])
	}
	// Each record must reach its hop with the streams of the earlier hops
	// undone; ChaCha20 is its own inverse, and order does not matter.
	for i := range b.Hops {
		for j := range i {
			if err := xorRecord(&b.Hops[j].replyKey, b.Hops[i].Index, recs[b.Hops[i].Index][:]); err != nil {
				return nil, nil, err
			}
		}
	}
	if b.own >= 0 {
		b.ownSent = recs[b.own]
		for j := range b.Hops {
			if err := xorRecord(&b.Hops[j].replyKey, b.own, recs[b.own][:]); err != nil {
				return nil, nil, err
			}
		}
	}
	return b, recs, nil
}

// encryptShort writes hop's Noise N record into rec and its keys into k.
func encryptShort(rnd io.Reader, hop *Hop, rec *i2np.ShortBuildRecord, k *HopKeys) error {
	var pad [ShortRequestLen]byte
	if _, err := io.ReadFull(rnd, pad[:]); err != nil {
		return err
	}
	plain, err := hop.Request.appendShort(make([]byte, 0, ShortRequestLen), pad[:])
	if err != nil {
		return err
	}
	priv, pub, err := crypto.GenerateX25519(rnd)
	if err != nil {
		return err
	}
	st := noiseNStart(&hop.EncKey)
	st.MixHash(pub[:])
	dh, err := crypto.X25519(priv[:], hop.EncKey[:])
	if err != nil {
		return fmt.Errorf("tunnel: hop %s: %w", hop.Ident, err)
	}
	st.MixKey(dh)
	copy(rec[:recordHashLen], hop.Ident[:])
	copy(rec[recordHashLen:], pub[:])
	st.EncryptAndHash(rec[recordCipherAt:recordCipherAt], plain)
	hr := &HopRequest{BuildRequest: hop.Request}
	deriveShortKeys(hr, st.ChainingKey())
	*k = HopKeys{Ident: hop.Ident, ReceiveID: hop.Request.ReceiveID, Layer: hr.Layer, IV: hr.IV, GarlicKey: hr.GarlicKey, GarlicTag: hr.GarlicTag, replyKey: hr.replyKey, h: st.Hash()}
	return nil
}

// OpenReplies reads each hop's reply code from the records that came back
// (a ShortTunnelBuild for an inbound build, an OutboundTunnelBuildReply for
// an outbound one), in path order. An error means the message is not the
// reply to this build: a record does not authenticate, or the creator's
// own record was changed.
func (b *Build) OpenReplies(recs []i2np.ShortBuildRecord) ([]byte, error) {
	if len(recs) != b.num {
		return nil, fmt.Errorf("tunnel: reply of %d records to a build of %d", len(recs), b.num)
	}
	codes := make([]byte, len(b.Hops))
	for i := range b.Hops {
		idx := b.Hops[i].Index
		rec := recs[idx]
		for j := i + 1; j < len(b.Hops); j++ {
			if err := xorRecord(&b.Hops[j].replyKey, idx, rec[:]); err != nil {
				return nil, err
			}
		}
		plain, err := crypto.ChaChaPolyOpen(&b.Hops[i].replyKey, uint64(idx), nil, rec[:], b.Hops[i].h[:])
		if err != nil {
			return nil, fmt.Errorf("tunnel: reply record %d of hop %d: %w", idx, i, ErrRecordDecrypt)
		}
		codes[i] = plain[ShortReplyLen-1]
		if n := 2 + int(plain[0])<<8 | int(plain[1]); n <= ShortReplyLen-1 {
			b.Hops[i].Reply = plain[:n:n]
		}
	}
	if b.own >= 0 && !bytes.Equal(recs[b.own][:], b.ownSent[:]) {
		return nil, fmt.Errorf("tunnel: the creator's record %d was altered", b.own)
	}
	return codes, nil
}
