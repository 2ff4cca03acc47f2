package crypto

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"testing"
)

// FuzzVerify throws arbitrary type codes, keys, messages and signatures at
// Verify and the raw (su3) verifiers. Nothing may panic, and nothing that
// is not a valid signature may verify: a fuzzer cannot forge one, so any
// success on a mutated known answer means a check was skipped. Seeds are
// the known answers of every type, so mutations start at the right lengths.
func FuzzVerify(f *testing.F) {
	var seeds []sigVector
	seeds = append(seeds, loadSigVectors(f, "sig_vectors.txt")...)
	seeds = append(seeds, loadSigVectors(f, "rfc_vectors.txt")...)
	for _, v := range seeds {
		if v["type"] == "rfc8032ph" {
			continue
		}
		field := "msg"
		if _, raw := v["digest"]; raw {
			field = "digest"
		}
		f.Add(uint16(v.sigType(f)), v.bytes(f, "pub"), v.bytes(f, field), v.bytes(f, "sig"))
	}
	for _, v := range loadSigVectors(f, "red25519.txt") {
		f.Add(uint16(SigRedDSASHA512), v.bytes(f, "vk"), v.bytes(f, "msg"), v.bytes(f, "sig"))
	}
	for _, v := range loadSigVectors(f, "reddsa_sign.txt") {
		f.Add(uint16(SigRedDSASHA512), v.bytes(f, "pub"), v.bytes(f, "msg"), v.bytes(f, "sig"))
	}
	f.Add(uint16(9), []byte{}, []byte{}, []byte{})
	f.Add(uint16(0xffff), bytes.Repeat([]byte{0xff}, 128), []byte("x"), bytes.Repeat([]byte{0xff}, 40))

	// The seeds' valid (type, pub, msg, sig) tuples, to tell a real
	// signature apart from a forgery.
	valid := map[string]bool{}
	for _, v := range seeds {
		if _, raw := v["digest"]; !raw && v["type"] != "rfc8032ph" {
			valid[sigKey(v.sigType(f), v.bytes(f, "pub"), v.bytes(f, "msg"), v.bytes(f, "sig"))] = true
		}
	}
	for _, v := range loadSigVectors(f, "reddsa_sign.txt") {
		valid[sigKey(SigRedDSASHA512, v.bytes(f, "pub"), v.bytes(f, "msg"), v.bytes(f, "sig"))] = true
	}

	f.Fuzz(func(t *testing.T, typ uint16, pub, msg, sig []byte) {
		st := SigType(typ)
		err := Verify(st, pub, msg, sig)
		if err == nil && !valid[sigKey(st, pub, msg, sig)] {
			t.Fatalf("Verify(%v) accepted a tuple that is not a known signature", st)
		}
		_ = VerifyRSARawHash(st, pub, msg, sig)
		_ = VerifyEd25519phHash(pub, msg, sig)
	})
}

// sigKey names a (type, pub, msg, sig) tuple. Types 7 and 11 share one
// verification equation (see reddsa.go), so they share a name.
func sigKey(st SigType, pub, msg, sig []byte) string {
	if st == SigRedDSASHA512 {
		st = SigEdDSASHA512
	}
	return strconv.Itoa(int(st)) + "|" + hex.EncodeToString(pub) + "|" +
		hex.EncodeToString(msg) + "|" + hex.EncodeToString(sig)
}
