package inspect

import (
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// inspectLeaseSet tries the LeaseSet kinds. LeaseSet files have no
// standard name, so b may be the bare structure or, as a DatabaseStore
// carries it, prefixed by its store type byte (1, 3, 5 or 7). It reports
// whether b was recognised.
func inspectLeaseSet(r *Report, b []byte) (bool, error) {
	if len(b) > 1 {
		switch data.StoreType(b[0]) {
		case data.StoreLeaseSet2:
			if ls, err := data.ParseLeaseSet2(b[1:]); err == nil {
				return true, describeLS2(r, ls)
			}
		case data.StoreMetaLeaseSet:
			if ls, err := data.ParseMetaLeaseSet(b[1:]); err == nil {
				return true, describeMeta(r, ls)
			}
		case data.StoreEncryptedLeaseSet:
			if ls, err := data.ParseEncryptedLeaseSet(b[1:]); err == nil {
				return true, describeEncrypted(r, ls)
			}
		case data.StoreLeaseSet:
			if ls, err := data.ParseLeaseSet(b[1:]); err == nil {
				return true, describeLS1(r, ls)
			}
		}
	}
	if ls, err := data.ParseLeaseSet2(b); err == nil {
		return true, describeLS2(r, ls)
	}
	if ls, err := data.ParseLeaseSet(b); err == nil {
		return true, describeLS1(r, ls)
	}
	if ls, err := data.ParseMetaLeaseSet(b); err == nil {
		return true, describeMeta(r, ls)
	}
	if ls, err := data.ParseEncryptedLeaseSet(b); err == nil {
		return true, describeEncrypted(r, ls)
	}
	return false, nil
}

func describeLS1(r *Report, ls *data.LeaseSet) error {
	r.Kind = "leaseset"
	describeIdentity(r, ls.Destination, true)
	for _, l := range ls.Leases {
		r.Leases = append(r.Leases, Lease{l.Gateway.String(), uint32(l.TunnelID), l.End.Time().Format(time.RFC3339)})
	}
	return setValid(r, ls.Verify())
}

func describeHeader(r *Report, h *data.LeaseSet2Header) {
	describeIdentity(r, h.Destination, true)
	r.Published = h.Published.Time().Format(time.RFC3339)
	r.Expires = h.Expiration().UTC().Format(time.RFC3339)
	if o := h.Offline; o != nil {
		r.Offline = &Offline{Expires: o.Expires.Time().Format(time.RFC3339), TransientType: o.TransientType.String()}
	}
}

func describeLS2(r *Report, ls *data.LeaseSet2) error {
	r.Kind = "leaseset2"
	describeHeader(r, &ls.LeaseSet2Header)
	r.Options = ls.Options.Map()
	for _, k := range ls.Keys {
		r.Keys = append(r.Keys, Key{Type: k.Type.String(), Code: int(k.Type), Len: len(k.Key)})
	}
	for _, l := range ls.Leases {
		r.Leases = append(r.Leases, Lease{l.Gateway.String(), uint32(l.TunnelID), l.End.Time().Format(time.RFC3339)})
	}
	return setValid(r, ls.Verify())
}

func describeMeta(r *Report, ls *data.MetaLeaseSet) error {
	r.Kind = "meta_leaseset"
	describeHeader(r, &ls.LeaseSet2Header)
	r.Options = ls.Options.Map()
	for _, l := range ls.Leases {
		r.Leases = append(r.Leases, Lease{Gateway: l.Hash.String(), End: l.End.Time().Format(time.RFC3339)})
	}
	return setValid(r, ls.Verify())
}

func describeEncrypted(r *Report, ls *data.EncryptedLeaseSet) error {
	r.Kind = "encrypted_leaseset"
	r.Hash = ls.Hash().String()
	st := int(ls.BlindedType)
	r.SigType, r.SigTypeCode = ls.BlindedType.String(), &st
	r.Published = ls.Published.Time().Format(time.RFC3339)
	r.Expires = ls.Expiration().UTC().Format(time.RFC3339)
	return setValid(r, ls.Verify())
}
