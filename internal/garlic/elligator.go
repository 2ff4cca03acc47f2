package garlic

import (
	"crypto/ecdh"
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"io"

	"filippo.io/edwards25519/field"

	"github.com/veil-i2p/veil/internal/crypto"
)

// Elligator2 for Curve25519 public keys (ecies.rst, "2a) Elligator2"):
// the New Session and New Session Reply ephemeral keys go on the wire as
// representatives that look like 254 uniformly random bits, topped up
// with two random bits to 32 bytes, so that an observer cannot tell them
// from Existing Session tags.
//
// The map (Bernstein, Hamburg, Krasnova, Lange, "Elligator: elliptic-curve
// points indistinguishable from uniform random strings", 2013, §5) with
// the non-square u = 2 and A = 486662: a representative r decodes to
//
//	v = -A / (1 + 2r²);  x = v if v³ + Av² + v is a square, else -v - A
//
// and a Montgomery x is encodable when -2x(x+A) is a square, as one of
//
//	r = sqrt(-x / (2(x+A)))   or   r = sqrt(-(x+A) / (2x))
//
// (the two representatives of the point's two y values). Of the two
// square roots the one at most (p-1)/2 is sent: i2pd refuses to decode
// anything larger (libi2pd/Elligator.cpp), and its unit test vectors,
// which elligator_test.go uses, assume that choice. Which of the two
// representatives is sent is random, like the sign of y of a random point.
//
// About half of all keys are not encodable; generateElligatorKey draws
// keys until one is. (X25519 public keys are multiples of the base point,
// a subgroup of an eighth of the curve, which a determined observer can
// test for on many representatives; the spec accepts that, as do Java I2P
// and i2pd.)

// elgA, elgNegA: the curve constant A = 486662 and -A, as field elements;
// written once at package init and only read after.
var elgA, elgNegA = func() (a, negA *field.Element) {
	var b [32]byte
	b[0], b[1], b[2] = 486662&0xff, (486662>>8)&0xff, 486662>>16
	a, err := new(field.Element).SetBytes(b[:])
	if err != nil {
		panic(err)
	}
	return a, new(field.Element).Negate(a)
}()

// errNotEncodable: the public key has no Elligator2 representative.
var errNotEncodable = errors.New("garlic: elligator2: key not encodable")

// elligatorEncode returns a representative of the X25519 public key pub,
// the second one if alt, with its two top bits zero. ok is false when the
// key is not encodable or has its top bit set.
func elligatorEncode(pub *[32]byte, alt bool) (rep [32]byte, ok bool) {
	if pub[31]&0x80 != 0 {
		// Not a key X25519 produces; RFC 7748 would drop the bit, i2pd
		// would reduce the 256-bit value mod p. Refuse both readings.
		return rep, false
	}
	var x, xA, num, den field.Element
	if _, err := x.SetBytes(pub[:]); err != nil {
		return rep, false
	}
	xA.Add(&x, elgA)
	if alt { // r² = -(x+A) / 2x
		num.Negate(&xA)
		den.Add(&x, &x)
	} else { // r² = -x / 2(x+A)
		num.Negate(&x)
		den.Add(&xA, &xA)
	}
	var r field.Element
	if _, square := r.SqrtRatio(&num, &den); square != 1 {
		return rep, false
	}
	// Take the root at most (p-1)/2: r is above it exactly when 2r mod p
	// is odd, which is what IsNegative reports of 2r.
	var twice, neg field.Element
	twice.Add(&r, &r)
	r.Select(neg.Negate(&r), &r, twice.IsNegative())
	copy(rep[:], r.Bytes())
	return rep, true
}

// elligatorDecode returns the X25519 public key a representative stands
// for, ignoring its two top bits. It fails only for the nine 254-bit
// values above (p-1)/2, which no encoder produces and i2pd refuses.
func elligatorDecode(rep *[32]byte) (pub [32]byte, ok bool) {
	b := *rep
	b[31] &= 0x3f
	if aboveHalfP(&b) {
		return pub, false
	}
	var r, one, d, v, t, x field.Element
	if _, err := r.SetBytes(b[:]); err != nil {
		return pub, false
	}
	one.One()
	d.Square(&r)
	d.Add(&d, &d)
	d.Add(&d, &one)         // 1 + 2r², never 0: -1/2 is not a square mod p
	v.Invert(&d)            //
	v.Multiply(&v, elgNegA) // v = -A / (1 + 2r²)
	t.Add(&v, elgA)
	t.Multiply(&t, &v)
	t.Add(&t, &one)
	t.Multiply(&t, &v) // t = v(v² + Av + 1) = v³ + Av² + v
	_, square := new(field.Element).SqrtRatio(&t, &one)
	var other field.Element
	other.Negate(&v)
	other.Subtract(&other, elgA) // -v - A
	x.Select(&v, &other, square)
	copy(pub[:], x.Bytes())
	return pub, true
}

// aboveHalfP reports whether the little-endian 254-bit b exceeds
// (p-1)/2 = 2^254 - 10, that is, whether it is 2^254-9 … 2^254-1.
func aboveHalfP(b *[32]byte) bool {
	if b[31] != 0x3f || b[0] <= 0xf6 {
		return false
	}
	for _, c := range b[1:31] {
		if c != 0xff {
			return false
		}
	}
	return true
}

// elligatorKey is an ephemeral X25519 key pair with the representative
// that goes on the wire (random top bits included). The private key is a
// crypto/ecdh key so that each DH with it costs one scalar multiplication
// (crypto.X25519 would redo the public key every time).
type elligatorKey struct {
	priv     *ecdh.PrivateKey
	pub, rep [32]byte
}

// dh is X25519 with the key; it fails for a low-order peer key (all-zero
// output), as crypto.X25519 does.
func (k *elligatorKey) dh(peer []byte) ([]byte, error) {
	p, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil {
		return nil, fmt.Errorf("garlic: x25519: %w", err)
	}
	ss, err := k.priv.ECDH(p)
	if err != nil {
		return nil, crypto.ErrLowOrderPoint
	}
	return ss, nil
}

// maxElligatorTries bounds the key generation loop: each try succeeds
// with probability 1/2, so 128 failures in a row mean a broken reader.
const maxElligatorTries = 128

// generateElligatorKey draws X25519 keys from rand (nil: crypto/rand)
// until one is encodable ("GENERATE_PRIVATE_ELG2"), picks one of its two
// representatives at random and sets the two top bits at random
// ("ENCODE_ELG2").
func generateElligatorKey(rand io.Reader) (elligatorKey, error) {
	var k elligatorKey
	var seed [33]byte // private key, then the coin for the representative
	defer clear(seed[:])
	for range maxElligatorTries {
		if _, err := io.ReadFull(orRand(rand), seed[:]); err != nil {
			return k, fmt.Errorf("garlic: ephemeral key: %w", err)
		}
		priv, err := ecdh.X25519().NewPrivateKey(seed[:32])
		if err != nil {
			return k, fmt.Errorf("garlic: ephemeral key: %w", err)
		}
		pub := [32]byte(priv.PublicKey().Bytes())
		coin := seed[32]
		rep, ok := elligatorEncode(&pub, coin&1 == 1)
		if !ok {
			continue
		}
		rep[31] |= coin & 0xc0
		k.priv, k.pub, k.rep = priv, pub, rep
		return k, nil
	}
	return k, fmt.Errorf("%w after %d keys: broken random source", errNotEncodable, maxElligatorTries)
}

// orRand returns r, or crypto/rand.Reader when r is nil.
func orRand(r io.Reader) io.Reader {
	if r == nil {
		return cryptorand.Reader
	}
	return r
}
