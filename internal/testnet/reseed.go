package testnet

import (
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/veil-i2p/veil/internal/atomicfile"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/reseed"
	"github.com/veil-i2p/veil/internal/router"
)

// Folders of the network's Dir.
const (
	certsDir  = "certificates" // i2pd's certsdir: reseed/ signer certificates, ssl/ TLS certificates
	reseedDir = "reseed"       // the reseed server's keys and netDb/
	signerID  = "testnet-reseed@veil.i2p"
)

// reseedServer is a veil reseed server on loopback serving the
// network's RouterInfos.
type reseedServer struct {
	url   string
	netDb string
	srv   *http.Server
	done  chan struct{}
}

// startReseed loads or creates the reseed server's keys, installs its
// certificates where the routers look for them, and starts serving on a
// loopback port (bundles are made from netDb/ when asked for).
func startReseed(dir string, netID int, log *slog.Logger) (*reseedServer, error) {
	rdir := filepath.Join(dir, reseedDir)
	keys, _, err := reseed.LoadOrCreateKeys(filepath.Join(rdir, reseed.KeysDir), signerID, []string{"127.0.0.1"}, time.Now(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testnet: reseed server: %w", err)
	}
	for src, dst := range map[string]string{
		keys.SignerCertPath: filepath.Join(dir, certsDir, "reseed", reseed.CertFileName(keys.SignerID)),
		keys.TLSCertPath:    filepath.Join(dir, certsDir, "ssl", "testnet-reseed.crt"),
	} {
		if err := copyFile(src, dst); err != nil {
			return nil, fmt.Errorf("testnet: reseed certificates: %w", err)
		}
	}
	s := &reseedServer{netDb: filepath.Join(rdir, router.NetDBDir), done: make(chan struct{})}
	if err := os.MkdirAll(s.netDb, 0o700); err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	h, err := reseed.NewServer(reseed.ServerConfig{
		NetDBDir: s.netDb, NetID: netID, Signer: keys.Signer, SignerID: keys.SignerID,
		// Every router asks from 127.0.0.1 at once.
		Rate: 1000, Burst: 1000, Logger: log.With("subsystem", "reseed-server"),
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testnet: reseed server: %w", err)
	}
	s.url = "https://" + ln.Addr().String() + "/"
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{keys.TLS}, MinVersion: tls.VersionTLS12}}
	go func() {
		defer close(s.done)
		s.srv.ServeTLS(ln, "", "")
	}()
	return s, nil
}

// publish puts the router.info of every router folder in dirs into the
// served netDb.
func (s *reseedServer) publish(dirs []string) error {
	var ris [][]byte
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, router.RouterInfoFile))
		if err != nil {
			return fmt.Errorf("testnet: %w", err)
		}
		ris = append(ris, b)
	}
	return s.publishRouterInfos(ris)
}

// publishRouterInfos puts RouterInfo files into the served netDb.
func (s *reseedServer) publishRouterInfos(ris [][]byte) error {
	for _, b := range ris {
		ri, err := data.ParseRouterInfo(b)
		if err != nil {
			return fmt.Errorf("testnet: reseed: %w", err)
		}
		p := router.NetDBPath(filepath.Dir(s.netDb), ri.Hash())
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("testnet: %w", err)
		}
		if err := atomicfile.Write(p, b, 0o644); err != nil {
			return fmt.Errorf("testnet: %w", err)
		}
	}
	return nil
}

func (s *reseedServer) close() {
	s.srv.Close()
	<-s.done
}

// copyFile copies src to dst (creating dst's folder), atomically.
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(dst, b, 0o644)
}
