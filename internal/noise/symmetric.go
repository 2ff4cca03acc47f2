package noise

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Errors from DecryptAndHash.
var (
	// ErrDecrypt is a handshake AEAD failure: wrong keys, a tampered
	// message or a probe. Callers treat it as the spec's "AEAD error".
	ErrDecrypt = errors.New("noise: decrypt and hash: authentication failed")
	// ErrNonceExhausted means the nonce reached 2^64-1, which Noise
	// reserves (§5.1); a handshake can only get there through SetNonce.
	ErrNonceExhausted = errors.New("noise: nonce exhausted")
)

// SymmetricState holds a Noise handshake's chaining key ck, handshake hash
// h and current cipher key k with its nonce n.
//
// The zero value is not ready for use: call Init first. A SymmetricState is
// a plain value with no pointers; copying it forks the handshake (tests use
// that), and Zero wipes only the copy it is called on.
type SymmetricState struct {
	ck, h  [32]byte
	k      [32]byte
	hasKey bool
	n      uint64
}

// Init starts a handshake for protocolName (Noise §5.2 InitializeSymmetric):
// h is the name zero-padded to 32 bytes if it fits, else SHA-256 of it; ck
// = h; no cipher key. I2P's names are all longer than 32 bytes
// (NTCP2's is 48), so in practice h = SHA-256(name). Mixing in the prologue,
// even an empty one (NTCP2: `h = SHA256(h)`), is the caller's next call to
// MixHash.
func (s *SymmetricState) Init(protocolName string) {
	*s = SymmetricState{}
	if len(protocolName) <= len(s.h) {
		copy(s.h[:], protocolName)
	} else {
		s.h = sha256.Sum256([]byte(protocolName))
	}
	s.ck = s.h
}

// MixHash sets h = SHA-256(h || data).
func (s *SymmetricState) MixHash(data []byte) {
	d := sha256.New()
	d.Write(s.h[:])
	d.Write(data)
	d.Sum(s.h[:0])
}

// MixKey sets ck, k = HKDF(ck, ikm, "", 64) and resets the nonce to 0
// (Noise §5.2; ntcp2.rst writes it out as `temp_key = HMAC-SHA256(ck, ikm)`,
// `ck = HMAC-SHA256(temp_key, 0x01)`, `k = HMAC-SHA256(temp_key, ck ||
// 0x02)`). ikm is usually a 32-byte X25519 output.
func (s *SymmetricState) MixKey(ikm []byte) {
	out := crypto.HKDF(s.ck[:], ikm, "", 64)
	copy(s.ck[:], out[:32])
	copy(s.k[:], out[32:])
	clear(out)
	s.hasKey = true
	s.n = 0
}

// EncryptAndHash appends ENCRYPT(k, n, h, plaintext) to dst, increments n,
// mixes the ciphertext into h and returns the extended dst. Before the first
// MixKey it appends the plaintext unchanged (and still mixes it), as Noise
// specifies. dst may be plaintext[:0].
//
// It panics if n is 2^64-1, which only a bad SetNonce can cause.
func (s *SymmetricState) EncryptAndHash(dst, plaintext []byte) []byte {
	start := len(dst)
	if !s.hasKey {
		dst = append(dst, plaintext...)
	} else {
		if s.n == math.MaxUint64 {
			panic(ErrNonceExhausted)
		}
		dst = crypto.ChaChaPolySeal(&s.k, s.n, dst, plaintext, s.h[:])
		s.n++
	}
	s.MixHash(dst[start:])
	return dst
}

// DecryptAndHash authenticates and decrypts ciphertext with k, n and AD = h,
// appends the plaintext to dst, increments n and mixes the ciphertext into
// h. Before the first MixKey the "ciphertext" is plaintext and is copied.
// dst may be ciphertext[:0].
//
// On failure it returns ErrDecrypt (or ErrNonceExhausted) and leaves h and
// n unchanged, so the caller can still read Hash for diagnostics; the
// handshake itself must be abandoned.
func (s *SymmetricState) DecryptAndHash(dst, ciphertext []byte) ([]byte, error) {
	// Hash the ciphertext first: decrypting in place would overwrite it.
	d := sha256.New()
	d.Write(s.h[:])
	d.Write(ciphertext)
	var next [32]byte
	d.Sum(next[:0])

	if !s.hasKey {
		dst = append(dst, ciphertext...)
		s.h = next
		return dst, nil
	}
	if s.n == math.MaxUint64 {
		return nil, ErrNonceExhausted
	}
	out, err := crypto.ChaChaPolyOpen(&s.k, s.n, dst, ciphertext, s.h[:])
	if err != nil {
		return nil, fmt.Errorf("%w (%d bytes, n=%d)", ErrDecrypt, len(ciphertext), s.n)
	}
	s.n++
	s.h = next
	return out, nil
}

// Split derives the two data-phase keys (Noise §5.2 Split, spelled out in
// ntcp2.rst "Key Derivation Function (KDF) (for data phase)"):
//
//	temp_key = HMAC-SHA256(ck, "")
//	k1       = HMAC-SHA256(temp_key, 0x01)        initiator to responder (k_ab)
//	k2       = HMAC-SHA256(temp_key, k1 || 0x02)  responder to initiator (k_ba)
//
// That is HKDF(ck, "", "", 64), which is how ssu2.rst writes the same step.
// Split does not wipe anything: NTCP2 still needs ck (its SipHash KDF
// starts from the same temp_key) and h. Call Zero when done.
func (s *SymmetricState) Split() (k1, k2 [32]byte) {
	temp := crypto.HMACSHA256(s.ck[:])
	k1 = crypto.HMACSHA256(temp[:], []byte{0x01})
	k2 = crypto.HMACSHA256(temp[:], k1[:], []byte{0x02})
	clear(temp[:])
	return k1, k2
}

// Hash returns h, the handshake hash: the AD for the next AEAD, the channel
// binding after the handshake, and an input to NTCP2's SipHash KDF.
func (s *SymmetricState) Hash() [32]byte { return s.h }

// ChainingKey returns ck. Protocols derive extra keys from it (SSU2's
// SessCreateHeader and SessionConfirmed header keys, NTCP2's ask_master).
func (s *SymmetricState) ChainingKey() [32]byte { return s.ck }

// HasKey reports whether MixKey has run, i.e. whether EncryptAndHash
// encrypts.
func (s *SymmetricState) HasKey() bool { return s.hasKey }

// Nonce returns the nonce the next EncryptAndHash or DecryptAndHash uses.
func (s *SymmetricState) Nonce() uint64 { return s.n }

// SetNonce sets the nonce for the next AEAD. NTCP2 needs it: SessionConfirmed
// part 1 reuses the key from the SessionCreated ee step with n=1
// (ntcp2.rst, "KDF for handshake message 3 part 1"); SSU2 SessionConfirmed
// does the same.
func (s *SymmetricState) SetNonce(n uint64) { s.n = n }

// Zero wipes ck, h and k. Call it once the handshake's keys have been
// derived; the state must be re-Init'ed before reuse.
func (s *SymmetricState) Zero() {
	clear(s.ck[:])
	clear(s.h[:])
	clear(s.k[:])
	s.hasKey = false
	s.n = 0
}

// InitXK starts the handshake of an XK pattern whose responder's static
// key is rs, as NTCP2 and SSU2 both do ("KDF for handshake message 1",
// "KDF for Initial ChainKey"): Init(protocolName), MixHash of the empty
// prologue, MixHash(rs). The result depends only on rs, so a responder
// computes it once and copies it for each handshake.
func (s *SymmetricState) InitXK(protocolName string, rs []byte) {
	s.Init(protocolName)
	s.MixHash(nil)
	s.MixHash(rs)
}

// MixDH performs one DH token (es, ee, se): MixKey(X25519(priv, pub)),
// then wipes the shared secret. crypto.X25519 refuses low-order public
// keys, whose all-zero output would make the key independent of priv.
func (s *SymmetricState) MixDH(priv, pub []byte) error {
	ss, err := crypto.X25519(priv, pub)
	if err != nil {
		return err
	}
	s.MixKey(ss)
	clear(ss)
	return nil
}
