package router

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/reseed"
	"github.com/veil-i2p/veil/internal/su3"
)

// ReseedConfig is i2pd's [reseed] section, as far as the router uses it.
// The zero value never reseeds (Threshold 0).
type ReseedConfig struct {
	// Threshold: reseed at start when fewer routers are known.
	Threshold int
	Verify    bool
	URLs      []string
	File      string
	ZipFile   string
	// Proxy is reseed.proxy; not supported yet, so URLs are not used
	// when it is set (the operator asked not to connect directly).
	Proxy string
	// CertsDir is i2pd's certsdir: signer certificates are read from
	// CertsDir/reseed, extra TLS roots from CertsDir/ssl.
	CertsDir string
}

// reseedIfNeeded fills the netDb from the reseed sources when it holds
// fewer than Threshold routers, before the connector dials anyone (as
// i2pd's NetDb::Start does). Failure is logged, not fatal: the router may
// still learn routers by other means, as in i2pd. A private network with
// the public reseed servers configured is refused by reseed.Client.
func (r *Router) reseedIfNeeded(ctx context.Context, store *netdb.Store) {
	rc := r.cfg.Reseed
	if rc.Threshold <= 0 || store.Len() >= rc.Threshold {
		return
	}
	log := r.log.With("subsystem", "reseed")
	urls := rc.URLs
	if rc.Proxy != "" && len(urls) > 0 {
		log.Warn("reseed: reseed.proxy is not supported yet; not using reseed.urls", "proxy", rc.Proxy)
		urls = nil
	}
	c := &reseed.Client{
		URLs: urls, File: rc.File, ZipFile: rc.ZipFile, Verify: rc.Verify, NetID: r.cfg.NetID,
		Logger: log, Now: r.cfg.Now,
		Add: func(ri *data.RouterInfo) error { _, err := store.Put(ri); return err },
	}
	if rc.Verify {
		ring, err := su3.LoadCertificates(filepath.Join(rc.CertsDir, "reseed"))
		if err != nil {
			log.Error("reseed: cannot load signer certificates; not reseeding", "err", err)
			return
		}
		c.Certs = ring
	}
	hc, err := reseed.NewHTTPClient(filepath.Join(rc.CertsDir, "ssl"))
	if err != nil {
		log.Error("reseed: not reseeding", "err", err)
		return
	}
	c.HTTPClient = hc
	log.Info("reseed: netDb below threshold, reseeding", "routers", store.Len(), "threshold", rc.Threshold)
	got, err := c.Run(ctx)
	switch {
	case errors.Is(err, reseed.ErrMainNetURLs):
		log.Error("reseed: refused", "netid", r.cfg.NetID, "err", err)
	case err != nil && ctx.Err() == nil:
		log.Error("reseed: failed", "err", err)
	case err == nil:
		log.Info("reseed: netDb reseeded", "added", len(got), "routers", store.Len(), "floodfills", store.Floodfills())
	}
}
