package veil

import (
	"fmt"
	"strconv"

	"github.com/veil-i2p/veil/internal/data"
)

// Addr is an I2P address: a destination, and a port (0: none). It
// implements net.Addr. The zero Addr names no destination.
type Addr struct {
	hash data.Hash
	dest []byte // the full destination, when known
	port uint16
}

// Network is "i2p".
func (a Addr) Network() string { return "i2p" }

// String is the .b32.i2p address, with ":port" when the port is not 0.
func (a Addr) String() string {
	if a.port == 0 {
		return a.B32()
	}
	return a.B32() + ":" + strconv.Itoa(int(a.port))
}

// B32 is the destination's ….b32.i2p address (52 characters of Base32,
// the SHA-256 of the destination), the form to give users.
func (a Addr) B32() string { return a.hash.B32() }

// Hash is the destination's 32-byte hash (SHA-256 of the destination), the
// form of compact peer lists.
func (a Addr) Hash() [32]byte { return a.hash }

// Base64 is the full destination in I2P's Base64 (387 characters or
// more), the form address books hold; "" when the destination is known
// by its hash only (a datagram's sender is known in full).
func (a Addr) Base64() string {
	if a.dest == nil {
		return ""
	}
	return data.EncodeBase64(a.dest)
}

// Port is the address's port.
func (a Addr) Port() uint16 { return a.port }

// WithPort is the address with port p.
func (a Addr) WithPort(p uint16) Addr {
	a.port = p
	return a
}

// ParseAddr reads an address: "….b32.i2p" or a full Base64 destination,
// with an optional ":port". Names and b33 addresses need a lookup: dial
// them with Destination.DialContext.
func ParseAddr(s string) (Addr, error) {
	host, port, err := splitHostPort(s)
	if err != nil {
		return Addr{}, fmt.Errorf("veil: address %q: %w", s, err)
	}
	if h, err := data.ParseB32(host); err == nil {
		return Addr{hash: h, port: port}, nil
	}
	raw, err := data.DecodeBase64(host)
	if err == nil {
		var kc data.KeysAndCert
		if kc, _, err = data.ParseKeysAndCert(raw); err == nil {
			return Addr{hash: kc.Hash(), dest: kc.Bytes(), port: port}, nil
		}
	}
	return Addr{}, fmt.Errorf("veil: address %q: not a .b32.i2p address or a Base64 destination", s)
}
