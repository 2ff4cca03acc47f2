package sam

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Keys (samv3.html, "Destination Key Generation"): PUB is the Base64 of
// the Destination, PRIV the Base64 of the private key file (Destination,
// 256-byte encryption private key, signing private key, optional offline
// section), the layout of internal/keyfile.

// destinationTypes are the signature types a destination may have
// (common-structures.rst): RSA and Ed25519ph sign only su3 files.
var destinationTypes = []crypto.SigType{
	crypto.SigDSASHA1, crypto.SigECDSASHA256P256, crypto.SigECDSASHA384P384,
	crypto.SigECDSASHA512P521, crypto.SigEdDSASHA512, crypto.SigRedDSASHA512,
}

// parseSigType reads SIGNATURE_TYPE: a number or a name in any case;
// "" is the spec's default, DSA_SHA1.
func parseSigType(s string) (crypto.SigType, error) {
	if s == "" {
		return crypto.SigDSASHA1, nil
	}
	var t crypto.SigType
	found := false
	if n, err := strconv.Atoi(s); err == nil {
		t, found = crypto.SigType(n), n >= 0 && n <= 0xffff
	} else {
		for _, c := range destinationTypes {
			if strings.EqualFold(c.String(), s) || strings.EqualFold(alias(c), s) {
				t, found = c, true
			}
		}
		for _, c := range []crypto.SigType{crypto.SigRSASHA2562048, crypto.SigRSASHA3843072, crypto.SigRSASHA5124096, crypto.SigEdDSASHA512ph} {
			if strings.EqualFold(c.String(), s) {
				t, found = c, true
			}
		}
	}
	if !found {
		return 0, fmt.Errorf("SIGNATURE_TYPE=%s is not a signature type: use 7 (EdDSA_SHA512_Ed25519)", s)
	}
	for _, c := range destinationTypes {
		if c == t {
			return t, nil
		}
	}
	return 0, fmt.Errorf("SIGNATURE_TYPE=%s cannot sign a destination (types 0-3, 7 and 11 can): use 7 (EdDSA_SHA512_Ed25519)", s)
}

// alias is the shorter name Java also takes for a type.
func alias(t crypto.SigType) string {
	switch t {
	case crypto.SigEdDSASHA512:
		return "ED25519"
	case crypto.SigRedDSASHA512:
		return "REDDSA"
	}
	return t.String()
}

// parseEncType reads i2pd's CRYPTO_TYPE option of a destination's
// identity: 0 (ElGamal, the default) or 4 (X25519).
func parseEncType(s string) (crypto.EncType, error) {
	switch strings.ToUpper(s) {
	case "", "0", "ELGAMAL":
		return crypto.EncElGamal, nil
	case "4", "ECIES_X25519_AEAD_RATCHET", "X25519":
		return crypto.EncX25519, nil
	}
	return 0, fmt.Errorf("CRYPTO_TYPE=%s: use 0 (ElGamal) or 4 (X25519)", s)
}

// generateKeys makes a new destination of types st and et. The
// identity's ElGamal key has been unused since 0.6 (samv3.html, "Notes
// about the 256-byte binary Private Key"): rather than spend an ElGamal
// key generation on it, it is 32 random bytes repeated (proposal 161,
// so the destination compresses) with a zero private key, as SAM
// bridges may send. LeaseSet keys are the router's business.
func generateKeys(st crypto.SigType, et crypto.EncType) (*keyfile.PrivateKeys, error) {
	if et != crypto.EncElGamal {
		return keyfile.Generate(st, et, rand.Reader)
	}
	signer, err := crypto.GenerateSigner(st, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	var seed [32]byte
	rand.Read(seed[:])
	pub := bytes.Repeat(seed[:], crypto.EncElGamal.PubLen()/len(seed))
	id, err := data.NewKeysAndCert(crypto.EncElGamal, pub, st, signer.Public(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return &keyfile.PrivateKeys{Identity: id, EncPrivate: make([]byte, crypto.EncElGamal.PrivLen()), SigPrivate: signer.Private()}, nil
}

// parsePrivateKeys reads a DESTINATION=$privkey value, padded or not.
func parsePrivateKeys(s string) (*keyfile.PrivateKeys, error) {
	if len(s) > MaxLine {
		return nil, fmt.Errorf("private key of %d characters", len(s))
	}
	b, err := data.DecodeBase64(s)
	if err != nil {
		return nil, fmt.Errorf("private key is not I2P Base64: %w", err)
	}
	pk, err := keyfile.Parse(b)
	if err != nil {
		return nil, err
	}
	if err := pk.Check(); err != nil {
		return nil, err
	}
	if _, err := pk.Signer(); err != nil {
		return nil, fmt.Errorf("cannot sign with this key: %w", err)
	}
	return pk, nil
}

// parseDestination reads a full Base64 destination (516+ characters,
// padding optional).
func parseDestination(s string) (data.Destination, error) {
	b, err := data.DecodeBase64(s)
	if err != nil {
		return data.Destination{}, fmt.Errorf("not I2P Base64: %w", err)
	}
	d, rest, err := data.ParseKeysAndCert(b)
	if err != nil {
		return data.Destination{}, err
	}
	if len(rest) != 0 {
		return data.Destination{}, fmt.Errorf("%d bytes after the destination (a private key?)", len(rest))
	}
	return d, nil
}

// privString is the PRIV/DESTINATION value of keys.
func privString(pk *keyfile.PrivateKeys) string { return data.EncodeBase64(pk.Bytes()) }

// pubString is the Base64 of a destination.
func pubString(d data.Destination) string { return data.EncodeBase64(d.Bytes()) }
