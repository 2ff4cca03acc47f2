package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"pgregory.net/rapid"
)

// routerKeys makes an Ed25519 signer and its X25519/Ed25519 router
// identity from a seed.
func routerKeys(tb testing.TB, seed byte) (crypto.Signer, RouterIdentity) {
	tb.Helper()
	r := seededReader(seed)
	s, err := crypto.GenerateSigner(crypto.SigEdDSASHA512, r)
	if err != nil {
		tb.Fatal(err)
	}
	id, err := NewKeysAndCert(crypto.EncX25519, randBytes(r, 32), s.Type(), s.Public(), r)
	if err != nil {
		tb.Fatal(err)
	}
	return s, id
}

// smallRouterInfo is a signed RouterInfo with one address and two options.
func smallRouterInfo(tb testing.TB) (*RouterInfo, crypto.Signer) {
	tb.Helper()
	s, id := routerKeys(tb, 42)
	ri := &RouterInfo{
		Identity:  id,
		Published: 1795635246123,
		Addresses: []RouterAddress{{
			Cost:      3,
			Transport: "NTCP2",
			Options:   NewMapping(map[string]string{"host": "192.0.2.1", "port": "9001", "v": "2"}),
		}},
		Options: NewMapping(map[string]string{"netId": "2", "caps": "LR", "router.version": "0.9.67"}),
	}
	if err := ri.Sign(s); err != nil {
		tb.Fatal(err)
	}
	return ri, s
}

// TestRouterInfoI2pdCapture reads the router.info that i2pd 2.45.1 wrote
// for itself on a private network (netId 99, 127.0.0.1:23456).
func TestRouterInfoI2pdCapture(t *testing.T) {
	raw := readTestdata(t, "routerinfo", "i2pd-2.45.1.dat")
	ri, err := ParseRouterInfo(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := ri.Verify(); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !bytes.Equal(ri.Bytes(), raw) {
		t.Fatal("Bytes differ from the file")
	}
	if ri.Hash() != sha256.Sum256(raw[:391]) {
		t.Fatal("Hash is not SHA-256 of the 391-byte identity")
	}
	id := ri.Identity
	if id.SigType() != crypto.SigEdDSASHA512 || id.EncType() != crypto.EncX25519 {
		t.Fatalf("identity types %v/%v", id.SigType(), id.EncType())
	}
	if ri.NetID() != 99 || ri.Caps() != "L" || ri.Version() != "0.9.57" {
		t.Fatalf("options: netId %d caps %q version %q", ri.NetID(), ri.Caps(), ri.Version())
	}
	var transports []string
	for _, a := range ri.Addresses {
		transports = append(transports, a.Transport)
		if a.Host() != "127.0.0.1" || a.Port() != 23456 || a.Expiration != 0 {
			t.Errorf("%s: host %q port %d expiration %d", a.Transport, a.Host(), a.Port(), a.Expiration)
		}
	}
	if !slices.Equal(transports, []string{"NTCP2", "SSU2"}) {
		t.Fatalf("transports %q", transports)
	}
}

// TestRouterInfoSignLayout assembles the signed part by hand from
// common-structures.rst, RouterInfo, and compares it with Sign's output.
func TestRouterInfoSignLayout(t *testing.T) {
	ri, s := smallRouterInfo(t)
	want := slices.Concat(
		ri.Identity.Bytes(),
		binary.BigEndian.AppendUint64(nil, 1795635246123), // published
		[]byte{1},                         // one address:
		[]byte{3, 0, 0, 0, 0, 0, 0, 0, 0}, // cost, expiration
		[]byte("\x05NTCP2"),               // transport
		[]byte{0, 0x23},                   // options size, then options
		[]byte("\x04host=\x09192.0.2.1;\x04port=\x049001;\x01v=\x012;"),
		[]byte{0},       // peer_size
		[]byte{0, 0x2c}, // options size, then options
		[]byte("\x04caps=\x02LR;\x05netId=\x012;\x0erouter.version=\x060.9.67;"),
	)
	signed := ri.Bytes()[:len(ri.Bytes())-64]
	if !bytes.Equal(signed, want) {
		t.Fatalf("signed part\n%x\nwant\n%x", signed, want)
	}
	if err := crypto.Verify(s.Type(), s.Public(), want, ri.Signature); err != nil {
		t.Fatalf("signature does not cover the signed part: %v", err)
	}
	if ri.Addresses[0].Port() != 9001 || ri.Addresses[0].Host() != "192.0.2.1" {
		t.Fatal("address accessors")
	}
}

func TestRouterInfoPeersSkipped(t *testing.T) {
	// peer_size is unused and always 0, but old routers may send hashes;
	// they are skipped and the signature still covers them.
	ri, s := smallRouterInfo(t)
	signed := slices.Clone(ri.Bytes()[:len(ri.Bytes())-64])
	peerAt := len(signed) - 2 - 0x2c - 1
	if signed[peerAt] != 0 {
		t.Fatal("test premise: peer_size not found")
	}
	withPeers := slices.Concat(signed[:peerAt], []byte{2}, bytes.Repeat([]byte{0xab}, 64), signed[peerAt+1:])
	sig, err := s.Sign(withPeers)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseRouterInfo(append(withPeers, sig...))
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(); err != nil || got.Caps() != "LR" {
		t.Fatalf("Verify %v, caps %q", err, got.Caps())
	}
}

func TestParseRouterInfoErrors(t *testing.T) {
	ri, _ := smallRouterInfo(t)
	raw := ri.Bytes()
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"trailing byte", append(slices.Clone(raw), 0), ErrInvalid},
		{"trailing signature", append(slices.Clone(raw), raw[len(raw)-64:]...), ErrInvalid},
		{"over 64 KiB", make([]byte, 64<<10+1), ErrInvalid},
		{"empty", nil, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseRouterInfo(tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("ParseRouterInfo = %v, want %v", err, tt.want)
			}
		})
	}
	for _, full := range [][]byte{raw, readTestdata(t, "routerinfo", "i2pd-2.45.1.dat")} {
		for n := range len(full) {
			if _, err := ParseRouterInfo(full[:n]); !errors.Is(err, ErrTruncated) {
				t.Fatalf("%d-byte prefix of %d: %v, want ErrTruncated", n, len(full), err)
			}
		}
	}
}

// TestRouterInfoByteFlips changes each byte of a signed RouterInfo in two
// ways; every result must fail to parse or fail to verify.
func TestRouterInfoByteFlips(t *testing.T) {
	ri, _ := smallRouterInfo(t)
	raw := ri.Bytes()
	for i := range raw {
		for _, mask := range []byte{0x01, 0xff} {
			b := slices.Clone(raw)
			b[i] ^= mask
			got, err := ParseRouterInfo(b)
			if err != nil {
				continue
			}
			if err := got.Verify(); err == nil {
				t.Fatalf("byte %d ^ %#x: parses and verifies", i, mask)
			}
		}
	}
}

func TestRouterInfoSignErrors(t *testing.T) {
	s, id := routerKeys(t, 1)
	other, err := crypto.GenerateSigner(crypto.SigRedDSASHA512, seededReader(2))
	if err != nil {
		t.Fatal(err)
	}
	bad := NewMapping(nil)
	bad.Set("a;b", "1")
	tests := []struct {
		name   string
		ri     RouterInfo
		signer crypto.Signer
	}{
		{"signer type differs", RouterInfo{Identity: id}, other},
		{"256 addresses", RouterInfo{Identity: id, Addresses: make([]RouterAddress, 256)}, s},
		{"bad options", RouterInfo{Identity: id, Options: bad}, s},
		{"bad address options", RouterInfo{Identity: id, Addresses: []RouterAddress{{Options: bad}}}, s},
		{"transport too long", RouterInfo{Identity: id, Addresses: []RouterAddress{{Transport: strings.Repeat("x", 256)}}}, s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.ri.Sign(tt.signer); err == nil {
				t.Fatal("Sign succeeded")
			}
			if len(tt.ri.Bytes()) != 0 {
				t.Fatal("failed Sign left bytes behind")
			}
		})
	}
	if err := (&RouterInfo{Identity: id}).Verify(); err == nil {
		t.Fatal("Verify of an unsigned RouterInfo succeeded")
	}
}

func TestRouterInfoAccessors(t *testing.T) {
	tests := []struct {
		opt     string
		netID   int
		port    string
		wantPrt int
	}{
		{"2", 2, "9001", 9001},
		{"", -1, "", 0},
		{"x", -1, "65536", 0},
		{"-5", -5, "-1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.opt+"/"+tt.port, func(t *testing.T) {
			ri := RouterInfo{Options: NewMapping(map[string]string{"netId": tt.opt})}
			a := RouterAddress{Options: NewMapping(map[string]string{"port": tt.port})}
			if ri.NetID() != tt.netID || a.Port() != tt.wantPrt {
				t.Fatalf("NetID %d Port %d", ri.NetID(), a.Port())
			}
		})
	}
}

func genRouterAddress(t *rapid.T, i int) RouterAddress {
	label := func(s string) string { return s + string(rune('0'+i)) }
	return RouterAddress{
		Cost:       rapid.Uint8().Draw(t, label("cost")),
		Expiration: Date(rapid.Uint64().Draw(t, label("expiration"))),
		Transport: rapid.OneOf(rapid.SampledFrom([]string{"NTCP2", "SSU2"}),
			rapid.StringN(0, 20, 255)).Draw(t, label("transport")),
		Options: NewMapping(genMappingMap(t, label("addrOptions"), 8)),
	}
}

func TestRouterInfoRoundTripProperty(t *testing.T) {
	s, id := routerKeys(t, 7)
	rapid.Check(t, func(t *rapid.T) {
		ri := &RouterInfo{
			Identity:  id,
			Published: Date(rapid.Uint64().Draw(t, "published")),
			Options:   NewMapping(genMappingMap(t, "options", 10)),
		}
		for i := range rapid.IntRange(0, 4).Draw(t, "addresses") {
			ri.Addresses = append(ri.Addresses, genRouterAddress(t, i))
		}
		if err := ri.Sign(s); err != nil {
			t.Fatalf("Sign: %v", err)
		}
		got, err := ParseRouterInfo(slices.Clone(ri.Bytes()))
		if err != nil {
			t.Fatalf("ParseRouterInfo: %v", err)
		}
		if err := got.Verify(); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if !bytes.Equal(got.Bytes(), ri.Bytes()) || got.Hash() != id.Hash() {
			t.Fatal("bytes or hash differ")
		}
		if !bytes.Equal(got.Identity.Bytes(), id.Bytes()) || got.Published != ri.Published ||
			!bytes.Equal(got.Signature, ri.Signature) || !slices.Equal(got.Options.Pairs(), ri.Options.Pairs()) {
			t.Fatal("fields differ")
		}
		if len(got.Addresses) != len(ri.Addresses) {
			t.Fatalf("%d addresses, want %d", len(got.Addresses), len(ri.Addresses))
		}
		for i, a := range got.Addresses {
			w := ri.Addresses[i]
			if a.Cost != w.Cost || a.Expiration != w.Expiration || a.Transport != w.Transport ||
				!slices.Equal(a.Options.Pairs(), w.Options.Pairs()) {
				t.Fatalf("address %d: %+v, want %+v", i, a, w)
			}
		}
	})
}

func BenchmarkParseRouterInfo(b *testing.B) {
	raw := readTestdata(b, "routerinfo", "i2pd-2.45.1.dat")
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := ParseRouterInfo(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRouterInfoVerify(b *testing.B) {
	ri, err := ParseRouterInfo(readTestdata(b, "routerinfo", "i2pd-2.45.1.dat"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := ri.Verify(); err != nil {
			b.Fatal(err)
		}
	}
}
