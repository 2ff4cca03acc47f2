package reseed

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/atomicfile"
	"github.com/veil-i2p/veil/internal/su3"
)

// Files a reseed server keeps in its keys folder (KeysDir under the data
// folder). The private keys are written 0600.
const (
	KeysDir        = "reseed"
	SignerKeyFile  = "signer.key"
	SignerCertFile = "signer.crt"
	TLSKeyFile     = "tls.key"
	TLSCertFile    = "tls.crt"

	// SignerBits is the RSA size of reseed signing keys (sig type 6,
	// RSA-4096-SHA512), as every public reseed server uses.
	SignerBits = 4096
	// CertValidity is how long generated certificates are valid; Java
	// I2P's reseed certificates are made for ten years.
	CertValidity = 10 * 365 * 24 * time.Hour
	// DefaultSignerID is the signer when none is given and none exists.
	DefaultSignerID = "veil-reseed@mail.i2p"
)

// Keys are a reseed server's signing key and certificate and its TLS
// certificate.
type Keys struct {
	Signer     *rsa.PrivateKey
	SignerID   string // the signer certificate's subject CN
	SignerCert *x509.Certificate
	// SignerCertPath is the PEM certificate clients install as
	// certificates/reseed/CertFileName(SignerID).
	SignerCertPath string
	TLS            tls.Certificate
	TLSCertPath    string
}

// CertFileName is the name under which clients look a signer's
// certificate up (Java I2P's DirKeyRing; i2pd reads any *.crt): "@"
// becomes "_at_", plus ".crt".
func CertFileName(signerID string) string {
	r := strings.NewReplacer("@", "_at_", "<", "_", ">", "_", "/", "_", string(filepath.Separator), "_")
	return r.Replace(signerID) + ".crt"
}

// LoadOrCreateKeys loads the keys in dir, creating what is missing: an
// RSA-4096 signing key with a self-signed certificate whose CN is
// signerID (DefaultSignerID if empty and none exists), and an ECDSA P-256
// TLS key with a self-signed certificate for hosts (IP addresses or
// names). A signerID that differs from the stored certificate's is an
// error. created reports whether the signing key was made now.
func LoadOrCreateKeys(dir, signerID string, hosts []string, now time.Time, rand io.Reader) (k *Keys, created bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("reseed: keys: %w", err)
	}
	k = &Keys{SignerCertPath: filepath.Join(dir, SignerCertFile), TLSCertPath: filepath.Join(dir, TLSCertFile)}
	keyPath := filepath.Join(dir, SignerKeyFile)
	if _, err := os.Stat(keyPath); errors.Is(err, fs.ErrNotExist) {
		if signerID == "" {
			signerID = DefaultSignerID
		}
		key, err := rsa.GenerateKey(rand, SignerBits)
		if err != nil {
			return nil, false, fmt.Errorf("reseed: signing key: %w", err)
		}
		der, err := selfSign(rand, key, &x509.Certificate{
			Subject: pkix.Name{CommonName: signerID, Organization: []string{"I2P Anonymous Network"},
				OrganizationalUnit: []string{"I2P"}, Locality: []string{"XX"}, Province: []string{"XX"}, Country: []string{"XX"}},
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
		}, now)
		if err != nil {
			return nil, false, err
		}
		// Certificate first: a key without it is useless, and a crash
		// between the two leaves a certificate that the next run
		// replaces along with the key.
		if err := writePEM(k.SignerCertPath, "CERTIFICATE", der, 0o644); err != nil {
			return nil, false, err
		}
		if err := writeKey(keyPath, key); err != nil {
			return nil, false, err
		}
		created = true
	} else if err != nil {
		return nil, false, fmt.Errorf("reseed: keys: %w", err)
	}
	key, cert, err := loadPair(keyPath, k.SignerCertPath)
	if err != nil {
		return nil, false, err
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok || rk.N.BitLen() != SignerBits {
		return nil, false, fmt.Errorf("reseed: %s: want an RSA-%d key", keyPath, SignerBits)
	}
	k.Signer, k.SignerCert, k.SignerID = rk, cert, cert.Subject.CommonName
	if signerID != "" && signerID != k.SignerID {
		return nil, false, fmt.Errorf("reseed: %s is for signer %q, not %q (remove %s to make new keys)", k.SignerCertPath, k.SignerID, signerID, dir)
	}
	if err := loadOrCreateTLS(k, dir, hosts, now, rand); err != nil {
		return nil, false, err
	}
	return k, created, nil
}

// loadOrCreateTLS loads or makes the HTTPS key and certificate. Clients
// do not need to trust it (i2pd does not check it; the su3 signature is
// what authenticates a bundle), but Java I2P and veil can be told to.
func loadOrCreateTLS(k *Keys, dir string, hosts []string, now time.Time, rand io.Reader) error {
	keyPath := filepath.Join(dir, TLSKeyFile)
	if _, err := os.Stat(keyPath); errors.Is(err, fs.ErrNotExist) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand)
		if err != nil {
			return fmt.Errorf("reseed: TLS key: %w", err)
		}
		tmpl := &x509.Certificate{
			Subject:     pkix.Name{CommonName: firstOr(hosts, "localhost")},
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		for _, h := range append([]string{"localhost", "127.0.0.1", "::1"}, hosts...) {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else if h != "" {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
		der, err := selfSign(rand, key, tmpl, now)
		if err != nil {
			return err
		}
		if err := writePEM(k.TLSCertPath, "CERTIFICATE", der, 0o644); err != nil {
			return err
		}
		if err := writeKey(keyPath, key); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("reseed: keys: %w", err)
	}
	c, err := tls.LoadX509KeyPair(k.TLSCertPath, keyPath)
	if err != nil {
		return fmt.Errorf("reseed: TLS keys: %w", err)
	}
	k.TLS = c
	return nil
}

func firstOr(s []string, def string) string {
	if len(s) > 0 && s[0] != "" {
		return s[0]
	}
	return def
}

func selfSign(rand io.Reader, key stdcrypto.Signer, tmpl *x509.Certificate, now time.Time) ([]byte, error) {
	serial, err := randSerial(rand)
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = now.Add(-time.Hour)
	tmpl.NotAfter = now.Add(CertValidity)
	der, err := x509.CreateCertificate(rand, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("reseed: certificate: %w", err)
	}
	return der, nil
}

func randSerial(rand io.Reader) (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(rand, b); err != nil {
		return nil, fmt.Errorf("reseed: certificate serial: %w", err)
	}
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b), nil
}

func writeKey(path string, key any) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("reseed: %s: %w", path, err)
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

func writePEM(path, typ string, der []byte, perm os.FileMode) error {
	if err := atomicfile.Write(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), perm); err != nil {
		return fmt.Errorf("reseed: %w", err)
	}
	return nil
}

// loadPair reads a PKCS#8 PEM private key and its PEM certificate and
// checks that they belong together.
func loadPair(keyPath, certPath string) (any, *x509.Certificate, error) {
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reseed: %w", err)
	}
	blk, _ := pem.Decode(kb)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, nil, fmt.Errorf("reseed: %s: not a PEM private key", keyPath)
	}
	key, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("reseed: %s: %w", keyPath, err)
	}
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reseed: %w", err)
	}
	cert, err := su3.ParseCertificate(cb)
	if err != nil {
		return nil, nil, fmt.Errorf("reseed: %s: %w", certPath, err)
	}
	pub, ok := key.(stdcrypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("reseed: %s: unsupported key", keyPath)
	}
	if eq, ok := pub.Public().(interface {
		Equal(stdcrypto.PublicKey) bool
	}); !ok || !eq.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("reseed: %s does not belong to %s", keyPath, certPath)
	}
	return key, cert, nil
}
