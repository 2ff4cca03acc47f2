package i2np

import (
	"fmt"

	"github.com/veil-i2p/veil/internal/data"
)

// MaxSearchReplyPeers is the most peer hashes a DatabaseSearchReply can
// hold (a 1-byte count). i2np.rst recommends returning at most 16, and
// typically 3.
const MaxSearchReplyPeers = 255

// DatabaseSearchReply is an I2NP DatabaseSearchReply message (type 3):
// the answer to a failed lookup, with routers closer to the key. From is
// unauthenticated and cannot be trusted (i2np.rst). Parsed slices never
// alias the input.
type DatabaseSearchReply struct {
	Key   data.Hash
	Peers []data.Hash
	From  data.Hash
}

// ParseDatabaseSearchReply parses a DatabaseSearchReply payload; its
// length must be exactly 32 + 1 + 32·num + 32.
func ParseDatabaseSearchReply(b []byte) (*DatabaseSearchReply, error) {
	const st = "DatabaseSearchReply"
	if len(b) < 33 {
		return nil, perr(st, "", detail(ErrTruncated, "%d bytes", len(b)))
	}
	n := int(b[32])
	switch want := 33 + 32*n + 32; {
	case len(b) < want:
		return nil, perr(st, "peer_hashes", detail(ErrTruncated, "%d peers and from in %d bytes", n, len(b)-33))
	case len(b) > want:
		return nil, perr(st, "", detail(ErrTrailing, "%d bytes", len(b)-want))
	}
	m := &DatabaseSearchReply{}
	copy(m.Key[:], b)
	if n > 0 {
		m.Peers = make([]data.Hash, n)
		for i := range m.Peers {
			copy(m.Peers[i][:], b[33+32*i:])
		}
	}
	copy(m.From[:], b[33+32*n:])
	return m, nil
}

// Append appends the DatabaseSearchReply payload; it fails with more
// than MaxSearchReplyPeers peers.
func (m *DatabaseSearchReply) Append(b []byte) ([]byte, error) {
	if len(m.Peers) > MaxSearchReplyPeers {
		return b, fmt.Errorf("i2np: DatabaseSearchReply: %d peers: %w", len(m.Peers), ErrTooLarge)
	}
	b = append(b, m.Key[:]...)
	b = append(b, byte(len(m.Peers)))
	for i := range m.Peers {
		b = append(b, m.Peers[i][:]...)
	}
	return append(b, m.From[:]...), nil
}
