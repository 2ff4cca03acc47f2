package i2pcontrol

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"time"

	"github.com/veil-i2p/veil/internal/atomicfile"
)

// certLife is how long a created certificate is valid (i2pd: 365 days;
// a longer one spares users a yearly re-trust of a local service).
const certLife = 10 * 365 * 24 * time.Hour

// LoadOrCreateTLS returns the TLS configuration for the certificate and
// key at certPath and keyPath (PEM, as i2pd keeps them), creating a
// self-signed ECDSA P-256 pair for localhost on first use. i2pd's own RSA
// pair, if the data folder has one, loads too.
func LoadOrCreateTLS(certPath, keyPath string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createCert(certPath, keyPath); err != nil {
			return nil, err
		}
		pair, err = tls.LoadX509KeyPair(certPath, keyPath)
	}
	if err != nil {
		return nil, fmt.Errorf("i2pcontrol: certificate %s, key %s (i2pcontrol.cert, i2pcontrol.key; delete both to make new ones): %w", certPath, keyPath, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

func createCert(certPath, keyPath string) error {
	if _, err := os.Stat(certPath); err == nil {
		return fmt.Errorf("i2pcontrol: %s exists but %s does not: remove it to make a new pair", certPath, keyPath)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("i2pcontrol: key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "veil i2pcontrol", Organization: []string{"veil"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certLife),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("i2pcontrol: certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return fmt.Errorf("i2pcontrol: save key: %w", err)
	}
	if err := atomicfile.Write(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("i2pcontrol: save certificate: %w", err)
	}
	return nil
}
