package i2pdtest

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
)

// ReseedServer is a reseed server under test that an i2pd router may
// bootstrap from (see StartReseeding).
type ReseedServer struct {
	// URL is the server's base URL, "https://host:port/"; i2pd appends
	// "i2pseeds.su3". The host must be on loopback or the test network
	// 198.18.0.0/15, so nothing outside this machine is contacted.
	URL string
	// SignerCert is the PEM certificate of the bundles' signer;
	// CertName is its file name in certificates/reseed
	// ("you_at_mail.i2p.crt").
	SignerCert string
	CertName   string
}

// StartReseeding is Start for a router that reseeds from srv with
// reseed.verify=true. Its certsdir is <datadir>/certificates holding only
// reseed/<CertName>, so i2pd trusts no other signer. It is the one
// exception to the locked reseed.* options: cfg.ReseedZip must be empty,
// and the URL is checked to stay on this machine. i2pd 2.45.1 reseeds at
// start when it knows fewer than 25 routers (or 5 floodfills).
func StartReseeding(t TB, cfg Config, srv ReseedServer) *Router {
	t.Helper()
	if cfg.Binary == "" {
		cfg.Binary = Require(t)
	}
	if err := checkReseedURL(srv.URL); err != nil {
		t.Fatal(err)
	}
	if cfg.ReseedZip != "" {
		t.Fatal("i2pdtest: StartReseeding: ReseedZip must be empty (i2pd uses the zip instead of the URL)")
	}
	if err := resolve(t, &cfg); err != nil {
		t.Fatal(err)
	}
	certs := filepath.Join(cfg.DataDir, "certificates")
	if err := os.MkdirAll(filepath.Join(certs, "reseed"), 0o755); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(srv.SignerCert)
	if err != nil {
		t.Fatalf("i2pdtest: signer certificate: %v", err)
	}
	if err := os.WriteFile(filepath.Join(certs, "reseed", filepath.Base(srv.CertName)), pem, 0o644); err != nil {
		t.Fatal(err)
	}
	// Options was checked by resolve; these overrides are this helper's.
	opts := maps.Clone(cfg.Options)
	if opts == nil {
		opts = map[string]string{}
	}
	opts["reseed.urls"] = srv.URL
	opts["reseed.verify"] = "true"
	opts["certsdir"] = certs
	written := cfg
	written.Options = opts
	if err := writeConfig(&written); err != nil {
		t.Fatal(err)
	}
	r := &Router{t: t, cfg: cfg}
	t.Cleanup(r.Stop)
	if err := r.start(); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkReseedURL allows only https URLs on loopback or 198.18.0.0/15.
func checkReseedURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("i2pdtest: reseed URL %q: %w", u, err)
	}
	ip := net.ParseIP(p.Hostname())
	_, testNet, _ := net.ParseCIDR("198.18.0.0/15")
	if p.Scheme != "https" || ip == nil || !(ip.IsLoopback() || testNet.Contains(ip)) {
		return fmt.Errorf("i2pdtest: reseed URL %q: want https:// on loopback or 198.18.0.0/15", u)
	}
	return nil
}
