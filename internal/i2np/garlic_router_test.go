package i2np

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/noise"
)

var routerGarlicNow = time.Unix(1_800_000_000, 0)

func routerKeys(t testing.TB) (priv, pub [32]byte) {
	priv, pub, err := crypto.GenerateX25519(nil)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// TestNoiseNInit checks h after the empty prologue against the value
// i2pd 2.45.1 hard-codes in InitNoiseNState (SHA-256 of the protocol name
// zero-padded to 32 bytes).
func TestNoiseNInit(t *testing.T) {
	var s noise.SymmetricState
	s.Init(noiseN)
	s.MixHash(nil)
	h := s.Hash()
	if got := hex.EncodeToString(h[:]); got != "694d52445a27d9adfad29c7632395dc1e4354c69b4f92eac8a1ee46a9ed21554" {
		t.Fatal(got)
	}
}

func TestRouterGarlicRoundTrip(t *testing.T) {
	priv, pub := routerKeys(t)
	h := Header{Type: TypeDatabaseLookup, ID: 0xfeedbeef, Expiration: routerGarlicNow.Add(time.Minute)}
	payload := bytes.Repeat([]byte{0x5a}, 300)
	g, err := SealRouterGarlic(&pub, h, payload, routerGarlicNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	gm, err := ParseGarlic(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, skew := range []time.Duration{0, 4 * time.Minute, -time.Minute} {
		cloves, err := OpenRouterGarlic(&priv, &pub, gm.Body, routerGarlicNow.Add(skew))
		if err != nil || len(cloves) != 1 {
			t.Fatalf("skew %v: %v", skew, err)
		}
		c := cloves[0]
		if c.Header.Type != h.Type || c.Header.ID != h.ID || !c.Header.Expiration.Equal(h.Expiration) || !bytes.Equal(c.Payload, payload) {
			t.Fatalf("clove %+v", c.Header)
		}
	}
	for _, skew := range []time.Duration{6 * time.Minute, -3 * time.Minute} {
		if _, err := OpenRouterGarlic(&priv, &pub, gm.Body, routerGarlicNow.Add(skew)); !errors.Is(err, ErrInvalid) {
			t.Fatalf("skew %v: %v", skew, err)
		}
	}
	otherPriv, otherPub := routerKeys(t)
	if _, err := OpenRouterGarlic(&otherPriv, &otherPub, gm.Body, routerGarlicNow); err == nil {
		t.Fatal("opened by another router")
	}
	for n := range len(gm.Body) {
		if _, err := OpenRouterGarlic(&priv, &pub, gm.Body[:n], routerGarlicNow); err == nil {
			t.Fatalf("prefix of %d bytes opened", n)
		}
	}
}

// sealBlocks encrypts raw blocks for the router, as SealRouterGarlic does.
func sealBlocks(t testing.TB, pub *[32]byte, blocks []byte) []byte {
	ePriv, ePub := routerKeys(t)
	shared, err := crypto.X25519(ePriv[:], pub[:])
	if err != nil {
		t.Fatal(err)
	}
	s := routerGarlicState(pub[:], ePub[:], shared)
	return s.EncryptAndHash(append([]byte(nil), ePub[:]...), blocks)
}

func TestRouterGarlicBlocks(t *testing.T) {
	priv, pub := routerKeys(t)
	date := binary.BigEndian.AppendUint32([]byte{blockDateTime, 0, 4}, uint32(routerGarlicNow.Unix()))
	clove := func(flag byte) []byte {
		body := append([]byte{flag}, AppendShortHeader(nil, Header{Type: TypeDeliveryStatus, ID: 1, Expiration: routerGarlicNow})...)
		body = append(body, make([]byte, 12)...)
		return append(binary.BigEndian.AppendUint16([]byte{blockGarlicClove}, uint16(len(body))), body...)
	}
	pad := []byte{blockPadding, 0, 3, 0, 0, 0}
	cases := []struct {
		name   string
		blocks []byte
		cloves int
		ok     bool
	}{
		{"i2pd's layout", concat(date, clove(0), pad), 1, true},
		{"router clove skipped", concat(date, clove(0x40), clove(0)), 1, true},
		{"no DateTime", concat(clove(0), pad), 0, false},
		{"short DateTime", concat([]byte{blockDateTime, 0, 3, 1, 2, 3}, clove(0)), 0, false},
		{"block overruns", concat(date, []byte{blockGarlicClove, 0, 200, 0}), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cloves, err := OpenRouterGarlic(&priv, &pub, sealBlocks(t, &pub, c.blocks), routerGarlicNow)
			if (err == nil) != c.ok || len(cloves) != c.cloves {
				t.Fatalf("%d cloves, %v", len(cloves), err)
			}
		})
	}
}

func concat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func FuzzOpenRouterGarlic(f *testing.F) {
	priv, pub := routerKeys(f)
	g, _ := SealRouterGarlic(&pub, Header{Type: TypeData, ID: 1, Expiration: routerGarlicNow}, []byte("hello"), routerGarlicNow, nil)
	f.Add(g[4:], false)
	f.Add([]byte{}, true)
	// With seal set the input is encrypted first, so that the fuzzer
	// reaches the block parser behind the MAC.
	f.Fuzz(func(t *testing.T, b []byte, seal bool) {
		if seal {
			b = sealBlocks(t, &pub, b)
		}
		_, _ = OpenRouterGarlic(&priv, &pub, b, routerGarlicNow)
	})
}
