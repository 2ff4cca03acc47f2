package ntcp2

import (
	"crypto/subtle"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/noise"
	"github.com/veil-i2p/veil/internal/transport"
)

// initialState returns the handshake state both sides reach before the
// first message (ntcp2.rst, "KDF for handshake message 1"): h =
// SHA256(protocol_name), ck = h, MixHash(null prologue), MixHash(rs).
func initialState(rs *[keyLen]byte) noise.SymmetricState {
	var s noise.SymmetricState
	s.InitXK(protocolName, rs[:])
	return s
}

// dataKeys are the data-phase secrets of one session: a ChaCha20-Poly1305
// key and a SipHash length-obfuscation key (k1, k2, IV[0]) per direction,
// ab = Alice to Bob.
type dataKeys struct {
	ab, ba       [32]byte
	sipAB, sipBA [crypto.SipHashKeysLen]byte
}

func (k *dataKeys) zero() {
	clear(k.ab[:])
	clear(k.ba[:])
	clear(k.sipAB[:])
	clear(k.sipBA[:])
}

// deriveDataKeys is "KDF for data phase": Noise Split plus the SipHash
// keys from the "ask" chain, then it wipes the handshake state:
//
//	temp = HMAC(ck, "")
//	k_ab = HMAC(temp, 0x01); k_ba = HMAC(temp, k_ab || 0x02)
//	ask_master = HMAC(temp, "ask" || 0x01)
//	temp2 = HMAC(ask_master, h || "siphash"); sip_master = HMAC(temp2, 0x01)
//	temp3 = HMAC(sip_master, "")
//	sipkeys_ab = HMAC(temp3, 0x01); sipkeys_ba = HMAC(temp3, sipkeys_ab || 0x02)
//
// (i2pd writes the same as HKDF(ck, "", "ask", 32) and so on.)
func deriveDataKeys(sym *noise.SymmetricState) dataKeys {
	var k dataKeys
	ck, h := sym.ChainingKey(), sym.Hash()
	temp := crypto.HMACSHA256(ck[:])
	k.ab = crypto.HMACSHA256(temp[:], []byte{0x01})
	k.ba = crypto.HMACSHA256(temp[:], k.ab[:], []byte{0x02})
	ask := crypto.HMACSHA256(temp[:], []byte("ask"), []byte{0x01})
	temp2 := crypto.HMACSHA256(ask[:], h[:], []byte("siphash"))
	sipMaster := crypto.HMACSHA256(temp2[:], []byte{0x01})
	temp3 := crypto.HMACSHA256(sipMaster[:])
	ab := crypto.HMACSHA256(temp3[:], []byte{0x01})
	ba := crypto.HMACSHA256(temp3[:], ab[:], []byte{0x02})
	copy(k.sipAB[:], ab[:])
	copy(k.sipBA[:], ba[:])
	for _, b := range [][]byte{ck[:], h[:], temp[:], ask[:], temp2[:], sipMaster[:], temp3[:], ab[:], ba[:]} {
		clear(b)
	}
	sym.Zero()
	return k
}

func unixSeconds(t time.Time) uint32 { return transport.UnixSeconds(t) }

// skewOf returns peer time minus our time in seconds (transport.Skew).
func skewOf(ts uint32, now time.Time) int64 {
	return int64(transport.Skew(ts, now) / time.Second)
}

// validPublicKey is the cheap check ntcp2.rst allows before any DH: a
// canonical X25519 key has the top bit of its last byte clear. (Proposal
// 169 will use that bit to flag post-quantum handshakes; it is not
// deployed in the peers we talk to.)
func validPublicKey(k []byte) bool {
	return len(k) == keyLen && k[keyLen-1]&0x80 == 0
}

// equalKeys compares two keys in constant time.
func equalKeys(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
