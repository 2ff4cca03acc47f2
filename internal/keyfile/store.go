package keyfile

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/veil-i2p/veil/internal/atomicfile"
)

// keyPerm keeps private keys readable by their owner only.
const keyPerm = 0o600

// LoadOrCreate reads the private keys at path, or, if there is no file,
// creates one with gen. An existing file that does not parse is an error:
// it is never replaced, so an identity is never silently lost.
func LoadOrCreate(path string, gen func() (*PrivateKeys, error)) (pk *PrivateKeys, created bool, err error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		pk, err := Parse(b)
		if err != nil {
			return nil, false, fmt.Errorf("keyfile: %s: %w", path, err)
		}
		if err := pk.Check(); err != nil {
			return nil, false, fmt.Errorf("keyfile: %s: %w", path, err)
		}
		return pk, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, fmt.Errorf("keyfile: %w", err)
	}
	if pk, err = gen(); err != nil {
		return nil, false, err
	}
	if err := atomicfile.CreateExclusive(path, pk.Bytes(), keyPerm); err != nil {
		return nil, false, fmt.Errorf("keyfile: save: %w", err)
	}
	return pk, true, nil
}

// StaticKeys is a transport's X25519 static key pair plus its second
// secret: the NTCP2 obfuscation IV (16 bytes, published as "i") or the
// SSU2 intro key (32 bytes). Layout as i2pd's ntcp2.keys / ssu2.keys:
// public(32) private(32) extra.
type StaticKeys struct {
	Public  [32]byte
	Private [32]byte
	Extra   []byte
}

// Lengths of the extra secret in i2pd's files.
const (
	NTCP2IVLen    = 16
	SSU2IntroLen  = 32
	staticKeysLen = 64
)

// ParseStaticKeys reads an i2pd ntcp2.keys (extraLen 16) or ssu2.keys
// (extraLen 32) file and checks the public key matches the private one.
func ParseStaticKeys(b []byte, extraLen int) (*StaticKeys, error) {
	if len(b) != staticKeysLen+extraLen {
		return nil, fmt.Errorf("%w: static keys file of %d bytes, want %d", ErrFormat, len(b), staticKeysLen+extraLen)
	}
	k := &StaticKeys{Extra: bytes.Clone(b[staticKeysLen:])}
	copy(k.Public[:], b)
	copy(k.Private[:], b[32:])
	pub, err := x25519Public(k.Private[:])
	if err != nil || !bytes.Equal(pub, k.Public[:]) {
		return nil, fmt.Errorf("%w: static public key does not match private key", ErrFormat)
	}
	return k, nil
}

// Bytes serializes k in i2pd's layout.
func (k *StaticKeys) Bytes() []byte {
	b := append(k.Public[:0:0], k.Public[:]...)
	b = append(b, k.Private[:]...)
	return append(b, k.Extra...)
}

// GenerateStaticKeys makes a fresh X25519 pair and a random extra secret.
func GenerateStaticKeys(rand io.Reader, extraLen int) (*StaticKeys, error) {
	priv, err := ecdh.X25519().GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("keyfile: static keys: %w", err)
	}
	k := &StaticKeys{Extra: make([]byte, extraLen)}
	copy(k.Private[:], priv.Bytes())
	copy(k.Public[:], priv.PublicKey().Bytes())
	if _, err := io.ReadFull(rand, k.Extra); err != nil {
		return nil, fmt.Errorf("keyfile: static keys: %w", err)
	}
	return k, nil
}

// LoadOrCreateStatic is LoadOrCreate for transport static keys.
func LoadOrCreateStatic(path string, extraLen int, rand io.Reader) (*StaticKeys, bool, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := ParseStaticKeys(b, extraLen)
		if err != nil {
			return nil, false, fmt.Errorf("keyfile: %s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("keyfile: %w", err)
	}
	k, err := GenerateStaticKeys(rand, extraLen)
	if err != nil {
		return nil, false, err
	}
	if err := atomicfile.CreateExclusive(path, k.Bytes(), keyPerm); err != nil {
		return nil, false, fmt.Errorf("keyfile: save: %w", err)
	}
	return k, true, nil
}
