package reseed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/netdb"
	"github.com/veil-i2p/veil/internal/su3"
)

// Limits on what a reseed reads.
const (
	// MaxDownload caps a bundle fetched over the network (Java I2P's
	// MAX_RESEED_RESPONSE_SIZE).
	MaxDownload = 1 << 20
	// MaxLocalFile caps a bundle read from a local file, which the
	// operator chose; bundles are far smaller.
	MaxLocalFile = 16 << 20
	// MaxBundleAge is how old a downloaded bundle's version (its signing
	// time) may be (Java I2P's MAX_SU3_AGE). Local files are exempt:
	// they are often made once for a test network.
	MaxBundleAge = 30 * 24 * time.Hour
	// MaxBundleFuture tolerates clock skew between us and the signer.
	MaxBundleFuture = 24 * time.Hour
	// BundleName is the file a reseed server serves.
	BundleName = "i2pseeds.su3"
	// UserAgent is what Java I2P and i2pd send; servers may refuse others.
	UserAgent = "Wget/1.11.4"
	// DefaultTimeout bounds one download when HTTPClient is nil.
	DefaultTimeout = 60 * time.Second
)

// Errors a bundle may fail with; callers can test them with errors.Is.
var (
	ErrNotReseed = errors.New("reseed: not a reseed bundle")
	ErrTooOld    = errors.New("reseed: bundle too old")
	ErrFuture    = errors.New("reseed: bundle signed in the future")
	ErrUnsigned  = errors.New("reseed: bundle signature not verified")
)

// bundleURL is the su3 URL of server u: u's path + BundleName, with
// "?netid=N" unless N is the public network's (reseed.md; the parameter
// exists since 0.9.42 and older servers ignore it).
func bundleURL(u string, netID int) (string, error) {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil {
		return "", fmt.Errorf("reseed: server URL %q: %w", u, err)
	}
	if p.Scheme != "https" || p.Host == "" {
		return "", fmt.Errorf("reseed: server URL %q: want https://host/", u)
	}
	if !strings.HasSuffix(p.Path, "/") {
		p.Path += "/"
	}
	p.Path += BundleName
	if netID != MainNetID {
		p.RawQuery = "netid=" + strconv.Itoa(netID)
	}
	return p.String(), nil
}

// isURL reports whether a reseed.file or reseed.zipfile value is a URL;
// only https is allowed, as i2pd does.
func isURL(s string) (bool, error) {
	switch {
	case strings.HasPrefix(s, "https://"):
		return true, nil
	case strings.Contains(s, "://"):
		return false, fmt.Errorf("reseed: %q: only https:// URLs or local files", s)
	}
	return false, nil
}

// read returns the bytes of a local file or URL and whether it was local.
func (r *run) read(ctx context.Context, src string) ([]byte, bool, error) {
	remote, err := isURL(src)
	if err != nil {
		return nil, false, err
	}
	if remote {
		b, err := r.download(ctx, src)
		return b, false, err
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, true, fmt.Errorf("reseed: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxLocalFile+1))
	if err != nil {
		return nil, true, fmt.Errorf("reseed: %s: %w", src, err)
	}
	if len(b) > MaxLocalFile {
		return nil, true, fmt.Errorf("reseed: %s: larger than %d bytes", src, MaxLocalFile)
	}
	return b, true, nil
}

// download GETs u with the reseed user agent, at most MaxDownload bytes.
func (r *run) download(ctx context.Context, u string) ([]byte, error) {
	hc := r.c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("reseed: %s: %w", u, err)
	}
	req.Header.Set("User-Agent", UserAgent)
	r.log.Info("reseed: downloading", "url", u)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reseed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reseed: %s: HTTP %s", u, resp.Status)
	}
	if resp.ContentLength > MaxDownload {
		return nil, fmt.Errorf("reseed: %s: %d bytes, more than %d", u, resp.ContentLength, MaxDownload)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("reseed: %s: %w", u, err)
	}
	if len(b) > MaxDownload {
		return nil, fmt.Errorf("reseed: %s: more than %d bytes", u, MaxDownload)
	}
	return b, nil
}

// su3 reads, checks and unpacks an su3 bundle.
func (r *run) su3(ctx context.Context, src string) ([]su3.NamedFile, error) {
	b, local, err := r.read(ctx, src)
	if err != nil {
		return nil, err
	}
	f, err := CheckBundle(b, r.c.Verify, r.c.Certs, r.c.now(), local)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	if !r.c.Verify {
		r.log.Warn("reseed: bundle signature not checked (reseed.verify=false)", "source", src, "signer", f.SignerID)
	}
	files, err := f.RouterInfos(0)
	if err != nil {
		return nil, fmt.Errorf("reseed: %s: %w", src, err)
	}
	return files, nil
}

// zip reads and unpacks a plain zip of RouterInfos (reseed.zipfile).
// Nothing signs it: each RouterInfo's own signature is all there is.
func (r *run) zip(ctx context.Context, src string) ([]su3.NamedFile, error) {
	b, _, err := r.read(ctx, src)
	if err != nil {
		return nil, err
	}
	f := &su3.File{ContentType: su3.ContentReseed, FileType: su3.FileZIP, Content: b}
	files, err := f.RouterInfos(0)
	if err != nil {
		return nil, fmt.Errorf("reseed: %s: %w", src, err)
	}
	return files, nil
}

// CheckBundle parses an su3 reseed bundle and checks it: content type
// reseed, file type zip, a signature by a certificate in certs valid at
// now (when verify is set), and unless local, a version (signing time)
// no older than MaxBundleAge and no further ahead than MaxBundleFuture.
func CheckBundle(b []byte, verify bool, certs *su3.Keyring, now time.Time, local bool) (*su3.File, error) {
	f, err := su3.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("reseed: %w", err)
	}
	if f.ContentType != su3.ContentReseed || f.FileType != su3.FileZIP {
		return nil, fmt.Errorf("%w: content %v, file type %v", ErrNotReseed, f.ContentType, f.FileType)
	}
	if verify {
		if err := f.Verify(certs, now); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnsigned, err)
		}
	}
	if !local {
		secs, err := strconv.ParseInt(f.Version, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: version %q is not a time in Unix seconds", ErrNotReseed, f.Version)
		}
		signed := time.Unix(secs, 0)
		switch {
		case signed.Before(now.Add(-MaxBundleAge)):
			return nil, fmt.Errorf("%w: signed %s, more than %v ago", ErrTooOld, signed.UTC().Format(time.RFC3339), MaxBundleAge)
		case signed.After(now.Add(MaxBundleFuture)):
			return nil, fmt.Errorf("%w: signed %s", ErrFuture, signed.UTC().Format(time.RFC3339))
		}
	}
	return f, nil
}

// checkRouterInfo parses one bundle entry and checks what holds for any
// netDb: the size, that the name is the hash, the signature and the
// network id. Age and addresses are left to the caller's store.
func checkRouterInfo(f su3.NamedFile, netID int) (*data.RouterInfo, error) {
	if len(f.Data) > netdb.MaxRouterInfoLen {
		return nil, fmt.Errorf("reseed: %s: %d bytes, more than %d", f.Name, len(f.Data), netdb.MaxRouterInfoLen)
	}
	ri, err := data.ParseRouterInfo(bytes.Clone(f.Data))
	if err != nil {
		return nil, fmt.Errorf("reseed: %s: %w", f.Name, err)
	}
	name := strings.TrimSuffix(strings.TrimPrefix(f.Name, "routerInfo-"), ".dat")
	if ri.Hash().String() != name {
		return nil, fmt.Errorf("reseed: %s: name is not the router's hash %s", f.Name, ri.Hash())
	}
	if err := ri.Verify(); err != nil {
		return nil, fmt.Errorf("reseed: %s: %w", f.Name, err)
	}
	if id := ri.NetID(); id != netID {
		return nil, fmt.Errorf("reseed: %s: netid %d, ours is %d", f.Name, id, netID)
	}
	return ri, nil
}

// zipOf builds the zip of a reseed bundle holding ris.
func zipOf(ris []*data.RouterInfo, mod time.Time) ([]byte, error) {
	files := make([]su3.NamedFile, len(ris))
	for i, ri := range ris {
		files[i] = su3.NamedFile{Name: "routerInfo-" + ri.Hash().String() + ".dat", Data: ri.Bytes()}
	}
	return su3.ReseedZip(files, mod)
}
