package reseed

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// maxSSLCerts caps the files read from an ssl certificate folder.
const maxSSLCerts = 256

// NewHTTPClient returns the client reseeds download with: the system's
// root certificates plus every *.crt in sslDir (Java I2P's
// certificates/ssl, where self-signed reseed servers' TLS certificates
// go; a missing folder adds nothing), TLS 1.2 or later, and
// DefaultTimeout per download.
func NewHTTPClient(sslDir string) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if sslDir != "" {
		ents, err := os.ReadDir(sslDir)
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("reseed: %w", err)
		}
		for i, e := range ents {
			if i >= maxSSLCerts {
				break
			}
			if !strings.HasSuffix(e.Name(), ".crt") || e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(sslDir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("reseed: %w", err)
			}
			if !pool.AppendCertsFromPEM(b) {
				return nil, fmt.Errorf("reseed: %s: no PEM certificate", filepath.Join(sslDir, e.Name()))
			}
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // reseed.proxy is explicit; never the environment's
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: DefaultTimeout}, nil
}
