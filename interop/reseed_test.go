//go:build interop

package interop

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/i2pdtest"
)

// TestReseedServeI2pd: a fresh i2pd 2.45.1 bootstraps from `veil reseed
// serve` with reseed.verify=true and only veil's signer certificate in
// its certificates/reseed (the "Done when" of issue 5).
//
//  1. Two i2pd routers on loopback make RouterInfos of the private
//     network; they go into the reseed server's netDb folder.
//  2. `veil reseed serve` on a free loopback port makes its RSA-4096
//     signer and TLS keys and prints the certificate path.
//  3. A fresh i2pd (empty netDb, reseed.urls = veil's URL) downloads
//     i2pseeds.su3, verifies it and adds both RouterInfos.
//  4. The same with a certificate of another key under veil's signer ID:
//     i2pd must refuse the bundle.
//
// Loopback mode is enough: i2pd's reseed client does not refuse reserved
// addresses and does not check the server's TLS certificate (the su3
// signature is the check). Every wait is bounded; processes stop by PID.
func TestReseedServeI2pd(t *testing.T) {
	i2pdtest.Require(t)
	seeds := make([]string, 2)
	dataDir := t.TempDir()
	netDb := filepath.Join(dataDir, "netDb")
	for i := range seeds {
		r := i2pdtest.Start(t, i2pdtest.Config{NetID: netID})
		if err := r.WaitRouterInfo(30 * time.Second); err != nil {
			t.Fatal(err)
		}
		ri, err := os.ReadFile(r.RouterInfoPath())
		if err != nil {
			t.Fatal(err)
		}
		if seeds[i], err = i2pdtest.RouterInfoHash(ri); err != nil {
			t.Fatal(err)
		}
		if _, err := i2pdtest.InstallRouterInfo(netDb, ri); err != nil {
			t.Fatal(err)
		}
		r.Stop()
	}

	listen := freeLoopback(t)
	v := startReseedServe(t, "--datadir="+dataDir, fmt.Sprintf("--netid=%d", netID), "--listen="+listen,
		"--signer=interop@mail.i2p", "--loglevel=debug")
	m, err := v.waitLog(regexp.MustCompile(`signer interop@mail\.i2p \(created\): certificate (\S+)`), 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	certPath := m[1]
	if _, err := v.waitLog(regexp.MustCompile(`serving https://`), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	srv := i2pdtest.ReseedServer{URL: "https://" + listen + "/", SignerCert: certPath, CertName: "interop_at_mail.i2p.crt"}

	t.Run("verified", func(t *testing.T) {
		r := i2pdtest.StartReseeding(t, i2pdtest.Config{NetID: netID}, srv)
		for _, h := range seeds {
			if _, err := r.WaitLog("NetDb: RouterInfo added: "+h, 60*time.Second); err != nil {
				t.Fatalf("i2pd did not add %s from veil's bundle: %v\n%s", h, err, grepLog(r.Log(), "Reseed", "NetDb", "SU3"))
			}
		}
		log := r.Log()
		if !strings.Contains(log, "Reseed: Downloading SU3 from https://"+listen+"/i2pseeds.su3") {
			t.Errorf("i2pd did not log the download from veil:\n%s", grepLog(log, "Reseed"))
		}
		if strings.Contains(log, "verification failed") {
			t.Errorf("i2pd logged a verification failure:\n%s", grepLog(log, "Reseed"))
		}
		t.Logf("i2pd:\n%s", grepLog(log, "Reseed", "RouterInfo added"))
		if _, err := v.waitLog(regexp.MustCompile(`msg="reseed: served"`), 5*time.Second); err != nil {
			t.Error(err)
		}
	})

	t.Run("wrong certificate refused", func(t *testing.T) {
		// Another key under the same CN, made by a second server.
		other := t.TempDir()
		v2 := startReseedServe(t, "--datadir="+other, fmt.Sprintf("--netid=%d", netID), "--listen="+freeLoopback(t),
			"--signer=interop@mail.i2p")
		m, err := v2.waitLog(regexp.MustCompile(`certificate (\S+)`), 60*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		bad := srv
		bad.SignerCert = m[1]
		r := i2pdtest.StartReseeding(t, i2pdtest.Config{NetID: netID}, bad)
		if _, err := r.WaitLog("Reseed: SU3 signature verification failed", 60*time.Second); err != nil {
			t.Fatalf("%v\n%s", err, grepLog(r.Log(), "Reseed", "NetDb"))
		}
		if strings.Contains(r.Log(), "NetDb: RouterInfo added: "+seeds[0]) || strings.Contains(r.Log(), "NetDb: RouterInfo added: "+seeds[1]) {
			t.Errorf("i2pd added routers from a bundle it could not verify:\n%s", grepLog(r.Log(), "Reseed", "RouterInfo added"))
		}
	})
}

// freeLoopback returns a 127.0.0.1 address with a port free at the time.
func freeLoopback(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startReseedServe runs `veil reseed serve args...` as a direct child; a
// t.Cleanup stops it by PID (veilRun.stop).
func startReseedServe(t *testing.T, args ...string) *veilRun {
	t.Helper()
	return runVeil(t, exec.Command(veil(t), append([]string{"reseed", "serve"}, args...)...), "veil reseed serve")
}
