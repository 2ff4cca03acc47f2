package i2np

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/noise"
)

// Garlic addressed to a router (ecies-routers.rst, "New Session"
// one-shot): how DatabaseStores and DatabaseLookups reach a floodfill
// through a tunnel, and inbound tunnel builds an inbound gateway. The
// Garlic body is Noise N from an ephemeral key to the router's static
// X25519 key:
//
//	e(32, little-endian) || ChaCha20-Poly1305(k, n=0, ad=h, blocks)
//
// where h starts as the protocol name zero-padded to 32 bytes, then
// MixHash(""), MixHash(router key), MixHash(e), and MixKey(DH(e, router
// key)) gives k. blocks are ratchet payload blocks: a DateTime (which
// the spec requires), Garlic Cloves, maybe Padding. The router keeps no
// session; replies come back by other means (the lookup's one-time key).
const (
	noiseN            = "Noise_N_25519_ChaChaPoly_SHA256"
	blockDateTime     = 0
	routerGarlicFixed = 32 + crypto.ChaChaPolyOverhead
	// A router garlic's DateTime may be this far behind our clock or
	// ahead of it (ecies.rst, "Replay Prevention": 5 minutes back, 2
	// ahead).
	routerGarlicMaxAge    = 5 * time.Minute
	routerGarlicMaxFuture = 2 * time.Minute
)

// routerGarlicState returns the Noise state after MixKey, ready to
// encrypt or decrypt the payload.
func routerGarlicState(routerPub, ephPub, shared []byte) noise.SymmetricState {
	var s noise.SymmetricState
	s.Init(noiseN)
	s.MixHash(nil)
	s.MixHash(routerPub)
	s.MixHash(ephPub)
	s.MixKey(shared)
	return s
}

// OpenRouterGarlic decrypts the body of a Garlic message (the bytes after
// its 4-byte length) addressed to the router whose X25519 key pair is
// (priv, pub), checks its DateTime block against now, and returns the
// messages of its LOCAL Garlic Cloves. Cloves for other destinations are
// skipped. The ephemeral key, for a replay filter, is body[:32].
func OpenRouterGarlic(priv, pub *[32]byte, body []byte, now time.Time) ([]Clove, error) {
	const st = "router garlic"
	if len(body) < routerGarlicFixed {
		return nil, perr(st, "", detail(ErrTruncated, "%d bytes", len(body)))
	}
	shared, err := crypto.X25519(priv[:], body[:32])
	if err != nil {
		return nil, fmt.Errorf("i2np: %s: %w", st, err)
	}
	s := routerGarlicState(pub[:], body[:32], shared)
	defer s.Zero()
	plain, err := s.DecryptAndHash(nil, body[32:])
	if err != nil {
		return nil, fmt.Errorf("i2np: %s: %w", st, err)
	}
	var cloves []Clove
	dated := false
	for len(plain) > 0 {
		if len(plain) < blockHeaderLen {
			return nil, perr(st, "block", detail(ErrTruncated, "%d bytes", len(plain)))
		}
		t, n := plain[0], int(binary.BigEndian.Uint16(plain[1:]))
		plain = plain[blockHeaderLen:]
		if n > len(plain) {
			return nil, perr(st, "block", detail(ErrTruncated, "size %d, %d bytes follow", n, len(plain)))
		}
		blk := plain[:n]
		plain = plain[n:]
		switch {
		case t == blockDateTime:
			if n != 4 {
				return nil, perr(st, "DateTime", detail(ErrInvalid, "%d bytes", n))
			}
			at := time.Unix(int64(binary.BigEndian.Uint32(blk)), 0)
			if at.Before(now.Add(-routerGarlicMaxAge)) || at.After(now.Add(routerGarlicMaxFuture)) {
				return nil, perr(st, "DateTime", detail(ErrInvalid, "%v, %v from our clock", at.UTC(), at.Sub(now).Round(time.Second)))
			}
			dated = true
		case t == blockGarlicClove && n >= cloveLocalLen && blk[0] == 0:
			h, p, err := ParseShortHeader(blk[1:])
			if err != nil {
				return nil, err
			}
			cloves = append(cloves, Clove{Header: h, Payload: p})
		}
	}
	if !dated {
		return nil, perr(st, "DateTime", detail(ErrInvalid, "missing"))
	}
	return cloves, nil
}

// SealRouterGarlic returns the payload of a Garlic message (type 11) that
// carries message (h, payload) to the router with X25519 key routerPub,
// dated now. rand supplies the ephemeral key (nil: crypto/rand).
func SealRouterGarlic(routerPub *[32]byte, h Header, payload []byte, now time.Time, rand io.Reader) ([]byte, error) {
	ePriv, ePub, err := crypto.GenerateX25519(rand)
	if err != nil {
		return nil, fmt.Errorf("i2np: router garlic: %w", err)
	}
	defer clear(ePriv[:])
	shared, err := crypto.X25519(ePriv[:], routerPub[:])
	if err != nil {
		return nil, fmt.Errorf("i2np: router garlic: %w", err)
	}
	clove := cloveLocalLen + len(payload)
	plainLen := blockHeaderLen + 4 + blockHeaderLen + clove
	body := 32 + plainLen + crypto.ChaChaPolyOverhead
	if body > maxOpaqueLen || clove > 0xffff {
		return nil, fmt.Errorf("i2np: router garlic: message of %d bytes: %w", len(payload), ErrTooLarge)
	}
	plain := make([]byte, 0, plainLen)
	plain = append(plain, blockDateTime, 0, 4)
	plain = binary.BigEndian.AppendUint32(plain, uint32(now.Unix()))
	plain = append(plain, blockGarlicClove)
	plain = binary.BigEndian.AppendUint16(plain, uint16(clove))
	plain = append(plain, 0) // LOCAL
	plain = AppendShortHeader(plain, h)
	plain = append(plain, payload...)

	s := routerGarlicState(routerPub[:], ePub[:], shared)
	defer s.Zero()
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+body), uint32(body))
	b = append(b, ePub[:]...)
	return s.EncryptAndHash(b, plain), nil
}
