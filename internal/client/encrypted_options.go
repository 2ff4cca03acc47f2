package client

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/veil-i2p/veil/internal/data"
)

// LeaseSet option names, as i2pd 2.45 reads them from tunnels.conf and
// I2CP/SAM session options.
const (
	OptLeaseSetType     = "i2cp.leaseSetType"     // 3 (LeaseSet2, default) or 5 (encrypted)
	OptLeaseSetAuthType = "i2cp.leaseSetAuthType" // 0 none, 1 DH, 2 PSK; only with type 5
	OptLeaseSetClientDH = "i2cp.leaseSetClient.dh"
	// OptLeaseSetClientPSK and OptLeaseSetClientDH start groups of keys
	// (".1", ".alice", …; i2pd matches the bare prefix) whose values are
	// "name:base64 key".
	OptLeaseSetClientPSK = "i2cp.leaseSetClient.psk"
	OptLeaseSetPrivKey   = "i2cp.leaseSetPrivKey" // our key for others' per-client LeaseSets
	OptLeaseSetSecret    = "i2cp.leaseSetSecret"  // Java's, Base64 of the secret; i2pd has none
)

// LeaseSetOptions are a destination's LeaseSet choices from its options.
type LeaseSetOptions struct {
	Encrypted *EncryptedConfig // nil: a plain LeaseSet2
	ClientKey []byte           // nil: none
}

// ParseLeaseSetOptions reads the i2cp.leaseSet* options of opts (other
// keys are ignored). Unlike i2pd, which logs and goes on, it refuses
// settings that would publish with less protection than asked for: an
// authorization type without type 5, or one without any client key.
func ParseLeaseSetOptions(opts map[string]string) (LeaseSetOptions, error) {
	var o LeaseSetOptions
	typ := 3
	if v, ok := opts[OptLeaseSetType]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || (n != 3 && n != 5) {
			return o, fmt.Errorf("%s = %q: veil publishes 3 (LeaseSet2) or 5 (encrypted LeaseSet)", OptLeaseSetType, v)
		}
		typ = n
	}
	auth := 0
	if v, ok := opts[OptLeaseSetAuthType]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > 2 {
			return o, fmt.Errorf("%s = %q: want 0 (none), 1 (DH) or 2 (PSK)", OptLeaseSetAuthType, v)
		}
		auth = n
	}
	if v, ok := opts[OptLeaseSetPrivKey]; ok {
		// Java allows the key type before it; X25519 is the only one.
		k, err := decodeKey32(strings.TrimPrefix(strings.TrimSpace(v), "ECIES_X25519:"))
		if err != nil {
			return o, fmt.Errorf("%s: %w", OptLeaseSetPrivKey, err)
		}
		o.ClientKey = k
	}
	if typ != 5 {
		if auth != 0 {
			return o, fmt.Errorf("%s = %d needs %s = 5", OptLeaseSetAuthType, auth, OptLeaseSetType)
		}
		return o, nil
	}
	e := &EncryptedConfig{}
	if v := strings.TrimSpace(opts[OptLeaseSetSecret]); v != "" {
		// Java's value is the Base64 of the UTF-8 secret.
		b, err := data.DecodeBase64(v)
		if err != nil || len(b) == 0 {
			return o, fmt.Errorf("%s: want the Base64 of the secret", OptLeaseSetSecret)
		}
		e.Secret = string(b)
	}
	if auth != 0 {
		prefix := OptLeaseSetClientDH
		e.Auth = data.AuthDH
		if auth == 2 {
			prefix, e.Auth = OptLeaseSetClientPSK, data.AuthPSK
		}
		keys, err := clientKeys(opts, prefix)
		if err != nil {
			return o, err
		}
		if len(keys) == 0 {
			return o, fmt.Errorf("%s = %d and no %s* client", OptLeaseSetAuthType, auth, prefix)
		}
		e.Clients = keys
	}
	o.Encrypted = e
	return o, nil
}

// clientKeys reads the group of options starting with prefix, in key
// order, each "name:base64 key".
func clientKeys(opts map[string]string, prefix string) ([][]byte, error) {
	var names []string
	for k := range opts {
		if strings.HasPrefix(k, prefix) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out [][]byte
	for _, k := range names {
		v := opts[k]
		_, b64, ok := strings.Cut(v, ":")
		if !ok {
			return nil, fmt.Errorf("%s = %q: want name:base64key", k, v)
		}
		key, err := decodeKey32(b64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out = append(out, key)
	}
	return out, nil
}

// decodeKey32 decodes a 32-byte key in I2P Base64.
func decodeKey32(s string) ([]byte, error) {
	k, err := data.DecodeBase64(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("key of %d bytes, want 32", len(k))
	}
	return k, nil
}
