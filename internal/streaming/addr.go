package streaming

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/veil-i2p/veil/internal/data"
)

// Addr is a streaming endpoint: a destination and a port (0: any). It
// implements net.Addr.
type Addr struct {
	Hash data.Hash
	Port uint16
}

// Network is "i2p".
func (a Addr) Network() string { return "i2p" }

// String is "<b32 address>:<port>".
func (a Addr) String() string { return a.Hash.B32() + ":" + strconv.Itoa(int(a.Port)) }

// ParseAddr reads "<52 chars>.b32.i2p[:port]".
func ParseAddr(s string) (Addr, error) {
	host, port := s, ""
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
	}
	h, err := data.ParseB32(host)
	if err != nil {
		return Addr{}, fmt.Errorf("streaming: address %q: %w", s, err)
	}
	a := Addr{Hash: h}
	if port != "" {
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return Addr{}, fmt.Errorf("streaming: address %q: port: %w", s, err)
		}
		a.Port = uint16(p)
	}
	return a, nil
}
