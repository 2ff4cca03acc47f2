package crypto

import "fmt"

// SigType is an I2P signing key type code as carried in key certificates,
// LeaseSet2 offline signatures and su3 headers (common-structures.rst,
// "SigningPublicKey").
type SigType uint16

// Signature type codes.
const (
	SigDSASHA1         SigType = 0
	SigECDSASHA256P256 SigType = 1
	SigECDSASHA384P384 SigType = 2
	SigECDSASHA512P521 SigType = 3
	SigRSASHA2562048   SigType = 4
	SigRSASHA3843072   SigType = 5
	SigRSASHA5124096   SigType = 6
	SigEdDSASHA512     SigType = 7 // Ed25519, current for routers and destinations
	SigEdDSASHA512ph   SigType = 8 // Ed25519ph, su3 only
	SigRedDSASHA512    SigType = 11
)

// SigInfo describes the byte lengths of one signature type.
type SigInfo struct {
	Name    string
	PubLen  int
	PrivLen int
	SigLen  int
}

// sigInfos is a read-only table, never written after init.
var sigInfos = map[SigType]SigInfo{
	SigDSASHA1:         {"DSA_SHA1", 128, 20, 40},
	SigECDSASHA256P256: {"ECDSA_SHA256_P256", 64, 32, 64},
	SigECDSASHA384P384: {"ECDSA_SHA384_P384", 96, 48, 96},
	SigECDSASHA512P521: {"ECDSA_SHA512_P521", 132, 66, 132},
	SigRSASHA2562048:   {"RSA_SHA256_2048", 256, 512, 256},
	SigRSASHA3843072:   {"RSA_SHA384_3072", 384, 768, 384},
	SigRSASHA5124096:   {"RSA_SHA512_4096", 512, 1024, 512},
	SigEdDSASHA512:     {"EdDSA_SHA512_Ed25519", 32, 32, 64},
	SigEdDSASHA512ph:   {"EdDSA_SHA512_Ed25519ph", 32, 32, 64},
	SigRedDSASHA512:    {"RedDSA_SHA512_Ed25519", 32, 32, 64},
}

// Info returns the lengths for t, or false if veil does not know the type.
func (t SigType) Info() (SigInfo, bool) {
	i, ok := sigInfos[t]
	return i, ok
}

// PubLen is the public key length of t, or 0 if unknown.
func (t SigType) PubLen() int { return sigInfos[t].PubLen }

// PrivLen is the private key length of t, or 0 if unknown.
func (t SigType) PrivLen() int { return sigInfos[t].PrivLen }

// SigLen is the signature length of t, or 0 if unknown.
func (t SigType) SigLen() int { return sigInfos[t].SigLen }

// Known reports whether veil knows the lengths of t.
func (t SigType) Known() bool { _, ok := sigInfos[t]; return ok }

func (t SigType) String() string {
	if i, ok := sigInfos[t]; ok {
		return i.Name
	}
	return fmt.Sprintf("SigType(%d)", uint16(t))
}

// EncType is an I2P public-key (encryption) type code as carried in key
// certificates and LeaseSet2 key lists.
type EncType uint16

// Encryption type codes.
const (
	EncElGamal         EncType = 0
	EncP256            EncType = 1
	EncP384            EncType = 2
	EncP521            EncType = 3
	EncX25519          EncType = 4
	EncMLKEM512X25519  EncType = 5
	EncMLKEM768X25519  EncType = 6
	EncMLKEM1024X25519 EncType = 7
	EncNone            EncType = 255
)

type encInfo struct {
	name    string
	pubLen  int
	privLen int
}

// encInfos is a read-only table, never written after init. The hybrid
// types carry only their X25519 part in a LeaseSet2 (ecies-hybrid.rst).
var encInfos = map[EncType]encInfo{
	EncElGamal:         {"ElGamal", 256, 256},
	EncP256:            {"P256", 64, 32},
	EncP384:            {"P384", 96, 48},
	EncP521:            {"P521", 132, 66},
	EncX25519:          {"X25519", 32, 32},
	EncMLKEM512X25519:  {"MLKEM512_X25519", 32, 32},
	EncMLKEM768X25519:  {"MLKEM768_X25519", 32, 32},
	EncMLKEM1024X25519: {"MLKEM1024_X25519", 32, 32},
	EncNone:            {"NONE", 0, 0},
}

// PubLen is the public key length of t, or 0 if unknown.
func (t EncType) PubLen() int { return encInfos[t].pubLen }

// PrivLen is the private key length of t, or 0 if unknown.
func (t EncType) PrivLen() int { return encInfos[t].privLen }

// Known reports whether veil knows the lengths of t.
func (t EncType) Known() bool { _, ok := encInfos[t]; return ok }

func (t EncType) String() string {
	if i, ok := encInfos[t]; ok {
		return i.name
	}
	return fmt.Sprintf("EncType(%d)", uint16(t))
}
