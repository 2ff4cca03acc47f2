package i2np

import (
	"encoding/binary"
	"fmt"

	"github.com/veil-i2p/veil/internal/data"
)

// LookupType is what a DatabaseLookup asks for: flag bits 3–2
// (i2np.rst, "DatabaseLookup", as of 0.9.16).
type LookupType uint8

const (
	LookupAny         LookupType = 0 // RouterInfo or LeaseSet; "not recommended"
	LookupLeaseSet    LookupType = 1 // any LeaseSet type
	LookupRouterInfo  LookupType = 2
	LookupExploration LookupType = 3 // a DatabaseSearchReply of non-floodfills
)

// ReplyEncryption is how the requester wants the reply encrypted: flag
// bits 4 (ECIESFlag) and 1 (encryptionFlag), i2np.rst "Reply Encryption"
// and proposal 154.
type ReplyEncryption uint8

const (
	// ReplyPlain: bits 4,1 = 0,0; no key or tags follow.
	ReplyPlain ReplyEncryption = iota
	// ReplyElGamal: bits 0,1; ElGamal/AES+SessionTags, a 32-byte key and
	// 1–32 32-byte tags (0.9.7, deprecated for routers in 0.9.58 but
	// still used by ElGamal destinations).
	ReplyElGamal
	// ReplyECIES: bits 1,0; a ratchet existing-session message, a 32-byte
	// key and exactly one 8-byte tag (0.9.46, proposal 154).
	ReplyECIES
)

// Limits of a DatabaseLookup (i2np.rst): "size ... valid range: 0-512",
// "tags ... valid range: 1-32".
const (
	MaxExcludedPeers = 512
	MaxElGamalTags   = 32
)

// Flag bits of a DatabaseLookup.
const (
	lookupFlagTunnel  = 0x01
	lookupFlagElGamal = 0x02
	lookupFlagType    = 0x0c
	lookupFlagECIES   = 0x10
	lookupFixed       = 32 + 32 + 1 + 2 // key, from, flags, size
)

// DatabaseLookup is an I2NP DatabaseLookup message (type 2): a request
// for a RouterInfo or LeaseSet, answered with a DatabaseStore or a
// DatabaseSearchReply.
//
// The delivery flag is ReplyTunnel != 0: the reply goes to tunnel
// ReplyTunnel at gateway From, otherwise directly to router From. Bits
// 7–5 of the flags are ignored on receipt and sent as 0. Parsed slices
// never alias the input.
type DatabaseLookup struct {
	Key         data.Hash // the "real" hash, not the routing key
	From        data.Hash
	ReplyTunnel data.TunnelID
	Lookup      LookupType
	// Excluded peers, at most MaxExcludedPeers; an all-zero hash asks for
	// an exploratory reply (the pre-0.9.16 form of LookupExploration).
	Excluded []data.Hash

	Encryption  ReplyEncryption
	ReplyKey    data.SessionKey   // ReplyElGamal, ReplyECIES
	ElGamalTags []data.SessionTag // ReplyElGamal: 1–32 tags
	RatchetTag  data.RatchetTag   // ReplyECIES
}

// ParseDatabaseLookup parses a DatabaseLookup payload. It refuses what
// the spec leaves undefined: flag bits 4 and 1 both set (proposal 154's
// DH-derived reply, "TBD", which no router sends), a zero reply tunnel
// with the delivery flag, more than 512 excluded peers, tag counts
// outside 1–32 (ElGamal) or other than 1 (ECIES), and trailing bytes.
func ParseDatabaseLookup(b []byte) (*DatabaseLookup, error) {
	const st = "DatabaseLookup"
	if len(b) < 65 {
		return nil, perr(st, "", detail(ErrTruncated, "%d bytes", len(b)))
	}
	m := &DatabaseLookup{}
	copy(m.Key[:], b[:32])
	copy(m.From[:], b[32:64])
	flags := b[64]
	m.Lookup = LookupType(flags & lookupFlagType >> 2)
	switch flags & (lookupFlagECIES | lookupFlagElGamal) {
	case lookupFlagElGamal:
		m.Encryption = ReplyElGamal
	case lookupFlagECIES:
		m.Encryption = ReplyECIES
	case lookupFlagECIES | lookupFlagElGamal:
		return nil, perr(st, "flags", detail(ErrInvalid, "%#02x: DH-derived reply keys are not defined", flags))
	}
	b = b[65:]
	if flags&lookupFlagTunnel != 0 {
		if len(b) < 4 {
			return nil, perr(st, "reply_tunnelId", detail(ErrTruncated, "%d bytes", len(b)))
		}
		m.ReplyTunnel = data.TunnelID(binary.BigEndian.Uint32(b))
		if m.ReplyTunnel == 0 {
			return nil, perr(st, "reply_tunnelId", detail(ErrInvalid, "zero with the delivery flag"))
		}
		b = b[4:]
	}
	if len(b) < 2 {
		return nil, perr(st, "size", detail(ErrTruncated, "%d bytes", len(b)))
	}
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if n > MaxExcludedPeers {
		return nil, perr(st, "size", detail(ErrTooLarge, "%d excluded peers, at most %d", n, MaxExcludedPeers))
	}
	if len(b) < n*32 {
		return nil, perr(st, "excludedPeers", detail(ErrTruncated, "%d peers in %d bytes", n, len(b)))
	}
	if n > 0 {
		m.Excluded = make([]data.Hash, n)
		for i := range m.Excluded {
			copy(m.Excluded[i][:], b[i*32:])
		}
	}
	b = b[n*32:]
	if m.Encryption != ReplyPlain {
		var err error
		if b, err = m.parseReplyKeys(b); err != nil {
			return nil, err
		}
	}
	if len(b) != 0 {
		return nil, perr(st, "", detail(ErrTrailing, "%d bytes", len(b)))
	}
	return m, nil
}

func (m *DatabaseLookup) parseReplyKeys(b []byte) ([]byte, error) {
	const st = "DatabaseLookup"
	if len(b) < 33 {
		return nil, perr(st, "reply_key", detail(ErrTruncated, "%d bytes", len(b)))
	}
	copy(m.ReplyKey[:], b)
	tags := int(b[32])
	b = b[33:]
	if m.Encryption == ReplyECIES {
		if tags != 1 {
			return nil, perr(st, "tags", detail(ErrInvalid, "%d ECIES tags, want 1", tags))
		}
		if len(b) < 8 {
			return nil, perr(st, "reply_tags", detail(ErrTruncated, "%d bytes", len(b)))
		}
		copy(m.RatchetTag[:], b)
		return b[8:], nil
	}
	if tags < 1 || tags > MaxElGamalTags {
		return nil, perr(st, "tags", detail(ErrInvalid, "%d ElGamal tags, want 1–%d", tags, MaxElGamalTags))
	}
	if len(b) < tags*32 {
		return nil, perr(st, "reply_tags", detail(ErrTruncated, "%d tags in %d bytes", tags, len(b)))
	}
	m.ElGamalTags = make([]data.SessionTag, tags)
	for i := range m.ElGamalTags {
		copy(m.ElGamalTags[i][:], b[i*32:])
	}
	return b[tags*32:], nil
}

// Append appends the DatabaseLookup payload. It fails on values the
// parser would refuse.
func (m *DatabaseLookup) Append(b []byte) ([]byte, error) {
	flags := byte(m.Lookup&3) << 2
	switch m.Encryption {
	case ReplyPlain:
	case ReplyElGamal:
		if len(m.ElGamalTags) < 1 || len(m.ElGamalTags) > MaxElGamalTags {
			return b, fmt.Errorf("i2np: DatabaseLookup: %d ElGamal tags, want 1–%d: %w", len(m.ElGamalTags), MaxElGamalTags, ErrInvalid)
		}
		flags |= lookupFlagElGamal
	case ReplyECIES:
		flags |= lookupFlagECIES
	default:
		return b, fmt.Errorf("i2np: DatabaseLookup: reply encryption %d: %w", m.Encryption, ErrInvalid)
	}
	if len(m.Excluded) > MaxExcludedPeers {
		return b, fmt.Errorf("i2np: DatabaseLookup: %d excluded peers: %w", len(m.Excluded), ErrTooLarge)
	}
	if m.Lookup > LookupExploration {
		return b, fmt.Errorf("i2np: DatabaseLookup: lookup type %d: %w", m.Lookup, ErrInvalid)
	}
	if m.ReplyTunnel != 0 {
		flags |= lookupFlagTunnel
	}
	b = append(b, m.Key[:]...)
	b = append(b, m.From[:]...)
	b = append(b, flags)
	if m.ReplyTunnel != 0 {
		b = binary.BigEndian.AppendUint32(b, uint32(m.ReplyTunnel))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Excluded)))
	for i := range m.Excluded {
		b = append(b, m.Excluded[i][:]...)
	}
	switch m.Encryption {
	case ReplyElGamal:
		b = append(b, m.ReplyKey[:]...)
		b = append(b, byte(len(m.ElGamalTags)))
		for i := range m.ElGamalTags {
			b = append(b, m.ElGamalTags[i][:]...)
		}
	case ReplyECIES:
		b = append(b, m.ReplyKey[:]...)
		b = append(b, 1)
		b = append(b, m.RatchetTag[:]...)
	}
	return b, nil
}

// Exploratory reports whether the lookup asks for non-floodfill peers:
// the exploration lookup type, or (before 0.9.16) an all-zero excluded
// hash.
func (m *DatabaseLookup) Exploratory() bool {
	if m.Lookup == LookupExploration {
		return true
	}
	for _, h := range m.Excluded {
		if h.IsZero() {
			return true
		}
	}
	return false
}
