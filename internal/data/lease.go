package data

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Seconds is the 4-byte "date" of the LeaseSet2 family: seconds since the
// epoch, big-endian, rolling over in 2106 (common-structures.rst, Lease2
// and LeaseSet2Header). Its one-second resolution matters: floodfills
// only accept a LeaseSet2 whose published time is strictly newer.
type Seconds uint32

// SecondsOf converts t to Seconds, truncating to whole seconds. Times
// outside 1970–2106 are clamped to the representable range.
func SecondsOf(t time.Time) Seconds {
	u := t.Unix()
	switch {
	case u < 0:
		return 0
	case u > 0xFFFFFFFF:
		return 0xFFFFFFFF
	}
	return Seconds(u)
}

// Time converts s to a UTC time.Time.
func (s Seconds) Time() time.Time { return time.Unix(int64(s), 0).UTC() }

// Lease authorizes one inbound tunnel of a LeaseSet (type 1)
// (common-structures.rst, "Lease"): gateway hash, tunnel ID and an 8-byte
// millisecond end Date, 44 bytes in all.
type Lease struct {
	Gateway  Hash // hash of the gateway's RouterIdentity
	TunnelID TunnelID
	End      Date
}

// LeaseLen is the wire length of a Lease.
const LeaseLen = 44

// Append appends the 44-byte wire form of l.
func (l Lease) Append(b []byte) []byte {
	b = append(b, l.Gateway[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(l.TunnelID))
	return appendDate(b, l.End)
}

// ParseLease parses a Lease at the start of b and returns the rest.
func ParseLease(b []byte) (Lease, []byte, error) {
	r := &reader{b: b}
	l, err := r.lease()
	if err != nil {
		return Lease{}, nil, perr("Lease", "", err)
	}
	return l, r.rest(), nil
}

func (r *reader) lease() (Lease, error) {
	p, err := r.bytes(LeaseLen)
	if err != nil {
		return Lease{}, err
	}
	var l Lease
	copy(l.Gateway[:], p)
	l.TunnelID = TunnelID(binary.BigEndian.Uint32(p[32:]))
	l.End = Date(binary.BigEndian.Uint64(p[36:]))
	return l, nil
}

// Lease2 authorizes one inbound tunnel of a LeaseSet2
// (common-structures.rst, "Lease2"): as Lease, but the end date is 4-byte
// Seconds, 40 bytes in all.
type Lease2 struct {
	Gateway  Hash
	TunnelID TunnelID
	End      Seconds
}

// Lease2Len is the wire length of a Lease2 (and of a MetaLease).
const Lease2Len = 40

// Append appends the 40-byte wire form of l.
func (l Lease2) Append(b []byte) []byte {
	b = append(b, l.Gateway[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(l.TunnelID))
	return binary.BigEndian.AppendUint32(b, uint32(l.End))
}

// ParseLease2 parses a Lease2 at the start of b and returns the rest.
func ParseLease2(b []byte) (Lease2, []byte, error) {
	r := &reader{b: b}
	l, err := r.lease2()
	if err != nil {
		return Lease2{}, nil, perr("Lease2", "", err)
	}
	return l, r.rest(), nil
}

func (r *reader) lease2() (Lease2, error) {
	p, err := r.bytes(Lease2Len)
	if err != nil {
		return Lease2{}, err
	}
	var l Lease2
	copy(l.Gateway[:], p)
	l.TunnelID = TunnelID(binary.BigEndian.Uint32(p[32:]))
	l.End = Seconds(binary.BigEndian.Uint32(p[36:]))
	return l, nil
}

func (l Lease) String() string {
	return fmt.Sprintf("lease(gw=%s tunnel=%d end=%s)", l.Gateway, l.TunnelID, l.End.Time().Format(time.RFC3339))
}

func (l Lease2) String() string {
	return fmt.Sprintf("lease2(gw=%s tunnel=%d end=%s)", l.Gateway, l.TunnelID, l.End.Time().Format(time.RFC3339))
}

// countedItems reads a 1-byte count then that many fixed-size entries.
// The count is checked against what remains before anything is
// allocated, so a hostile count costs nothing.
func countedItems[T any](r *reader, limit, size int, read func() (T, error)) ([]T, error) {
	n, err := r.u8()
	if err != nil {
		return nil, err
	}
	if int(n) > limit {
		return nil, invalidf("%d entries, at most %d allowed", n, limit)
	}
	if r.remaining() < int(n)*size {
		return nil, fmt.Errorf("%w: %d entries need %d bytes, have %d", ErrTruncated, n, int(n)*size, r.remaining())
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]T, 0, n)
	for range int(n) {
		v, err := read()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
