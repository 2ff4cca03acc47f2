package i2pdtest

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// These helpers decode just enough of I2P's formats to name files the way
// i2pd does. They are written from the spec (common-structures.html,
// KeysAndCert) and deliberately share no code with veil, so tests can check
// veil's answers against them.

// i2pBase64 is I2P's Base64: the standard alphabet with "-~" for "+/".
var i2pBase64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~")

// IdentityLen returns the length of the KeysAndCert (RouterIdentity or
// Destination) at the start of b: 384 bytes of keys, then a certificate
// (type byte, 2-byte length, payload). X25519/Ed25519 identities with a key
// certificate are 391 bytes.
func IdentityLen(b []byte) (int, error) {
	if len(b) < 387 {
		return 0, fmt.Errorf("i2pdtest: identity: %d bytes, want at least 387", len(b))
	}
	n := 387 + int(binary.BigEndian.Uint16(b[385:387]))
	if n > len(b) {
		return 0, fmt.Errorf("i2pdtest: identity: certificate length says %d bytes, have %d", n, len(b))
	}
	return n, nil
}

// IdentHash is SHA-256 of the identity at the start of b: a router's hash or
// a destination's.
func IdentHash(b []byte) ([32]byte, error) {
	n, err := IdentityLen(b)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b[:n]), nil
}

// Base64 encodes b in I2P's Base64 (with padding, as i2pd names files).
func Base64(b []byte) string { return i2pBase64.EncodeToString(b) }

// B32 is the ".b32.i2p" address of a destination hash: lower-case Base32
// without padding.
func B32(h [32]byte) string {
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h[:])) + ".b32.i2p"
}

// RouterInfoHash returns the I2P-Base64 hash of the identity a RouterInfo
// (or router.keys file) starts with.
func RouterInfoHash(b []byte) (string, error) {
	h, err := IdentHash(b)
	if err != nil {
		return "", err
	}
	return Base64(h[:]), nil
}

// NetDbFile is where i2pd keeps the RouterInfo of hash: netDb/r<c>/routerInfo-<hash>.dat
// with c the hash's first character (64 case-sensitive directories).
func NetDbFile(netDb, hash string) string {
	return filepath.Join(netDb, "r"+hash[:1], "routerInfo-"+hash+".dat")
}

// InstallRouterInfo writes ri into netDb under the name i2pd uses for it and
// returns the path.
func InstallRouterInfo(netDb string, ri []byte) (string, error) {
	h, err := RouterInfoHash(ri)
	if err != nil {
		return "", err
	}
	return writeNetDbFile(NetDbFile(netDb, h), ri)
}

func writeNetDbFile(path string, ri []byte) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("i2pdtest: netDb: %w", err)
	}
	if err := os.WriteFile(path, ri, 0o644); err != nil {
		return "", fmt.Errorf("i2pdtest: netDb: %w", err)
	}
	return path, nil
}

// WriteReseedZip writes a reseed zip for Config.ReseedZip: one stored
// (uncompressed) entry routerInfo-<hash>.dat per RouterInfo. i2pd reads each
// entry with NetDb::AddRouterInfo, which, unlike loading netDb files,
// verifies the signature. Sizes and CRC go into the local headers because
// i2pd's zip reader walks local headers.
func WriteReseedZip(path string, ris ...[]byte) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("i2pdtest: reseed zip: %w", err)
	}
	zw := zip.NewWriter(f)
	for i, ri := range ris {
		name := fmt.Sprintf("routerInfo-%d.dat", i)
		if h, err := RouterInfoHash(ri); err == nil {
			name = "routerInfo-" + h + ".dat"
		}
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               name,
			Method:             zip.Store,
			CRC32:              crc32.ChecksumIEEE(ri),
			CompressedSize64:   uint64(len(ri)),
			UncompressedSize64: uint64(len(ri)),
			Modified:           time.Now(),
		})
		if err == nil {
			_, err = w.Write(ri)
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("i2pdtest: reseed zip %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("i2pdtest: reseed zip: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("i2pdtest: reseed zip: %w", err)
	}
	return nil
}

// Destination is a destination key file made by i2pd.
type Destination struct {
	KeysPath string // i2pd's private keys file: Destination, then private keys
	B32      string // the address i2pd's console shows for it, "….b32.i2p"
}

// NewDestination starts an i2pd router (cfg as for Start, with a server
// tunnel "test" added to cfg.Tunnels), waits for i2pd to create test.dat,
// reads the address i2pd reports for it (console and log, which must agree)
// and stops the router again. The router is returned stopped.
func NewDestination(t TB, cfg Config) (*Router, Destination) {
	t.Helper()
	host := cfg.Host
	if host == "" || cfg.Netns != "" {
		host = "127.0.0.1"
	}
	port, err := freePort(host)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tunnels += "\n" + ServerTunnel("test", "test.dat", port)
	r := Start(t, cfg)
	keys := filepath.Join(r.DataDir(), "test.dat")
	if err := WaitFile(keys, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	fromConsole, err := r.ServerTunnelB32("test", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fromLog, created, err := r.LoggedKeysB32(keys, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Logf("i2pdtest: %s existed already (i2pd loaded it)", keys)
	}
	if fromLog != fromConsole {
		t.Fatalf("i2pdtest: i2pd disagrees with itself on %s: console %s, log %s", keys, fromConsole, fromLog)
	}
	r.Stop()
	return r, Destination{KeysPath: keys, B32: fromConsole}
}

// RouterInfoFields is what ParseRouterInfo reads from a RouterInfo.
type RouterInfoFields struct {
	Hash       string            // I2P Base64 of SHA-256 of the identity
	IdentLen   int               // bytes of the identity (391 for i2pd's)
	Published  int64             // ms since the epoch (offset IdentLen, 8 bytes)
	Addresses  []RouterAddress   // in file order
	Options    map[string]string // router options: caps, netId, router.version, …
	SignedLen  int               // bytes covered by the signature; the rest is the signature
	OptionsOff int               // offset of the options mapping's size field
}

// RouterAddress is one address of a RouterInfo.
type RouterAddress struct {
	Cost    int
	Style   string // "NTCP2", "SSU2"
	Options map[string]string
}

// ParseRouterInfo reads a RouterInfo (common-structures.html, RouterInfo):
// identity, published date, addresses, peers (always 0), options, then the
// signature, whose length is what remains (i2pd's identities sign with
// Ed25519: 64 bytes). It checks structure only, not the signature.
func ParseRouterInfo(b []byte) (*RouterInfoFields, error) {
	n, err := IdentityLen(b)
	if err != nil {
		return nil, err
	}
	f := &RouterInfoFields{IdentLen: n}
	h, _ := IdentHash(b)
	f.Hash = Base64(h[:])
	p := &reader{b: b, off: n}
	f.Published = int64(binary.BigEndian.Uint64(p.next(8)))
	for range int(p.byte()) {
		a := RouterAddress{Cost: int(p.byte())}
		p.next(8) // expiration, always 0
		a.Style = string(p.next(int(p.byte())))
		a.Options = p.mapping()
		f.Addresses = append(f.Addresses, a)
	}
	p.next(32 * int(p.byte())) // peers
	f.OptionsOff = p.off
	f.Options = p.mapping()
	if p.err != nil {
		return nil, fmt.Errorf("i2pdtest: routerinfo: %w", p.err)
	}
	f.SignedLen = p.off
	if sig := len(b) - p.off; sig != 64 {
		return f, fmt.Errorf("i2pdtest: routerinfo: %d bytes after the options, want a 64-byte signature", sig)
	}
	return f, nil
}

// reader is a bounds-checked cursor with a sticky error.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) next(n int) []byte {
	if r.err != nil || n < 0 || r.off+n > len(r.b) {
		if r.err == nil {
			r.err = fmt.Errorf("truncated at offset %d (want %d more bytes of %d)", r.off, n, len(r.b))
		}
		return make([]byte, max(n, 0))
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *reader) byte() byte { return r.next(1)[0] }

// mapping reads an I2P Mapping: 2-byte size, then "key=value;" with 1-byte
// length-prefixed strings.
func (r *reader) mapping() map[string]string {
	size := int(binary.BigEndian.Uint16(r.next(2)))
	m := &reader{b: r.next(size)}
	out := map[string]string{}
	for m.err == nil && m.off < len(m.b) {
		k := string(m.next(int(m.byte())))
		m.next(1) // '='
		v := string(m.next(int(m.byte())))
		m.next(1) // ';'
		out[k] = v
	}
	if m.err != nil && r.err == nil {
		r.err = fmt.Errorf("mapping: %w", m.err)
	}
	return out
}
