package data

import (
	cryptorand "crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/veil-i2p/veil/internal/crypto"
)

// The two encryption layers of an EncryptedLeaseSet (encryptedleaseset.rst,
// "Layer 1 encryption" to "Pre-shared key client authorization"):
//
//	outerCiphertext = outerSalt(32) || STREAM(L1K, layer 1)
//	layer 1         = flags(1) [|| auth data] || innerSalt(32) || STREAM(L2K, layer 2)
//	layer 2         = store type(1) || LeaseSet2 or MetaLeaseSet, signed
//	auth data       = epk or authSalt(32) || count(2) || count × (clientID(8) || clientCookie(32))
//
// STREAM is ChaCha20 (RFC 7539) with the block counter starting at 1.
// Every key and IV comes from a 44-byte HKDF output (32 key, 12 IV) whose
// input ends in subcredential || published(4): L1K with salt outerSalt;
// L2K with salt innerSalt, prefixed by the 32-byte authCookie when clients
// are authorized individually. Each client's cookie key, IV and ID come
// from a 52-byte HKDF (ID = bytes 44–51): "ELS2_XCA" with salt epk over
// DH(esk, cpk) || cpk || ..., or "ELS2PSKA" with salt authSalt over psk || ....

// AuthScheme is the per-client authorization of layer 1. Its values are
// the layer 1 flags byte: bit 0 per-client, bits 3–1 the scheme.
type AuthScheme uint8

// Authorization schemes.
const (
	AuthNone AuthScheme = 0 // everyone who knows A (and the secret)
	AuthDH   AuthScheme = 1 // X25519 key per client
	AuthPSK  AuthScheme = 3 // pre-shared key per client
)

func (s AuthScheme) String() string {
	switch s {
	case AuthNone:
		return "none"
	case AuthDH:
		return "DH"
	case AuthPSK:
		return "PSK"
	}
	return fmt.Sprintf("AuthScheme(%#x)", uint8(s))
}

// Authorization lists the clients a server lets decrypt.
type Authorization struct {
	Scheme AuthScheme
	// Keys are, for AuthDH, each client's X25519 public key; for AuthPSK,
	// each client's 32-byte pre-shared key. Their order on the wire is
	// shuffled, as the spec asks, so a client cannot tell from its
	// position when others were added or revoked.
	Keys [][]byte
}

// ClientKey is one client's secret for a per-client EncryptedLeaseSet.
type ClientKey struct {
	Scheme AuthScheme
	Key    []byte // AuthDH: our X25519 private key; AuthPSK: the pre-shared key
}

// Decryption failures a caller may want to tell apart.
var (
	ErrClientKeyRequired = errors.New("per-client authorization: a client key is required")
	ErrNotAuthorized     = errors.New("per-client authorization: this client is not listed")
	// ErrWrongScheme (which is also ErrNotAuthorized) says the client key
	// is of the other scheme than the LeaseSet's, so a caller holding a
	// key of unknown scheme (i2pd's i2cp.leaseSetPrivKey) can try the other.
	ErrWrongScheme = fmt.Errorf("%w (client key of the other scheme)", ErrNotAuthorized)
)

const (
	els2SaltLen   = 32
	els2CookieLen = 32
	els2IDLen     = 8
	els2ClientLen = els2IDLen + els2CookieLen
	// els2MinLen is the shortest outer ciphertext that can hold the two
	// salts, the flags and a store type byte.
	els2MinLen = els2SaltLen + 1 + els2SaltLen + 1
)

// stream is ChaCha20 from block 1 with key okm[0:32] and IV okm[32:44].
func stream(okm, dst, src []byte) error {
	var key [crypto.ChaChaKeyLen]byte
	var iv [crypto.ChaChaNonceLen]byte
	copy(key[:], okm[:32])
	copy(iv[:], okm[32:44])
	err := crypto.ChaCha20XOR(&key, &iv, 1, dst, src)
	clear(key[:])
	return err
}

// clientOKM derives a client's cookie key, IV and ID (52 bytes).
func clientOKM(s AuthScheme, salt, secret []byte, subcredPub []byte, cpk []byte) ([]byte, error) {
	switch s {
	case AuthDH:
		// salt is epk; secret is DH(esk, cpk) or DH(csk, epk).
		return crypto.HKDF(salt, cat(secret, cpk, subcredPub), "ELS2_XCA", 52), nil
	case AuthPSK:
		return crypto.HKDF(salt, cat(secret, subcredPub), "ELS2PSKA", 52), nil
	}
	return nil, fmt.Errorf("unknown authorization scheme %v", s)
}

func cat(parts ...[]byte) []byte {
	var n int
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// sealLayers encrypts pt (store type || inner LeaseSet) into an outer
// ciphertext.
func sealLayers(pt []byte, subcred [32]byte, published Seconds, auth *Authorization, rand io.Reader) ([]byte, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	subcredPub := binary.BigEndian.AppendUint32(subcred[:len(subcred):len(subcred)], uint32(published))
	scheme := AuthNone
	if auth != nil {
		scheme = auth.Scheme
	}
	l1 := []byte{byte(scheme)}
	var cookie []byte
	if scheme != AuthNone {
		var err error
		if l1, cookie, err = appendAuthData(l1, auth, subcredPub, rand); err != nil {
			return nil, err
		}
	}
	// Layer 2.
	innerSalt := make([]byte, els2SaltLen)
	if _, err := io.ReadFull(rand, innerSalt); err != nil {
		return nil, err
	}
	l1 = append(l1, innerSalt...)
	okm := crypto.HKDF(innerSalt, cat(cookie, subcredPub), "ELS2_L2K", 44)
	start := len(l1)
	l1 = append(l1, pt...)
	if err := stream(okm, l1[start:], l1[start:]); err != nil {
		return nil, err
	}
	// Layer 1.
	if els2SaltLen+len(l1) > 0xFFFF {
		return nil, fmt.Errorf("encrypted LeaseSet of %d bytes exceeds 65535", els2SaltLen+len(l1))
	}
	ct := make([]byte, els2SaltLen, els2SaltLen+len(l1))
	if _, err := io.ReadFull(rand, ct); err != nil {
		return nil, err
	}
	okm = crypto.HKDF(ct[:els2SaltLen], subcredPub, "ELS2_L1K", 44)
	ct = ct[:els2SaltLen+len(l1)]
	if err := stream(okm, ct[els2SaltLen:], l1); err != nil {
		return nil, err
	}
	return ct, nil
}

// appendAuthData appends the per-client section to l1 and returns the new
// authCookie.
func appendAuthData(l1 []byte, auth *Authorization, subcredPub []byte, rand io.Reader) (_, cookie []byte, err error) {
	if auth.Scheme != AuthDH && auth.Scheme != AuthPSK {
		return nil, nil, fmt.Errorf("unknown authorization scheme %v", auth.Scheme)
	}
	if len(auth.Keys) == 0 || len(auth.Keys) > 0xFFFF {
		return nil, nil, fmt.Errorf("%d client keys, want 1–65535", len(auth.Keys))
	}
	cookie = make([]byte, els2CookieLen)
	if _, err := io.ReadFull(rand, cookie); err != nil {
		return nil, nil, err
	}
	// The section salt: epk for DH, a random authSalt for PSK.
	var salt, esk []byte
	if auth.Scheme == AuthDH {
		priv, pub, err := crypto.GenerateX25519(rand)
		if err != nil {
			return nil, nil, err
		}
		defer clear(priv[:])
		esk, salt = priv[:], pub[:]
	} else {
		salt = make([]byte, els2SaltLen)
		if _, err := io.ReadFull(rand, salt); err != nil {
			return nil, nil, err
		}
	}
	keys, err := shuffled(auth.Keys, rand)
	if err != nil {
		return nil, nil, err
	}
	l1 = append(l1, salt...)
	l1 = binary.BigEndian.AppendUint16(l1, uint16(len(keys)))
	for i, k := range keys {
		if len(k) != 32 {
			return nil, nil, fmt.Errorf("client key %d: %d bytes, want 32", i, len(k))
		}
		secret, cpk := k, []byte(nil)
		if auth.Scheme == AuthDH {
			if secret, err = crypto.X25519(esk, k); err != nil {
				return nil, nil, fmt.Errorf("client key %d: %w", i, err)
			}
			cpk = k
		}
		okm, err := clientOKM(auth.Scheme, salt, secret, subcredPub, cpk)
		if err != nil {
			return nil, nil, err
		}
		l1 = append(l1, okm[44:52]...)
		start := len(l1)
		l1 = append(l1, cookie...)
		if err := stream(okm, l1[start:], l1[start:]); err != nil {
			return nil, nil, err
		}
	}
	return l1, cookie, nil
}

// shuffled returns a Fisher–Yates shuffled copy of keys.
func shuffled(keys [][]byte, rand io.Reader) ([][]byte, error) {
	out := append([][]byte(nil), keys...)
	var b [8]byte
	for i := len(out) - 1; i > 0; i-- {
		if _, err := io.ReadFull(rand, b[:]); err != nil {
			return nil, err
		}
		// The modulo bias is below 2^-48 for at most 65535 entries.
		j := int(binary.BigEndian.Uint64(b[:]) % uint64(i+1))
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// openLayers decrypts an outer ciphertext down to the layer 2 plaintext
// (store type || inner LeaseSet). It allocates one buffer the size of ct.
func openLayers(ct []byte, subcred [32]byte, published Seconds, key *ClientKey) ([]byte, error) {
	if len(ct) < els2MinLen {
		return nil, fmt.Errorf("layer 1: %w: %d bytes, need at least %d", ErrTruncated, len(ct), els2MinLen)
	}
	subcredPub := binary.BigEndian.AppendUint32(subcred[:len(subcred):len(subcred)], uint32(published))
	okm := crypto.HKDF(ct[:els2SaltLen], subcredPub, "ELS2_L1K", 44)
	l1 := make([]byte, len(ct)-els2SaltLen)
	if err := stream(okm, l1, ct[els2SaltLen:]); err != nil {
		return nil, err
	}
	// Bits 7–4 are unused and ignored, as Java does.
	scheme := AuthScheme(l1[0] & 0x0F)
	r := &reader{b: l1, off: 1}
	var cookie []byte
	switch scheme {
	case AuthNone:
	case AuthDH, AuthPSK:
		var err error
		if cookie, err = findCookie(r, scheme, subcredPub, key); err != nil {
			return nil, fmt.Errorf("layer 1: %w", err)
		}
	default:
		return nil, fmt.Errorf("layer 1: %w: flags %#02x (wrong key?)", ErrInvalid, l1[0])
	}
	innerSalt, err := r.bytes(els2SaltLen)
	if err != nil {
		return nil, fmt.Errorf("layer 1: inner salt: %w", err)
	}
	if r.remaining() == 0 {
		return nil, fmt.Errorf("layer 2: %w: empty", ErrTruncated)
	}
	okm = crypto.HKDF(innerSalt, cat(cookie, subcredPub), "ELS2_L2K", 44)
	pt := r.rest()
	if err := stream(okm, pt, pt); err != nil {
		return nil, err
	}
	return pt, nil
}

// findCookie reads the per-client section and decrypts this client's
// authCookie.
func findCookie(r *reader, scheme AuthScheme, subcredPub []byte, key *ClientKey) ([]byte, error) {
	salt, err := r.bytes(els2SaltLen)
	if err != nil {
		return nil, fmt.Errorf("auth salt: %w", err)
	}
	n, err := r.u16()
	if err != nil {
		return nil, fmt.Errorf("client count: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no client entries", ErrInvalid)
	}
	entries, err := r.bytes(int(n) * els2ClientLen)
	if err != nil {
		return nil, fmt.Errorf("client entries: %w", err)
	}
	if key == nil {
		return nil, fmt.Errorf("%v: %w", scheme, ErrClientKeyRequired)
	}
	if key.Scheme != scheme {
		return nil, fmt.Errorf("section is %v, client key is %v: %w", scheme, key.Scheme, ErrWrongScheme)
	}
	if len(key.Key) != 32 {
		return nil, fmt.Errorf("client key of %d bytes, want 32", len(key.Key))
	}
	secret, cpk := key.Key, []byte(nil)
	if scheme == AuthDH {
		pub, err := crypto.X25519Public(key.Key)
		if err != nil {
			return nil, err
		}
		cpk = pub[:]
		if secret, err = crypto.X25519(key.Key, salt); err != nil {
			return nil, fmt.Errorf("ephemeral key: %w", err)
		}
	}
	okm, err := clientOKM(scheme, salt, secret, subcredPub, cpk)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(entries); i += els2ClientLen {
		if subtle.ConstantTimeCompare(entries[i:i+els2IDLen], okm[44:52]) == 1 {
			cookie := make([]byte, els2CookieLen)
			if err := stream(okm, cookie, entries[i+els2IDLen:i+els2ClientLen]); err != nil {
				return nil, err
			}
			return cookie, nil
		}
	}
	return nil, ErrNotAuthorized
}
