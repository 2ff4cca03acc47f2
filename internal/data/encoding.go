package data

import (
	"encoding/base32"
	"encoding/base64"
	"strings"
)

// I2P's Base64 replaces '+' and '/' of RFC 4648 with '-' and '~'
// (common-structures.rst, "Base64"); it is padded with '='.
const i2pBase64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~"

// Base64 is I2P's Base64 encoding. It is read-only after init.
var Base64 = base64.NewEncoding(i2pBase64Alphabet)

// Base32 is the lowercase, unpadded RFC 4648 Base32 used for .b32.i2p
// addresses (naming.html). Decoding accepts upper case as well.
var Base32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// EncodeBase64 returns the I2P Base64 encoding of b.
func EncodeBase64(b []byte) string { return Base64.EncodeToString(b) }

// DecodeBase64 decodes I2P Base64. It tolerates missing padding, as i2pd
// and Java do for addresses pasted without it.
func DecodeBase64(s string) ([]byte, error) {
	if n := len(s) % 4; n != 0 {
		s += strings.Repeat("=", 4-n)
	}
	return Base64.DecodeString(s)
}

// EncodeBase32 returns the lowercase unpadded Base32 encoding of b.
func EncodeBase32(b []byte) string { return Base32.EncodeToString(b) }

// DecodeBase32 decodes unpadded Base32, in either case.
func DecodeBase32(s string) ([]byte, error) { return Base32.DecodeString(strings.ToLower(s)) }
