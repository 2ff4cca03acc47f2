package crypto

import (
	"crypto/sha1"
	"errors"
	"math/big"
)

// I2P's one DSA group (cryptography.rst, "DSA"): L = 1024, N = 160,
// generated in 2003 from SEED 86108236b8526e296e923a4015b4282845b572cc with
// counter 33. Every DSA_SHA1 key on the network uses it; keys carry only Y.
const (
	dsaPHex = "9C05B2AA960D9B97B8931963C9CC9E8C3026E9B8ED92FAD0" +
		"A69CC886D5BF8015FCADAE31A0AD18FAB3F01B00A358DE23" +
		"7655C4964AFAA2B337E96AD316B9FB1CC564B5AEC5B69A9F" +
		"F6C3E4548707FEF8503D91DD8602E867E6D35D2235C1869C" +
		"E2479C3B9D5401DE04E0727FB33D6511285D4CF29538D9E3" +
		"B6051F5B22CC1C93"
	dsaQHex = "A5DFC28FEF4CA1E286744CD8EED9D29D684046B7"
	dsaGHex = "0C1F4D27D40093B429E962D7223824E0BBC47E7C832A3923" +
		"6FC683AF84889581075FF9082ED32353D4374D7301CDA1D2" +
		"3C431F4698599DDA02451824FF369752593647CC3DDC197D" +
		"E985E43D136CDCFC6BD5409CD2F450821142A5E6F8EB1C3A" +
		"B5D0484B8129FCF17BCE4F7F33321C3CB3DBB14A905E7B2B" +
		"3E93BE4708CBCC82"
)

// dsaGroup holds the parsed group. It is rebuilt on every call rather than
// cached in a package variable: parsing costs about a microsecond next to
// the two 1024-bit exponentiations of a verify, and DSA is legacy-only.
type dsaGroup struct{ p, q, g *big.Int }

func i2pDSAGroup() dsaGroup {
	p, _ := new(big.Int).SetString(dsaPHex, 16)
	q, _ := new(big.Int).SetString(dsaQHex, 16)
	g, _ := new(big.Int).SetString(dsaGHex, 16)
	return dsaGroup{p, q, g}
}

// verifyDSA is FIPS 186-4 §4.7 DSA verification over I2P's group. pub is the
// 128-byte big-endian Y; sig is r||s, 20 bytes each. SHA-1's 160-bit output
// equals N, so the digest is used whole.
//
// Y is range-checked but not tested for membership in the order-q subgroup
// (Y^q mod p == 1): Java I2P's DSAEngine does not test it either, and a
// malformed Y only lets its own holder's signatures fail or pass oddly.
func verifyDSA(pub, msg, sig []byte) error {
	grp := i2pDSAGroup()
	y := new(big.Int).SetBytes(pub)
	if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(grp.p) >= 0 {
		return errors.New("public key out of range")
	}
	rb, sb := half(sig)
	r := new(big.Int).SetBytes(rb)
	s := new(big.Int).SetBytes(sb)
	if r.Sign() == 0 || r.Cmp(grp.q) >= 0 || s.Sign() == 0 || s.Cmp(grp.q) >= 0 {
		return ErrBadSignature
	}
	h := sha1.Sum(msg)
	w := new(big.Int).ModInverse(s, grp.q)
	if w == nil { // unreachable: q is prime and 0 < s < q
		return ErrBadSignature
	}
	u1 := new(big.Int).SetBytes(h[:])
	u1.Mul(u1, w).Mod(u1, grp.q)
	u2 := new(big.Int).Mul(r, w)
	u2.Mod(u2, grp.q)
	v := new(big.Int).Exp(grp.g, u1, grp.p)
	v.Mul(v, new(big.Int).Exp(y, u2, grp.p)).Mod(v, grp.p).Mod(v, grp.q)
	if v.Cmp(r) != 0 {
		return ErrBadSignature
	}
	return nil
}
