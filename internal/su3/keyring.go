package su3

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Limits on a certificate folder. i2pd ships 13 reseed certificates of
// about 2 KiB each.
const (
	maxCertFiles = 256
	maxCertSize  = 64 << 10
)

// Keyring holds the signer certificates trusted for one content type,
// keyed by signer ID (the certificate's subject CN). It is immutable once
// built and safe for concurrent use. The zero value is an empty keyring.
type Keyring struct {
	certs map[string]*x509.Certificate
}

// NewKeyring builds a keyring from certificates. Each must have a non-empty
// subject CN, which becomes its signer ID; two certificates with the same
// CN are an error.
func NewKeyring(certs ...*x509.Certificate) (*Keyring, error) {
	k := &Keyring{certs: make(map[string]*x509.Certificate, len(certs))}
	for _, c := range certs {
		if err := k.add(c); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (k *Keyring) add(c *x509.Certificate) error {
	id := c.Subject.CommonName
	if id == "" {
		return errors.New("su3: certificate: no subject CN")
	}
	if _, dup := k.certs[id]; dup {
		return fmt.Errorf("su3: certificate: two certificates for signer %q", id)
	}
	k.certs[id] = c
	return nil
}

// Certificate returns the certificate of signerID, or nil.
func (k *Keyring) Certificate(signerID string) *x509.Certificate {
	if k == nil {
		return nil
	}
	return k.certs[signerID]
}

// Signers returns the signer IDs in the keyring, sorted.
func (k *Keyring) Signers() []string {
	if k == nil {
		return nil
	}
	ids := make([]string, 0, len(k.certs))
	for id := range k.certs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Len is the number of certificates in the keyring.
func (k *Keyring) Len() int {
	if k == nil {
		return 0
	}
	return len(k.certs)
}

// LoadCertificates reads every regular file (or symlink to one) named
// *.crt in dir, not subfolders, such as i2pd's or Java I2P's
// certificates/reseed, and returns them as a keyring. Each file holds one
// X.509 certificate, PEM or DER. The file name must be the escaped signer
// ID as Java I2P's DirKeyRing spells it: "@" becomes "_at_" and "<" and ">"
// become "_", plus ".crt"; it must agree with the subject CN, which is what
// the keyring is keyed by (i2pd uses the CN alone). Any unreadable or
// inconsistent file fails the whole load: the folder ships with the router,
// so a bad file is a packaging error to surface, not skip.
func LoadCertificates(dir string) (*Keyring, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("su3: certificates: %w", err)
	}
	k := &Keyring{certs: make(map[string]*x509.Certificate)}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".crt") {
			continue
		}
		// Stat, not e.Type(), so a symlinked certificate counts.
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if n++; n > maxCertFiles {
			return nil, fmt.Errorf("su3: certificates: more than %d files in %s", maxCertFiles, dir)
		}
		c, err := loadCertificate(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if want := signerFileName(c.Subject.CommonName); name != want {
			return nil, fmt.Errorf("su3: certificate %s: subject CN %q wants file name %s", name, c.Subject.CommonName, want)
		}
		if err := k.add(c); err != nil {
			return nil, fmt.Errorf("su3: certificate %s: %w", name, err)
		}
	}
	return k, nil
}

// signerFileName is Java I2P's DirKeyRing escaping of a signer ID.
func signerFileName(id string) string {
	r := strings.NewReplacer("@", "_at_", "<", "_", ">", "_")
	return r.Replace(id) + ".crt"
}

// loadCertificate reads one PEM or DER certificate of at most maxCertSize.
func loadCertificate(path string) (*x509.Certificate, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("su3: certificate: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxCertSize+1))
	if err != nil {
		return nil, fmt.Errorf("su3: certificate: %w", err)
	}
	if len(b) > maxCertSize {
		return nil, fmt.Errorf("su3: certificate %s: larger than %d bytes", path, maxCertSize)
	}
	c, err := ParseCertificate(b)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return c, nil
}

// ParseCertificate parses one X.509 certificate, PEM ("CERTIFICATE" block)
// or DER.
func ParseCertificate(b []byte) (*x509.Certificate, error) {
	der := b
	if blk, rest := pem.Decode(b); blk != nil {
		if blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("su3: certificate: PEM block %q", blk.Type)
		}
		if next, _ := pem.Decode(rest); next != nil {
			return nil, errors.New("su3: certificate: more than one PEM block")
		}
		der = blk.Bytes
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("su3: certificate: %w", err)
	}
	return c, nil
}
