package client

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
)

// Datagram2 and Datagram3 (proposal 163, datagrams.rst; protocols 19 and
// 20, since 0.9.66). Both carry 2 bytes of flags after the sender — bits
// 3-0 the version (2 or 3), bit 4 an options Mapping follows, bit 5
// (Datagram2 only) an offline signature follows — and the payload.
//
// Datagram2 is Datagram1 made replay-resistant: its signature, at the end,
// covers the hash of the destination it is sent to (a prelude not in the
// datagram), the flags, the options, the offline signature and the
// payload, so a datagram captured on its way to one destination does not
// verify at another. With offline keys the transient key signs.

// Datagram flags.
const (
	dgVersionMask  = 0x000f
	dgFlagOptions  = 0x0010
	dgFlagOffline  = 0x0020
	datagram2Ver   = 2
	datagram3Ver   = 3
	dgFlagsLen     = 2
	errDatagramFmt = "client: datagram%d: %w"
)

// ErrDatagram is wrapped by the errors of the Datagram2/3 parsers.
var ErrDatagram = errors.New("bad datagram")

// Datagram2 is a verified Datagram2.
type Datagram2 struct {
	From    data.KeysAndCert
	Options data.Mapping
	// Offline is the sender's offline signature, when a transient key
	// signed (nil otherwise).
	Offline *data.OfflineSignature
	Payload []byte
}

// appendFlags writes a version's flags and, when opts has entries, the
// options.
func appendFlags(b []byte, version uint16, opts data.Mapping, offline bool) ([]byte, error) {
	flags := version
	if opts.Len() > 0 {
		flags |= dgFlagOptions
	}
	if offline {
		flags |= dgFlagOffline
	}
	b = binary.BigEndian.AppendUint16(b, flags)
	if opts.Len() > 0 {
		return opts.Append(b)
	}
	return b, nil
}

// parseFlags reads the flags and options of a datagram of version v.
// Flag bits this version does not define are ignored, as the proposal
// keeps them for future use.
func parseFlags(b []byte, v uint16) (flags uint16, opts data.Mapping, rest []byte, err error) {
	if len(b) < dgFlagsLen {
		return 0, opts, nil, fmt.Errorf("%w: %d bytes left for the flags", ErrDatagram, len(b))
	}
	flags = binary.BigEndian.Uint16(b)
	if flags&dgVersionMask != v {
		return 0, opts, nil, fmt.Errorf("%w: version %d, want %d", ErrDatagram, flags&dgVersionMask, v)
	}
	rest = b[dgFlagsLen:]
	if flags&dgFlagOptions != 0 {
		if opts, rest, err = data.ParseMapping(rest); err != nil {
			return 0, opts, nil, fmt.Errorf("%w: options: %w", ErrDatagram, err)
		}
	}
	return flags, opts, rest, nil
}

// AppendDatagram2 writes a Datagram2 of payload from d to the destination
// with hash to, with options opts (none if empty).
func (d *Destination) AppendDatagram2(b []byte, to data.Hash, payload []byte, opts data.Mapping) ([]byte, error) {
	signer, err := d.keys.Signer()
	if err != nil {
		return b, err
	}
	start := len(b)
	b = append(b, d.keys.Identity.Bytes()...)
	signed := len(b)
	o := d.keys.Offline
	if b, err = appendFlags(b, datagram2Ver, opts, o != nil); err != nil {
		return b[:start], fmt.Errorf(errDatagramFmt, 2, err)
	}
	if o != nil {
		off := data.OfflineSignature{Expires: data.Seconds(o.Expires), TransientType: o.TransientType,
			TransientKey: o.TransientPublic, Signature: o.Signature}
		b = off.Append(b)
	}
	b = append(b, payload...)
	msg := make([]byte, 0, len(to)+len(b)-signed)
	msg = append(append(msg, to[:]...), b[signed:]...)
	sig, err := signer.Sign(msg)
	if err != nil {
		return b[:start], err
	}
	return append(b, sig...), nil
}

// ParseDatagram2 reads a Datagram2 sent to the destination with hash to
// and verifies its signature (and offline signature, unexpired at now).
// The payload aliases b.
func ParseDatagram2(b []byte, to data.Hash, now time.Time) (Datagram2, error) {
	from, rest, err := data.ParseKeysAndCert(b)
	if err != nil {
		return Datagram2{}, fmt.Errorf(errDatagramFmt, 2, err)
	}
	signedStart := len(b) - len(rest)
	flags, opts, rest, err := parseFlags(rest, datagram2Ver)
	if err != nil {
		return Datagram2{}, fmt.Errorf(errDatagramFmt, 2, err)
	}
	dg := Datagram2{From: from, Options: opts}
	sigType, sigKey := from.SigType(), from.SigningPublicKey()
	if flags&dgFlagOffline != 0 {
		o, r, err := data.ParseOfflineSignature(rest, from.SigType())
		if err != nil {
			return Datagram2{}, fmt.Errorf(errDatagramFmt, 2, err)
		}
		if err := o.Verify(from.SigType(), from.SigningPublicKey()); err != nil {
			return Datagram2{}, fmt.Errorf(errDatagramFmt, 2, err)
		}
		if o.Expired(now) {
			return Datagram2{}, fmt.Errorf("client: datagram2: %w: offline signature expired at %v", ErrDatagram, o.Expires.Time())
		}
		dg.Offline, rest = &o, r
		sigType, sigKey = o.TransientType, o.TransientKey
	}
	n := sigType.SigLen()
	if n <= 0 || len(rest) < n {
		return Datagram2{}, fmt.Errorf("client: datagram2: %w: %d bytes left for a %d-byte signature", ErrDatagram, len(rest), n)
	}
	sigStart := len(b) - n
	dg.Payload = b[len(b)-len(rest) : sigStart]
	msg := make([]byte, 0, len(to)+sigStart-signedStart)
	msg = append(append(msg, to[:]...), b[signedStart:sigStart]...)
	if err := crypto.Verify(sigType, sigKey, msg, b[sigStart:]); err != nil {
		return Datagram2{}, fmt.Errorf("client: datagram2 signature: %w", err)
	}
	return dg, nil
}
