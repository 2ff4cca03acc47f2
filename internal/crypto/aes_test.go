package crypto

import (
	"bytes"
	"errors"
	"testing"
)

// NIST SP 800-38A appendix F, AES-256.
const (
	sp80038aKey = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
	sp80038aPT  = "6bc1bee22e409f96e93d7e117393172a" + "ae2d8a571e03ac9c9eb76fac45af8e51" +
		"30c81c46a35ce411e5fbc1191a0a52ef" + "f69f2445df4f9b17ad2b417be66c3710"
	sp80038aIV  = "000102030405060708090a0b0c0d0e0f"
	sp80038aCBC = "f58c4c04d6e5f1ba779eabfb5f7bfbd6" + "9cfc4e967edb808d679f777bc6702c7d" + // F.2.5
		"39f23369a9d9bacfa530e26304231461" + "b2eb05e2c39be9fcda6c19078c6a9d1b"
	sp80038aECB = "f3eed1bdb5d2a03c064b5a7e3db181f8" + "591ccb10d410ed26dc5ba74a31362870" + // F.1.5
		"b6ed21b99ca6f4f9f153e7b1beafed1d" + "23304b7a39f9f3ff067d8d8f9e24ecc7"
)

func TestAESSP80038A(t *testing.T) {
	key, iv := hexOf(t, sp80038aKey), hexOf(t, sp80038aIV)
	pt, cbc, ecb := hexOf(t, sp80038aPT), hexOf(t, sp80038aCBC), hexOf(t, sp80038aECB)
	c, err := NewAES256(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(pt))
	check := func(name string, err error, got, want []byte) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, want %x", name, got, want)
		}
	}

	check("F.2.5 CBC encrypt", c.EncryptCBC(iv, out, pt), out, cbc)
	check("F.2.6 CBC decrypt", c.DecryptCBC(iv, out, cbc), out, pt)
	check("F.1.5 ECB encrypt", c.EncryptECB(out, pt), out, ecb)
	check("F.1.6 ECB decrypt", c.DecryptECB(out, ecb), out, pt)

	// In place.
	buf := bytes.Clone(pt)
	check("CBC encrypt in place", c.EncryptCBC(iv, buf, buf), buf, cbc)
	check("CBC decrypt in place", c.DecryptCBC(iv, buf, buf), buf, pt)
	check("ECB encrypt in place", c.EncryptECB(buf, buf), buf, ecb)
	check("ECB decrypt in place", c.DecryptECB(buf, buf), buf, pt)

	// One-shot helpers.
	check("AESCBCEncrypt", AESCBCEncrypt(key, iv, out, pt), out, cbc)
	check("AESCBCDecrypt", AESCBCDecrypt(key, iv, out, cbc), out, pt)

	// CBC continued across calls with the last ciphertext block as IV, as
	// NTCP2 does between SessionRequest and SessionCreated.
	first := make([]byte, 32)
	second := make([]byte, 32)
	check("CBC part 1", c.EncryptCBC(iv, first, pt[:32]), first, cbc[:32])
	check("CBC part 2", c.EncryptCBC(bytes.Clone(first[16:]), second, pt[32:]), second, cbc[32:])
	check("CBC decrypt part 2", c.DecryptCBC(cbc[16:32], second, cbc[32:]), second, pt[32:])
}

func TestAESErrors(t *testing.T) {
	c, err := NewAES256(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	iv := make([]byte, 16)
	for _, n := range []int{1, 15, 17, 31} {
		src := make([]byte, n)
		dst := make([]byte, 64)
		for name, err := range map[string]error{
			"EncryptCBC": c.EncryptCBC(iv, dst, src),
			"DecryptCBC": c.DecryptCBC(iv, dst, src),
			"EncryptECB": c.EncryptECB(dst, src),
			"DecryptECB": c.DecryptECB(dst, src),
		} {
			if !errors.Is(err, ErrAESLength) {
				t.Errorf("%s(%d bytes): %v, want ErrAESLength", name, n, err)
			}
		}
	}
	if err := c.EncryptCBC(iv, make([]byte, 16), make([]byte, 32)); !errors.Is(err, ErrAESLength) {
		t.Errorf("short dst: %v", err)
	}
	if err := c.EncryptCBC(iv[:8], make([]byte, 16), make([]byte, 16)); err == nil {
		t.Error("8-byte IV accepted")
	}
	if err := c.DecryptCBC(nil, make([]byte, 16), make([]byte, 16)); err == nil {
		t.Error("nil IV accepted")
	}
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := NewAES256(make([]byte, n)); err == nil {
			t.Errorf("%d-byte key accepted", n)
		}
	}
	// Empty input is fine and a no-op.
	if err := c.EncryptCBC(iv, nil, nil); err != nil {
		t.Error(err)
	}
}

func TestAESZeroAlloc(t *testing.T) {
	c, _ := NewAES256(make([]byte, 32))
	iv := make([]byte, 16)
	buf := make([]byte, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		_ = c.EncryptCBC(iv, buf, buf)
		_ = c.DecryptCBC(iv, buf, buf)
		_ = c.EncryptECB(buf[:16], buf[:16])
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func BenchmarkAESCBC1K(b *testing.B) {
	c, _ := NewAES256(make([]byte, 32))
	iv := make([]byte, 16)
	buf := make([]byte, 1024)
	b.Run("encrypt", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		for b.Loop() {
			if err := c.EncryptCBC(iv, buf, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decrypt", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		for b.Loop() {
			if err := c.DecryptCBC(iv, buf, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAESECBBlock is the tunnel IV step: one block, in place.
func BenchmarkAESECBBlock(b *testing.B) {
	c, _ := NewAES256(make([]byte, 32))
	blk := make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		_ = c.EncryptECB(blk, blk)
	}
}
