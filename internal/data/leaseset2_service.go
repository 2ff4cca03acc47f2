package data

import (
	"fmt"
	"strconv"
	"strings"
)

// ServiceRecord is one record of a LeaseSet2 service-record option
// (common-structures.rst, LeaseSet2 "Options"; proposal 167, API 0.9.66).
// The option key is "_service._proto" and its value is either one "self"
// record, "0 ttl port [appoptions]", meaning the service runs on this
// destination, or comma-separated "1 ttl priority weight port target
// [appoptions]" records pointing elsewhere, in the manner of DNS SRV.
type ServiceRecord struct {
	Self       bool   // a "0" record: the service is on this destination
	TTL        uint32 // seconds
	Priority   uint16 // lower is preferred; 0 for Self
	Weight     uint16 // relative among equal priorities; 0 for Self
	Port       uint16 // I2CP port
	Target     string // hostname or b32 address; empty for Self
	AppOptions string // application-specific, no spaces or commas
}

// ServiceKey returns the option key for service and proto ("smtp", "tcp"
// → "_smtp._tcp").
func ServiceKey(service, proto string) string { return "_" + service + "._" + proto }

// ServiceRecords parses the records of the "_service._proto" option, or
// returns nil, nil if the option is absent.
func (ls *LeaseSet2) ServiceRecords(service, proto string) ([]ServiceRecord, error) {
	v, ok := ls.Options.Get(ServiceKey(service, proto))
	if !ok {
		return nil, nil
	}
	return ParseServiceRecords(v)
}

// ParseServiceRecords parses a service-record option value.
//
// The grammar gives every pointing record a leading "1", but the spec's
// own two-server example omits it on the second record ("1 86400 0 0 25
// b...b32.i2p,86400 1 0 25 c...b32.i2p"). A record after the first that
// does not start with "1" is therefore read as ttl priority weight port
// target [appoptions], so that such values still parse.
func ParseServiceRecords(v string) ([]ServiceRecord, error) {
	parts := strings.Split(v, ",")
	if len(parts) > 64 {
		return nil, fmt.Errorf("data: service records: %d records", len(parts))
	}
	var out []ServiceRecord
	for i, p := range parts {
		f := strings.Split(p, " ")
		rec, err := parseServiceRecord(f, i, len(parts))
		if err != nil {
			return nil, fmt.Errorf("data: service records: record %d %q: %w", i, p, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

func parseServiceRecord(f []string, i, n int) (ServiceRecord, error) {
	var rec ServiceRecord
	switch {
	case f[0] == "0":
		if n != 1 {
			return rec, fmt.Errorf("a self record must be the only one")
		}
		if len(f) < 3 || len(f) > 4 {
			return rec, fmt.Errorf("self record has %d fields, want 3 or 4", len(f))
		}
		rec.Self = true
		f = f[1:]
	case f[0] == "1" && len(f) >= 6:
		f = f[1:]
	case i > 0 && len(f) >= 5:
		// The spec example's marker-less continuation record.
	default:
		return rec, fmt.Errorf("unknown record form")
	}
	var err error
	if rec.TTL, err = atou[uint32](f[0], 32); err != nil || rec.TTL == 0 {
		return rec, fmt.Errorf("ttl %q: not a positive integer", f[0])
	}
	f = f[1:]
	if !rec.Self {
		if rec.Priority, err = atou[uint16](f[0], 16); err != nil {
			return rec, fmt.Errorf("priority %q: %w", f[0], err)
		}
		if rec.Weight, err = atou[uint16](f[1], 16); err != nil {
			return rec, fmt.Errorf("weight %q: %w", f[1], err)
		}
		f = f[2:]
	}
	if rec.Port, err = atou[uint16](f[0], 16); err != nil {
		return rec, fmt.Errorf("port %q: %w", f[0], err)
	}
	f = f[1:]
	if !rec.Self {
		if f[0] == "" {
			return rec, fmt.Errorf("empty target")
		}
		rec.Target = f[0]
		f = f[1:]
	}
	switch len(f) {
	case 0:
	case 1:
		rec.AppOptions = f[0]
	default:
		return rec, fmt.Errorf("%d extra fields", len(f)-1)
	}
	return rec, nil
}

func atou[T uint16 | uint32](s string, bits int) (T, error) {
	v, err := strconv.ParseUint(s, 10, bits)
	return T(v), err
}

// String formats r as one record of an option value.
func (r ServiceRecord) String() string {
	var s string
	if r.Self {
		s = fmt.Sprintf("0 %d %d", r.TTL, r.Port)
	} else {
		s = fmt.Sprintf("1 %d %d %d %d %s", r.TTL, r.Priority, r.Weight, r.Port, r.Target)
	}
	if r.AppOptions != "" {
		s += " " + r.AppOptions
	}
	return s
}

// FormatServiceRecords joins records into an option value, each with its
// "1" marker as the grammar requires. It refuses a self record mixed with
// others and fields that would break the comma/space syntax.
func FormatServiceRecords(recs []ServiceRecord) (string, error) {
	parts := make([]string, 0, len(recs))
	for i, r := range recs {
		if r.Self && len(recs) != 1 {
			return "", fmt.Errorf("data: service records: self record %d among others", i)
		}
		if r.TTL == 0 || strings.ContainsAny(r.Target+r.AppOptions, " ,") || !r.Self && r.Target == "" {
			return "", fmt.Errorf("data: service records: record %d is malformed", i)
		}
		parts = append(parts, r.String())
	}
	return strings.Join(parts, ","), nil
}
