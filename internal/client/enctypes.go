package client

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/veil-i2p/veil/internal/crypto"
)

// OptLeaseSetEncType names the encryption keys a destination publishes,
// as i2pd 2.45 reads it from tunnels.conf: comma-separated types, "0,4"
// by default there (veil's default is DefaultEncTypes).
const OptLeaseSetEncType = "i2cp.leaseSetEncType"

// ParseEncTypes reads an i2cp.leaseSetEncType value ("4", "0,4", "6,4,0")
// into Config.EncTypes, keeping its order. i2pd skips types it cannot
// parse; veil refuses them, so a typo cannot leave a destination without
// the key its peers need.
func ParseEncTypes(s string) ([]crypto.EncType, error) {
	var out []crypto.EncType
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		t := crypto.EncType(n)
		switch {
		case err != nil || n < 0 || n > 0xffff:
			return nil, fmt.Errorf("%s = %q: %q is not a type number", OptLeaseSetEncType, s, f)
		case t != crypto.EncElGamal && t != crypto.EncX25519 && t != crypto.EncMLKEM512X25519 &&
			t != crypto.EncMLKEM768X25519 && t != crypto.EncMLKEM1024X25519:
			return nil, fmt.Errorf("%s = %q: type %d; veil publishes 0 (ElGamal), 4 (X25519), 5, 6, 7 (ML-KEM hybrids)", OptLeaseSetEncType, s, n)
		}
		for _, u := range out {
			if u == t {
				return nil, fmt.Errorf("%s = %q: type %d given twice", OptLeaseSetEncType, s, n)
			}
		}
		out = append(out, t)
	}
	return out, nil
}
