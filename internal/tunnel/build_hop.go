package tunnel

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
	"github.com/veil-i2p/veil/internal/noise"
)

// RecordKeys opens the build records addressed to one router: its
// identity hash (the records' 16-byte prefix) and its static X25519 key.
// The Noise state up to MixHash(static key) is the same for every record,
// so it is computed once. A RecordKeys is read-only after creation and
// safe for concurrent use.
type RecordKeys struct {
	prefix [recordHashLen]byte
	priv   *crypto.X25519Key // taken once: each record's DH is then one scalar multiplication
	start  noise.SymmetricState
}

// NewRecordKeys returns the record keys of the router with identity hash
// ident and static encryption key pair (priv, pub).
func NewRecordKeys(ident data.Hash, priv, pub [32]byte) *RecordKeys {
	k := &RecordKeys{priv: crypto.NewX25519Key(&priv)}
	copy(k.prefix[:], ident[:recordHashLen])
	k.start = noiseNStart(&pub)
	return k
}

// noiseNStart is the Noise N state after the protocol name, the empty
// prologue and the responder's static key.
func noiseNStart(static *[32]byte) noise.SymmetricState {
	var s noise.SymmetricState
	s.Init(noiseNProtocol)
	s.MixHash(nil)
	s.MixHash(static[:])
	return s
}

// HopRequest is what a hop learns from its own build record, with the
// secrets it needs to reply and to run the tunnel.
type HopRequest struct {
	BuildRequest
	Index int  // the record's position in the message
	Long  bool // a 528-byte record (types 21/23)

	// Layer keys of this hop's tunnel layer.
	Layer, IV [32]byte
	// GarlicKey and GarlicTag wrap an outbound endpoint's reply (short
	// records only).
	GarlicKey [32]byte
	GarlicTag [8]byte

	replyKey [32]byte // short: reply ChaCha key; long: the AEAD key (ck)
	h        [32]byte // Noise handshake hash, the reply's associated data
}

// FindShort returns the index of the first record addressed to this
// router, or -1.
func (k *RecordKeys) FindShort(recs []i2np.ShortBuildRecord) int {
	for i := range recs {
		if subtle.ConstantTimeCompare(recs[i][:recordHashLen], k.prefix[:]) == 1 {
			return i
		}
	}
	return -1
}

// FindLong is FindShort for 528-byte records.
func (k *RecordKeys) FindLong(recs []i2np.BuildRecord) int {
	for i := range recs {
		if subtle.ConstantTimeCompare(recs[i][:recordHashLen], k.prefix[:]) == 1 {
			return i
		}
	}
	return -1
}

// open runs Noise N on one encrypted record body (ephemeral key,
// ciphertext and MAC) and returns the cleartext and the final state.
func (k *RecordKeys) open(rec []byte) ([]byte, noise.SymmetricState, error) {
	st := k.start
	eph := rec[recordHashLen:recordCipherAt]
	st.MixHash(eph)
	dh, err := k.priv.DH(eph)
	if err != nil { // a low-order point: a malformed record
		return nil, st, fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	st.MixKey(dh)
	clear(dh)
	plain, err := st.DecryptAndHash(nil, rec[recordCipherAt:])
	if err != nil {
		return nil, st, ErrRecordDecrypt
	}
	return plain, st, nil
}

// OpenShort decrypts this router's record of a ShortTunnelBuild and
// derives the hop's keys.
func (k *RecordKeys) OpenShort(recs []i2np.ShortBuildRecord) (*HopRequest, error) {
	i := k.FindShort(recs)
	if i < 0 {
		return nil, ErrNotOurRecord
	}
	plain, st, err := k.open(recs[i][:])
	if err != nil {
		return nil, err
	}
	req, err := parseShortRequest(plain)
	if err != nil {
		return nil, err
	}
	hr := &HopRequest{BuildRequest: *req, Index: i, h: st.Hash()}
	deriveShortKeys(hr, st.ChainingKey())
	return hr, nil
}

// deriveShortKeys is the short-record KDF from the chaining key left by
// the request (tunnel-creation-ecies.rst, "KDF"). The outbound endpoint's
// IV key comes from one more step, and then its garlic reply key and tag.
func deriveShortKeys(hr *HopRequest, ck [32]byte) {
	kd := crypto.HKDF(ck[:], nil, "SMTunnelReplyKey", 64)
	copy(hr.replyKey[:], kd[32:])
	copy(ck[:], kd[:32])
	kd = crypto.HKDF(ck[:], nil, "SMTunnelLayerKey", 64)
	copy(hr.Layer[:], kd[32:])
	if hr.Role() != OutboundEndpoint {
		copy(hr.IV[:], kd[:32])
		return
	}
	copy(ck[:], kd[:32])
	kd = crypto.HKDF(ck[:], nil, "TunnelLayerIVKey", 64)
	copy(hr.IV[:], kd[32:])
	copy(ck[:], kd[:32])
	kd = crypto.HKDF(ck[:], nil, "RGarlicKeyAndTag", 64)
	copy(hr.GarlicKey[:], kd[32:])
	copy(hr.GarlicTag[:], kd[:8])
}

// OpenLong decrypts this router's long ECIES record (VariableTunnelBuild
// or TunnelBuild). ElGamal records are not supported: ElGamal routers are
// below the network's minimum version, and veil's identity is X25519.
func (k *RecordKeys) OpenLong(recs []i2np.BuildRecord) (*HopRequest, error) {
	i := k.FindLong(recs)
	if i < 0 {
		return nil, ErrNotOurRecord
	}
	plain, st, err := k.open(recs[i][:])
	if err != nil {
		return nil, err
	}
	req, err := parseLongRequest(plain)
	if err != nil {
		return nil, err
	}
	hr := &HopRequest{BuildRequest: *req, Index: i, Long: true, h: st.Hash(), replyKey: st.ChainingKey()}
	hr.Layer, hr.IV = req.LayerKey, req.IVKey
	return hr, nil
}

// ReplyShort turns recs, the records of the ShortTunnelBuild this hop
// received, into what it forwards: its own record becomes its reply
// (ChaCha20-Poly1305, nonce = record index, ad = h) and every other
// record is encrypted with ChaCha20 under the reply key, iv[4] = the
// record's index. opts is the reply Mapping (nil for none).
func (hr *HopRequest) ReplyShort(recs []i2np.ShortBuildRecord, code byte, opts []byte) error {
	if hr.Long || hr.Index >= len(recs) {
		return fmt.Errorf("tunnel: short reply for record %d of %d", hr.Index, len(recs))
	}
	plain, err := replyCleartext(ShortReplyLen, code, opts)
	if err != nil {
		return err
	}
	for j := range recs {
		if j == hr.Index {
			crypto.ChaChaPolySeal(&hr.replyKey, uint64(j), recs[j][:0], plain, hr.h[:])
			continue
		}
		if err := xorRecord(&hr.replyKey, j, recs[j][:]); err != nil {
			return err
		}
	}
	return nil
}

// xorRecord applies the reply-key ChaCha20 stream for record j. The
// block counter starts at 1, as in EncryptedLeaseSet's ChaCha20 and the
// AEAD's data blocks: the spec says only "ENCRYPT(k, iv, plaintext)", and
// i2pd (the network) starts at 1; with 0, i2pd creators fail every record
// after ours (interop finding, see TestTransitI2pd).
func xorRecord(key *[32]byte, j int, rec []byte) error {
	var iv [crypto.ChaChaNonceLen]byte
	iv[4] = byte(j)
	return crypto.ChaCha20XOR(key, &iv, 1, rec, rec)
}

// ReplyLong is ReplyShort for long records: the own record is sealed with
// the chaining key at nonce 0, the others are AES-256-CBC encrypted, each
// on its own, with the request's reply key and IV.
func (hr *HopRequest) ReplyLong(recs []i2np.BuildRecord, code byte, opts []byte) error {
	if !hr.Long || hr.Index >= len(recs) {
		return fmt.Errorf("tunnel: long reply for record %d of %d", hr.Index, len(recs))
	}
	plain, err := replyCleartext(LongReplyLen, code, opts)
	if err != nil {
		return err
	}
	aes, err := crypto.NewAES256(hr.ReplyKey[:])
	if err != nil {
		return err
	}
	for j := range recs {
		if j == hr.Index {
			crypto.ChaChaPolySeal(&hr.replyKey, 0, recs[j][:0], plain, hr.h[:])
			continue
		}
		if err := aes.EncryptCBC(hr.ReplyIV[:], recs[j][:], recs[j][:]); err != nil {
			return err
		}
	}
	return nil
}

// replyCleartext is a reply record: the options Mapping, random padding,
// and the reply code in the last byte.
func replyCleartext(n int, code byte, opts []byte) ([]byte, error) {
	if len(opts) > n-1 {
		return nil, fmt.Errorf("tunnel: reply options of %d bytes", len(opts))
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if len(opts) < 2 {
		b[0], b[1] = 0, 0
	} else {
		copy(b, opts)
	}
	b[n-1] = code
	return b, nil
}
