package inspect

import (
	"strconv"
	"time"

	"github.com/veil-i2p/veil/internal/su3"
)

// inspectSU3 describes an su3 file. Its signature is checked only when a
// certificate folder is given: an su3 names its signer, and the signer's
// certificate is what the signature is checked against.
func inspectSU3(r *Report, b []byte, opt Options) error {
	r.Kind = "su3"
	f, err := su3.Parse(b)
	if err != nil {
		return err
	}
	st := int(f.SigType)
	r.SigType, r.SigTypeCode = f.SigType.String(), &st
	r.SU3 = &SU3{
		Version:     f.Version,
		SignerID:    f.SignerID,
		FileType:    f.FileType.String(),
		ContentType: f.ContentType.String(),
		ContentLen:  len(f.Content),
	}
	if secs, err := strconv.ParseInt(f.Version, 10, 64); err == nil && f.ContentType == su3.ContentReseed {
		r.Published = time.Unix(secs, 0).UTC().Format(time.RFC3339)
	}
	if f.ContentType == su3.ContentReseed && f.FileType == su3.FileZIP {
		ris, err := f.RouterInfos(su3.MaxZipEntries)
		if err != nil {
			return err
		}
		r.SU3.Entries = len(ris)
	}
	if opt.SU3CertDir == "" {
		return nil
	}
	kr, err := su3.LoadCertificates(opt.SU3CertDir)
	if err != nil {
		return err
	}
	// Zero time: inspection reports the signature, not the cert's dates.
	return setValid(r, f.Verify(kr, time.Time{}))
}
