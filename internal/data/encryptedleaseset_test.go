package data

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/veil-i2p/veil/internal/crypto"
	"pgregory.net/rapid"
)

// testPublished is 2026-01-01 12:00:00 UTC.
const testPublished Seconds = 1_767_268_800

// innerFor returns a signed LeaseSet2 or MetaLeaseSet of d for
// encryption, published at testPublished.
func innerFor(t testing.TB, d testDest, meta bool) InnerLeaseSet {
	t.Helper()
	h := LeaseSet2Header{Destination: d.dest, Published: testPublished, Expires: 600, Flags: FlagBlindedWhenPublished}
	if meta {
		ls := &MetaLeaseSet{LeaseSet2Header: h, Leases: []MetaLease{{Hash: Hash{7}, Flags: 3, End: testPublished + 600}}}
		if err := ls.Sign(d.signer); err != nil {
			t.Fatal(err)
		}
		return ls
	}
	ls := &LeaseSet2{LeaseSet2Header: h,
		Keys:   []EncryptionKey{{Type: crypto.EncX25519, Key: bytes.Repeat([]byte{4}, 32)}},
		Leases: []Lease2{{Gateway: Hash{1}, TunnelID: 5, End: testPublished + 600}}}
	if err := ls.Sign(d.signer); err != nil {
		t.Fatal(err)
	}
	return ls
}

// testClients returns n X25519 key pairs and n PSKs.
func testClients(t testing.TB, n int) (privs, pubs, psks [][]byte) {
	t.Helper()
	r := testRand(42)
	for range n {
		priv, pub, err := crypto.GenerateX25519(r)
		if err != nil {
			t.Fatal(err)
		}
		psk := make([]byte, 32)
		r.Read(psk)
		privs, pubs, psks = append(privs, priv[:]), append(pubs, pub[:]), append(psks, psk)
	}
	return privs, pubs, psks
}

func TestEncryptedLeaseSetDecrypt(t *testing.T) {
	privs, pubs, psks := testClients(t, 4)
	// Client 3 is not authorized.
	auths := []struct {
		name  string
		auth  *Authorization
		good  []*ClientKey
		wrong *ClientKey
	}{
		{"none", nil, []*ClientKey{nil}, nil},
		{"DH", &Authorization{Scheme: AuthDH, Keys: pubs[:3]},
			[]*ClientKey{{AuthDH, privs[0]}, {AuthDH, privs[1]}, {AuthDH, privs[2]}}, &ClientKey{AuthDH, privs[3]}},
		{"PSK", &Authorization{Scheme: AuthPSK, Keys: psks[:3]},
			[]*ClientKey{{AuthPSK, psks[0]}, {AuthPSK, psks[1]}, {AuthPSK, psks[2]}}, &ClientKey{AuthPSK, psks[3]}},
	}
	for _, d := range testDests(t) {
		for _, meta := range []bool{false, true} {
			for _, secret := range []string{"", "s3cret"} {
				for _, a := range auths {
					name := d.dest.SigType().String() + "/" + a.name
					if meta {
						name += "/meta"
					}
					if secret != "" {
						name += "/secret"
					}
					t.Run(name, func(t *testing.T) {
						testDecrypt(t, d, innerFor(t, d, meta), secret, a.auth, a.good, a.wrong)
					})
				}
			}
		}
	}
}

func testDecrypt(t *testing.T, d testDest, inner InnerLeaseSet, secret string, auth *Authorization, good []*ClientKey, wrong *ClientKey) {
	e, err := EncryptLeaseSet(d.signer, inner, EncryptOptions{
		Published: testPublished, Expires: 600, Secret: secret, Auth: auth, Rand: testRand(3),
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseEncryptedLeaseSet(e.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(); err != nil {
		t.Fatal(err)
	}
	b := BlindingOf(d.dest, secret)
	if k, err := b.DHTKey(testPublished.Time()); err != nil || k != p.Hash() {
		t.Fatalf("DHT key %s (%v), EncryptedLeaseSet is stored under %s", k, err, p.Hash())
	}
	for i, key := range good {
		in, err := p.Decrypt(b, key)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		if in.StoreType() != inner.StoreType() || !bytes.Equal(in.Bytes(), inner.Bytes()) {
			t.Fatalf("client %d: inner differs", i)
		}
	}
	if wrong != nil {
		if _, err := p.Decrypt(b, wrong); !errors.Is(err, ErrNotAuthorized) || errors.Is(err, ErrWrongScheme) {
			t.Errorf("unlisted client: %v, want ErrNotAuthorized", err)
		}
		if _, err := p.Decrypt(b, nil); !errors.Is(err, ErrClientKeyRequired) {
			t.Errorf("no client key: %v, want ErrClientKeyRequired", err)
		}
		other := &ClientKey{Scheme: AuthDH + AuthPSK - wrong.Scheme, Key: good[0].Key}
		if _, err := p.Decrypt(b, other); !errors.Is(err, ErrWrongScheme) || !errors.Is(err, ErrNotAuthorized) {
			t.Errorf("key of the other scheme: %v, want ErrWrongScheme", err)
		}
	}
	if _, err := p.Decrypt(BlindingOf(d.dest, secret+"x"), good[0]); err == nil {
		t.Error("wrong secret decrypted")
	}
	other := testDests(t)[0]
	if other.dest.Hash() == d.dest.Hash() {
		other = testDests(t)[1]
	}
	if _, err := p.Decrypt(BlindingOf(other.dest, secret), good[0]); err == nil {
		t.Error("another Destination's blinding decrypted")
	}
}

// TestEncryptedLeaseSetOffline builds one by hand, as an owner with
// offline keys would: the blinded key and the offline signature are made
// offline, the router only seals and signs with the transient key.
func TestEncryptedLeaseSetOffline(t *testing.T) {
	d := testDests(t)[1]
	date := crypto.BlindingDate(testPublished.Time())
	bpriv, err := crypto.BlindPrivateKey(d.signer.Type(), d.signer.Private(), crypto.SigRedDSASHA512, date, "")
	if err != nil {
		t.Fatal(err)
	}
	bs, err := crypto.NewSigner(crypto.SigRedDSASHA512, bpriv)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := crypto.GenerateSigner(crypto.SigEdDSASHA512, testRand(8))
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOfflineSignature(bs, testPublished+86400, ts.Type(), ts.Public())
	if err != nil {
		t.Fatal(err)
	}
	e := &EncryptedLeaseSet{BlindedType: crypto.SigRedDSASHA512, BlindedKey: bs.Public(), Published: testPublished, Expires: 300, Offline: &o}
	inner := innerFor(t, d, false)
	b := BlindingOf(d.dest, "")
	if err := e.Seal(b, inner, nil, testRand(5)); err != nil {
		t.Fatal(err)
	}
	if err := e.Sign(bs); err == nil {
		t.Error("signed with the blinded key although offline keys are set")
	}
	if err := e.Sign(ts); err != nil {
		t.Fatal(err)
	}
	p, err := ParseEncryptedLeaseSet(e.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if p.Flags != FlagOfflineKeys || !reflect.DeepEqual(p.Offline, e.Offline) {
		t.Fatalf("flags %#x offline %+v", p.Flags, p.Offline)
	}
	in, err := p.Decrypt(b, nil)
	if err != nil || !bytes.Equal(in.Bytes(), inner.Bytes()) {
		t.Fatal(err)
	}
	checkTruncations(t, e.Bytes(), func(b []byte) error { _, err := ParseEncryptedLeaseSet(b); return err })
	checkFlips(t, e.Bytes(), allPositions(len(e.Bytes())), func(b []byte) error {
		p, err := ParseEncryptedLeaseSet(b)
		if err != nil {
			return err
		}
		return p.Verify()
	})
	// Sealing for a blinded key of another day is refused.
	e.Published += 86400
	if err := e.Seal(b, inner, nil, nil); err == nil {
		t.Error("sealed under the wrong day's blinded key")
	}
}

func TestEncryptedLeaseSetRejects(t *testing.T) {
	d := testDests(t)[0]
	inner := innerFor(t, d, false)
	other := innerFor(t, testDests(t)[1], false)
	if _, err := EncryptLeaseSet(d.signer, other, EncryptOptions{Published: testPublished}); err == nil {
		t.Error("encrypted another Destination's LeaseSet")
	}
	if _, err := EncryptLeaseSet(d.signer, inner, EncryptOptions{Published: testPublished, Auth: &Authorization{Scheme: AuthDH}}); err == nil {
		t.Error("DH with no clients accepted")
	}
	if _, err := EncryptLeaseSet(d.signer, inner, EncryptOptions{Published: testPublished, Auth: &Authorization{Scheme: 5, Keys: [][]byte{make([]byte, 32)}}}); err == nil {
		t.Error("unknown scheme accepted")
	}
	e, err := EncryptLeaseSet(d.signer, inner, EncryptOptions{Published: testPublished, Expires: 600, Unpublished: true})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Unpublished() || e.Expiration() != testPublished.Time().Add(600e9) || e.StoreType() != StoreEncryptedLeaseSet {
		t.Error("accessors")
	}
	b := e.Bytes()
	checkTruncations(t, b, func(b []byte) error { _, err := ParseEncryptedLeaseSet(b); return err })
	// Every byte, the ciphertext included, is under the outer signature.
	checkFlips(t, b, allPositions(len(b)), func(b []byte) error {
		p, err := ParseEncryptedLeaseSet(b)
		if err != nil {
			return err
		}
		return p.Verify()
	})
	e.Flags |= 1 << 5
	if err := e.Sign(nil); err == nil {
		t.Error("reserved flag signed")
	}
}

func TestEncryptedLeaseSetRoundTrip(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		bs, err := crypto.GenerateSigner(crypto.SigRedDSASHA512, bytes.NewReader(drawBytes(rt, 64, "bseed")))
		if err != nil {
			rt.Fatal(err)
		}
		e := &EncryptedLeaseSet{
			BlindedType: crypto.SigRedDSASHA512, BlindedKey: bs.Public(),
			Published:  Seconds(rapid.Uint32().Draw(rt, "published")),
			Expires:    rapid.Uint16().Draw(rt, "expires"),
			Flags:      rapid.SampledFrom([]uint16{0, FlagUnpublished}).Draw(rt, "flags"),
			Ciphertext: drawBytes(rt, rapid.IntRange(1, 300).Draw(rt, "n"), "ct"),
		}
		s := crypto.Signer(bs)
		if rapid.Bool().Draw(rt, "offline") {
			ts, err := crypto.GenerateSigner(crypto.SigEdDSASHA512, bytes.NewReader(drawBytes(rt, 32, "tseed")))
			if err != nil {
				rt.Fatal(err)
			}
			o, err := NewOfflineSignature(bs, Seconds(rapid.Uint32().Draw(rt, "texp")), ts.Type(), ts.Public())
			if err != nil {
				rt.Fatal(err)
			}
			e.Offline, s = &o, ts
		}
		if err := e.Sign(s); err != nil {
			rt.Fatal(err)
		}
		got, err := ParseEncryptedLeaseSet(e.Bytes())
		if err != nil {
			rt.Fatal(err)
		}
		if !reflect.DeepEqual(got, e) {
			rt.Fatalf("parsed %+v\nsigned %+v", got, e)
		}
		if err := got.Verify(); err != nil {
			rt.Fatal(err)
		}
		if body := got.appendBody(nil); !bytes.Equal(append(body, got.Signature...), e.Bytes()) {
			rt.Fatal("re-encoding differs")
		}
	})
}

func FuzzParseEncryptedLeaseSet(f *testing.F) {
	_, pubs, psks := testClients(f, 2)
	for _, d := range testDests(f) {
		for _, auth := range []*Authorization{nil, {AuthDH, pubs}, {AuthPSK, psks}} {
			e, err := EncryptLeaseSet(d.signer, innerFor(f, d, false), EncryptOptions{Published: testPublished, Auth: auth, Rand: testRand(1)})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(e.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEncryptedLeaseSet(b)
		if err != nil {
			return
		}
		if !bytes.Equal(e.Bytes(), b) {
			t.Fatal("Bytes differs from input")
		}
		if body := e.appendBody(nil); !bytes.Equal(append(body, e.Signature...), b) {
			t.Fatal("re-encoding differs")
		}
		_ = e.Verify()
	})
}

// FuzzDecryptEncryptedLeaseSet feeds fuzzed outer ciphertexts to the
// layer decryption with a fixed subcredential and each kind of client
// key, then to the inner parser.
func FuzzDecryptEncryptedLeaseSet(f *testing.F) {
	privs, pubs, psks := testClients(f, 2)
	subcred := [32]byte{1, 2, 3}
	inner := innerFor(f, testDests(f)[0], false)
	pt := append([]byte{byte(StoreLeaseSet2)}, inner.Bytes()...)
	for _, auth := range []*Authorization{nil, {AuthDH, pubs}, {AuthPSK, psks}} {
		ct, err := sealLayers(pt, subcred, testPublished, auth, testRand(2))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct)
	}
	keys := []*ClientKey{nil, {AuthDH, privs[0]}, {AuthPSK, psks[1]}}
	f.Fuzz(func(t *testing.T, ct []byte) {
		for _, k := range keys {
			pt, err := openLayers(ct, subcred, testPublished, k)
			if err != nil {
				continue
			}
			if len(pt) >= len(ct) {
				t.Fatalf("plaintext of %d bytes from %d", len(pt), len(ct))
			}
			if in, err := parseInner(pt); err == nil {
				_ = in.Verify()
			}
		}
	})
}
