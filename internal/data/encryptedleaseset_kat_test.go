package data

import (
	"bytes"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// TestEncryptedLeaseSetLayersKnownAnswers checks both layers against
// testdata/els2_layers.txt, made by testdata/gen_els2_layers.py from the
// spec text with Python's 'cryptography' package: sealing with the same
// random bytes must give the same ciphertext, and every listed client
// must open it.
func TestEncryptedLeaseSetLayersKnownAnswers(t *testing.T) {
	raw, err := os.ReadFile("testdata/els2_layers.txt")
	if err != nil {
		t.Fatal(err)
	}
	hexes := func(s string) [][]byte {
		if s == "-" {
			return nil
		}
		var out [][]byte
		for _, h := range strings.Split(s, ",") {
			b, err := hex.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
		return out
	}
	n := 0
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		w := strings.Fields(line)
		scheme, _ := strconv.Atoi(w[0])
		var subcred [32]byte
		copy(subcred[:], hexes(w[1])[0])
		pub, _ := strconv.ParseUint(w[2], 10, 32)
		rnd, server, clients := hexes(w[3]), hexes(w[4]), hexes(w[5])
		pt, ct := hexes(w[6])[0], hexes(w[7])[0]
		t.Run(AuthScheme(scheme).String(), func(t *testing.T) {
			var auth *Authorization
			if scheme != 0 {
				auth = &Authorization{Scheme: AuthScheme(scheme), Keys: server}
			}
			var r []byte
			if rnd != nil {
				r = rnd[0]
			}
			got, err := sealLayers(pt, subcred, Seconds(pub), auth, bytes.NewReader(r))
			if err != nil || !bytes.Equal(got, ct) {
				t.Fatalf("sealLayers = %x, %v\nwant %x", got, err, ct)
			}
			keys := []*ClientKey{nil}
			if scheme != 0 {
				keys = nil
				for _, c := range clients {
					keys = append(keys, &ClientKey{Scheme: AuthScheme(scheme), Key: c})
				}
			}
			for i, k := range keys {
				got, err := openLayers(ct, subcred, Seconds(pub), k)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("client %d: openLayers = %x, %v", i, got, err)
				}
			}
		})
		n++
	}
	if n != 3 {
		t.Fatalf("%d vectors, want 3", n)
	}
}

// TestBlindingKnownAnswer ties Blinding to the first vector of
// internal/crypto/testdata/blinding.txt (computed independently of veil);
// the DHT key is SHA-256(00 0b || A') computed with Python's hashlib.
func TestBlindingKnownAnswer(t *testing.T) {
	h := func(s string) []byte { b, _ := hex.DecodeString(s); return b }
	b := Blinding{SigType: crypto.SigEdDSASHA512, PublicKey: h("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")}
	day := time.Date(2026, 1, 1, 23, 59, 59, 0, time.UTC)
	k, err := b.BlindedKey(day)
	if err != nil || !bytes.Equal(k, h("1bed65773cf90fea1ac061afbe0b2419cb4d2866246362a67321d7b53ebacc67")) {
		t.Fatalf("BlindedKey = %x, %v", k, err)
	}
	sc, err := b.subcredential(k)
	if err != nil || !bytes.Equal(sc[:], h("f9f88f620c3ef84715af9eaf57aaec0fe378ffef4f1b9c5a2722a0c103562757")) {
		t.Fatalf("subcredential = %x, %v", sc, err)
	}
	dk, err := b.DHTKey(day)
	if err != nil || !bytes.Equal(dk[:], h("c209053a07742a127add853789e6c2cef64f443791ec9d63c9fe9ec2158110fd")) {
		t.Fatalf("DHTKey = %x, %v", dk, err)
	}
	if next, _ := b.BlindedKey(day.Add(time.Second)); bytes.Equal(next, k) {
		t.Error("blinded key did not change at midnight UTC")
	}
}
