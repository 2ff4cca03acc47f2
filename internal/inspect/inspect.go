package inspect

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/keyfile"
)

// Report describes one file. Fields that do not apply are omitted.
type Report struct {
	File           string            `json:"file"`
	Kind           string            `json:"kind"`
	Hash           string            `json:"hash,omitempty"`
	B32            string            `json:"b32,omitempty"`
	SigType        string            `json:"sig_type,omitempty"`
	SigTypeCode    *int              `json:"sig_type_code,omitempty"`
	EncType        string            `json:"enc_type,omitempty"`
	EncTypeCode    *int              `json:"enc_type_code,omitempty"`
	SignatureValid *bool             `json:"signature_valid,omitempty"`
	KeysMatch      *bool             `json:"keys_match,omitempty"`
	Published      string            `json:"published,omitempty"`
	Expires        string            `json:"expires,omitempty"`
	Caps           string            `json:"caps,omitempty"`
	Version        string            `json:"version,omitempty"`
	NetID          *int              `json:"netid,omitempty"`
	Addresses      []Address         `json:"addresses,omitempty"`
	Options        map[string]string `json:"options,omitempty"`
	Leases         []Lease           `json:"leases,omitempty"`
	Keys           []Key             `json:"keys,omitempty"`
	Offline        *Offline          `json:"offline,omitempty"`
	StaticKey      string            `json:"static_key,omitempty"`
	SU3            *SU3              `json:"su3,omitempty"`
	Error          string            `json:"error,omitempty"`
}

// Address is one RouterAddress.
type Address struct {
	Transport string            `json:"transport"`
	Cost      int               `json:"cost"`
	Host      string            `json:"host,omitempty"`
	Port      int               `json:"port,omitempty"`
	Options   map[string]string `json:"options"`
}

// Lease is one lease of a LeaseSet.
type Lease struct {
	Gateway  string `json:"gateway"`
	TunnelID uint32 `json:"tunnel_id"`
	End      string `json:"end"`
}

// Key is one encryption key of a LeaseSet2.
type Key struct {
	Type string `json:"type"`
	Code int    `json:"code"`
	Len  int    `json:"len"`
}

// Offline describes an offline signature.
type Offline struct {
	Expires       string `json:"expires"`
	TransientType string `json:"transient_type"`
}

// SU3 describes an su3 file's header.
type SU3 struct {
	Version     string `json:"version"`
	SignerID    string `json:"signer_id"`
	FileType    string `json:"file_type"`
	ContentType string `json:"content_type"`
	ContentLen  int    `json:"content_len"`
	Entries     int    `json:"entries,omitempty"`
}

// Options for Inspect.
type Options struct {
	// SU3CertDir holds reseed signer certificates (i2pd's
	// certificates/reseed); empty means signatures are not checked.
	SU3CertDir string
}

// Inspect describes the file named name with contents b. The error is
// non-nil when the file is not recognised, does not parse, or carries a
// signature (or key pair) that does not verify; the report then says as
// much as is known.
func Inspect(name string, b []byte, opt Options) (*Report, error) {
	r := &Report{File: name}
	base := filepath.Base(name)
	switch {
	case bytes.HasPrefix(b, []byte("I2Psu3")):
		return r, inspectSU3(r, b, opt)
	case base == "router.info" || strings.HasPrefix(base, "routerInfo-"):
		return r, inspectRouterInfo(r, b)
	case base == "ntcp2.keys":
		return r, inspectStatic(r, "ntcp2_keys", b, keyfile.NTCP2IVLen)
	case base == "ssu2.keys":
		return r, inspectStatic(r, "ssu2_keys", b, keyfile.SSU2IntroLen)
	case base == "router.keys" || base == "router.keys.dat":
		return r, inspectKeys(r, "router_keys", b)
	}
	// Unknown name: try each parser, most specific first.
	if _, err := data.ParseRouterInfo(b); err == nil {
		return r, inspectRouterInfo(r, b)
	}
	if _, err := keyfile.Parse(b); err == nil {
		return r, inspectKeys(r, "destination_keys", b)
	}
	if ok, err := inspectLeaseSet(r, b); ok {
		return r, err
	}
	r.Kind = "unknown"
	return r, fmt.Errorf("not a recognised I2P structure (%d bytes)", len(b))
}

func inspectRouterInfo(r *Report, b []byte) error {
	r.Kind = "routerinfo"
	ri, err := data.ParseRouterInfo(b)
	if err != nil {
		return err
	}
	describeIdentity(r, ri.Identity, false)
	r.Published = ri.Published.Time().Format(time.RFC3339Nano)
	r.Caps, r.Version = ri.Caps(), ri.Version()
	if n := ri.NetID(); n >= 0 {
		r.NetID = &n
	}
	r.Options = ri.Options.Map()
	for _, a := range ri.Addresses {
		r.Addresses = append(r.Addresses, Address{
			Transport: a.Transport, Cost: int(a.Cost), Host: a.Host(), Port: a.Port(),
			Options: a.Options.Map(),
		})
	}
	return setValid(r, ri.Verify())
}

func inspectKeys(r *Report, kind string, b []byte) error {
	r.Kind = kind
	pk, err := keyfile.Parse(b)
	if err != nil {
		return err
	}
	describeIdentity(r, pk.Identity, kind == "destination_keys")
	if o := pk.Offline; o != nil {
		r.Offline = &Offline{
			Expires:       time.Unix(int64(o.Expires), 0).UTC().Format(time.RFC3339),
			TransientType: o.TransientType.String(),
		}
	}
	err = pk.Check()
	ok := err == nil
	r.KeysMatch = &ok
	return err
}

func inspectStatic(r *Report, kind string, b []byte, extra int) error {
	r.Kind = kind
	k, err := keyfile.ParseStaticKeys(b, extra)
	if err != nil {
		return err
	}
	ok := true
	r.KeysMatch = &ok
	r.StaticKey = data.EncodeBase64(k.Public[:])
	return nil
}

func describeIdentity(r *Report, id data.KeysAndCert, dest bool) {
	h := id.Hash()
	r.Hash = h.String()
	if dest {
		r.B32 = h.B32()
	}
	st, et := int(id.SigType()), int(id.EncType())
	r.SigType, r.SigTypeCode = id.SigType().String(), &st
	r.EncType, r.EncTypeCode = id.EncType().String(), &et
}

// setValid records a signature check result and returns its error.
func setValid(r *Report, err error) error {
	ok := err == nil
	r.SignatureValid = &ok
	if err != nil {
		return fmt.Errorf("bad signature: %w", err)
	}
	return nil
}
