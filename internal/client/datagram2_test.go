package client

import (
	"bytes"
	"crypto/rand"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/tunnel"
)

var dgNow = time.Unix(1_800_000_000, 0)

func dgOptions() data.Mapping { return data.NewMapping(map[string]string{"k": "v", "a": "b"}) }

func TestDatagram2(t *testing.T) {
	d := testDestination(t)
	to := data.Hash{9, 9, 9}
	for _, opts := range []data.Mapping{{}, dgOptions()} {
		b, err := d.AppendDatagram2(nil, to, []byte("hello"), opts)
		if err != nil {
			t.Fatal(err)
		}
		want := 391 + 2 + 5 + 64
		if opts.Len() > 0 {
			want += 2 + len("a=b;k=v;") + 4 // each string has its length byte
		}
		if len(b) != want {
			t.Fatalf("%d bytes, want %d", len(b), want)
		}
		dg, err := ParseDatagram2(b, to, dgNow)
		if err != nil || dg.From.Hash() != d.Hash() || string(dg.Payload) != "hello" || dg.Offline != nil ||
			dg.Options.Len() != opts.Len() || dg.Options.Value("k") != opts.Value("k") {
			t.Fatalf("%+v %v", dg, err)
		}
		// Sent to someone else, it does not verify: the replay protection.
		if _, err := ParseDatagram2(b, data.Hash{1}, dgNow); err == nil {
			t.Fatal("datagram2 verified for another destination")
		}
		// Every byte after the destination's unused key field counts:
		// flags, options, payload, signature, and the signing key.
		for at := 360; at < len(b); at++ {
			bad := bytes.Clone(b)
			bad[at] ^= 0x40
			if _, err := ParseDatagram2(bad, to, dgNow); err == nil {
				t.Fatalf("flip at %d of %d accepted", at, len(b))
			}
		}
		for n := range len(b) {
			if _, err := ParseDatagram2(b[:n], to, dgNow); err == nil && n < len(b)-64 {
				t.Fatalf("truncated to %d bytes accepted", n)
			}
		}
	}
	// A Datagram3 or Datagram1 is not a Datagram2.
	b3, _ := d.AppendDatagram3(nil, []byte("x"), data.Mapping{})
	if _, err := ParseDatagram2(append(d.keys.Identity.Bytes(), b3[32:]...), to, dgNow); err == nil {
		t.Fatal("version 3 accepted as a Datagram2")
	}
}

// TestDatagram2Offline: a destination with offline keys signs with its
// transient key and carries the offline signature; an expired one fails.
func TestDatagram2Offline(t *testing.T) {
	keys, err := keyfile.Generate(crypto.SigEdDSASHA512, crypto.EncElGamal, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	longTerm, _ := keys.Signer()
	transient, err := crypto.GenerateSigner(crypto.SigEdDSASHA512, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	exp := data.SecondsOf(dgNow.Add(time.Hour))
	off, err := data.NewOfflineSignature(longTerm, exp, crypto.SigEdDSASHA512, transient.Public())
	if err != nil {
		t.Fatal(err)
	}
	keys.Offline = &keyfile.Offline{Expires: uint32(exp), TransientType: crypto.SigEdDSASHA512,
		TransientPublic: transient.Public(), Signature: off.Signature, TransientPrivate: transient.Private()}
	net := fakeNet{tun: tunnel.NewTunnels(tunnel.TunnelsConfig{}), store: netdb.New(netdb.Config{NetID: 99})}
	d, err := New(net, Config{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	to := data.Hash{7}
	b, err := d.AppendDatagram2(nil, to, []byte("offline"), dgOptions())
	if err != nil {
		t.Fatal(err)
	}
	dg, err := ParseDatagram2(b, to, dgNow)
	if err != nil || dg.Offline == nil || !dg.Offline.Equal(off) || string(dg.Payload) != "offline" {
		t.Fatalf("%+v %v", dg, err)
	}
	if _, err := ParseDatagram2(b, to, dgNow.Add(2*time.Hour)); err == nil {
		t.Fatal("expired offline signature accepted")
	}
	// The offline section's signature is checked against the identity.
	bad := bytes.Clone(b)
	i := bytes.Index(bad, off.Signature)
	bad[i] ^= 1
	if _, err := ParseDatagram2(bad, to, dgNow); err == nil {
		t.Fatal("bad offline signature accepted")
	}
}

func TestDatagram3(t *testing.T) {
	d := testDestination(t)
	for _, opts := range []data.Mapping{{}, dgOptions()} {
		b, err := d.AppendDatagram3(nil, []byte("hi"), opts)
		if err != nil {
			t.Fatal(err)
		}
		dg, err := ParseDatagram3(b)
		if err != nil || dg.From != d.Hash() || string(dg.Payload) != "hi" || dg.Options.Value("a") != opts.Value("a") {
			t.Fatalf("%+v %v", dg, err)
		}
		if opts.Len() == 0 && len(b) != 32+2+2 {
			t.Fatalf("%d bytes", len(b))
		}
	}
	for _, b := range [][]byte{nil, make([]byte, 33), append(make([]byte, 32), 0, 2), append(make([]byte, 32), 0, 0x13, 0, 9)} {
		if _, err := ParseDatagram3(b); err == nil {
			t.Fatalf("% x accepted", b)
		}
	}
	// Unknown flag bits are kept for later versions of the format.
	dg, err := ParseDatagram3(append(make([]byte, 32), 0x80, 3, 'x'))
	if err != nil || string(dg.Payload) != "x" {
		t.Fatalf("%+v %v", dg, err)
	}
}

func FuzzParseDatagram2(f *testing.F) {
	d := testDestination(f)
	to := data.Hash{1, 2, 3}
	for _, opts := range []data.Mapping{{}, dgOptions()} {
		b, _ := d.AppendDatagram2(nil, to, []byte("seed"), opts)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		dg, err := ParseDatagram2(b, to, dgNow)
		if err == nil && len(dg.Payload) > len(b) {
			t.Fatal("payload longer than the datagram")
		}
	})
}

func FuzzParseDatagram3(f *testing.F) {
	d := testDestination(f)
	for _, opts := range []data.Mapping{{}, dgOptions()} {
		b, _ := d.AppendDatagram3(nil, []byte("seed"), opts)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		dg, err := ParseDatagram3(b)
		if err == nil && len(dg.Payload) > len(b)-34 {
			t.Fatal("payload longer than the datagram")
		}
	})
}
