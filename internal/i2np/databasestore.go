package i2np

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/veil-i2p/veil/internal/data"
)

// StoreType is the kind of netDb entry a DatabaseStore carries: bit 0 and
// bits 3–1 of its type byte (i2np.rst, "DatabaseStore"). Bits 7–4 are
// ignored on receipt since 0.9.18 and sent as 0.
type StoreType uint8

const (
	StoreRouterInfo        StoreType = 0
	StoreLeaseSet          StoreType = 1
	StoreLeaseSet2         StoreType = 3 // 0.9.38
	StoreEncryptedLeaseSet StoreType = 5 // 0.9.38
	StoreMetaLeaseSet      StoreType = 7 // 0.9.38
)

func (t StoreType) valid() bool {
	switch t {
	case StoreRouterInfo, StoreLeaseSet, StoreLeaseSet2, StoreEncryptedLeaseSet, StoreMetaLeaseSet:
		return true
	}
	return false
}

// Limits of a DatabaseStore carrying a RouterInfo. MaxRouterInfoLen bounds
// what a compressed RouterInfo may inflate to: far above any real one
// (i2pd 2.45.1 itself refuses more than 3072 bytes), and a hard cap
// against gzip bombs.
const (
	MaxRouterInfoLen   = 64 << 10
	databaseStoreFixed = 32 + 1 + 4 // key, type, reply token
	databaseStoreReply = 4 + 32     // reply tunnel, reply gateway
)

// DatabaseStore is an I2NP DatabaseStore message (type 1): an unsolicited
// store or the answer to a lookup.
//
// For a RouterInfo, Data holds the RouterInfo's uncompressed bytes: the
// codec inflates it on parse and deflates it on Append. For the LeaseSet
// types Data holds the entry exactly as sent. ParseDatabaseStore's Data
// never aliases its input.
type DatabaseStore struct {
	Key  data.Hash // the entry's real hash (not the routing key)
	Type StoreType
	// ReplyToken, when nonzero, asks for a DeliveryStatus with this
	// message id, sent to ReplyGateway directly (ReplyTunnel 0) or to
	// tunnel ReplyTunnel at gateway ReplyGateway; a floodfill also floods.
	ReplyToken   uint32
	ReplyTunnel  data.TunnelID
	ReplyGateway data.Hash
	Data         []byte
}

// ParseDatabaseStore parses a DatabaseStore payload. It is strict: the
// type must be one the spec defines, a RouterInfo's length field must
// match the bytes that follow, its gzip stream must be a single complete
// member whose checksum holds, with nothing after it, and it must inflate
// to at most MaxRouterInfoLen bytes.
func ParseDatabaseStore(b []byte) (*DatabaseStore, error) {
	const st = "DatabaseStore"
	if len(b) < databaseStoreFixed {
		return nil, perr(st, "", detail(ErrTruncated, "%d bytes", len(b)))
	}
	m := &DatabaseStore{Type: StoreType(b[32] & 0x0f)}
	copy(m.Key[:], b[:32])
	if !m.Type.valid() {
		return nil, perr(st, "type", detail(ErrInvalid, "%#02x", b[32]))
	}
	m.ReplyToken = binary.BigEndian.Uint32(b[33:37])
	b = b[databaseStoreFixed:]
	if m.ReplyToken != 0 {
		if len(b) < databaseStoreReply {
			return nil, perr(st, "reply", detail(ErrTruncated, "%d bytes", len(b)))
		}
		m.ReplyTunnel = data.TunnelID(binary.BigEndian.Uint32(b[:4]))
		copy(m.ReplyGateway[:], b[4:36])
		b = b[databaseStoreReply:]
	}
	if m.Type != StoreRouterInfo {
		if len(b) == 0 {
			return nil, perr(st, "data", detail(ErrTruncated, "no entry"))
		}
		m.Data = bytes.Clone(b)
		return m, nil
	}
	if len(b) < 2 {
		return nil, perr(st, "length", detail(ErrTruncated, "%d bytes", len(b)))
	}
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	switch {
	case n > len(b):
		return nil, perr(st, "data", detail(ErrTruncated, "length %d, %d bytes follow", n, len(b)))
	case n < len(b):
		return nil, perr(st, "data", detail(ErrTrailing, "length %d, %d bytes follow", n, len(b)))
	}
	ri, err := gunzip(b, MaxRouterInfoLen)
	if err != nil {
		return nil, perr(st, "data", err)
	}
	m.Data = ri
	return m, nil
}

// Append appends the DatabaseStore payload. A RouterInfo is compressed
// the way Java I2P does it, which the spec asks for so the router's
// implementation does not show: gzip with modification time 0, XFL 2
// (maximum compression) and OS 0xFF.
func (m *DatabaseStore) Append(b []byte) ([]byte, error) {
	if !m.Type.valid() {
		return b, fmt.Errorf("i2np: DatabaseStore: type %d is not defined", m.Type)
	}
	b = append(b, m.Key[:]...)
	b = append(b, byte(m.Type))
	b = binary.BigEndian.AppendUint32(b, m.ReplyToken)
	if m.ReplyToken != 0 {
		b = binary.BigEndian.AppendUint32(b, uint32(m.ReplyTunnel))
		b = append(b, m.ReplyGateway[:]...)
	}
	if m.Type != StoreRouterInfo {
		if len(m.Data) == 0 {
			return b, fmt.Errorf("i2np: DatabaseStore: no entry")
		}
		return append(b, m.Data...), nil
	}
	if len(m.Data) > MaxRouterInfoLen {
		return b, fmt.Errorf("i2np: DatabaseStore: RouterInfo of %d bytes: %w", len(m.Data), ErrTooLarge)
	}
	z, err := gzipBytes(m.Data)
	if err != nil {
		return b, err
	}
	if len(z) > math.MaxUint16 {
		return b, fmt.Errorf("i2np: DatabaseStore: compressed RouterInfo of %d bytes: %w", len(z), ErrTooLarge)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(z)))
	return append(b, z...), nil
}

// NewRouterInfoStore builds the DatabaseStore of a RouterInfo with the
// given reply token (0: no reply, no flooding). A nonzero token gets the
// reply directly (ReplyTunnel 0) at replyTo, as i2pd publishes its own
// RouterInfo to a floodfill it can reach.
func NewRouterInfoStore(ri *data.RouterInfo, token uint32, replyTo data.Hash) *DatabaseStore {
	m := &DatabaseStore{Key: ri.Hash(), Type: StoreRouterInfo, ReplyToken: token, Data: ri.Bytes()}
	if token != 0 {
		m.ReplyGateway = replyTo
	}
	return m
}

// RouterInfo parses Data as a RouterInfo and checks that its hash is the
// message's key. It does not verify the signature: the caller's netDb
// does, with its other rules.
func (m *DatabaseStore) RouterInfo() (*data.RouterInfo, error) {
	if m.Type != StoreRouterInfo {
		return nil, fmt.Errorf("i2np: DatabaseStore: type %d is not a RouterInfo", m.Type)
	}
	ri, err := data.ParseRouterInfo(m.Data)
	if err != nil {
		return nil, fmt.Errorf("i2np: DatabaseStore: %w", err)
	}
	if ri.Hash() != m.Key {
		return nil, fmt.Errorf("i2np: DatabaseStore: key %s is not the RouterInfo's hash %s: %w", m.Key, ri.Hash(), ErrInvalid)
	}
	return ri, nil
}

// gzipBytes compresses b as one gzip member with Java's header fields.
// Go's writer already sets mtime 0, OS 0xFF (unknown) and, at
// BestCompression, XFL 2.
func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("i2np: gzip: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("i2np: gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// gunzip inflates exactly one gzip member that fills z, reading at most
// max bytes of output.
func gunzip(z []byte, max int) ([]byte, error) {
	br := bytes.NewReader(z)
	r, err := gzip.NewReader(br)
	if err != nil {
		return nil, detail(ErrInvalid, "gzip: %v", err)
	}
	r.Multistream(false)
	out, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, detail(ErrTruncated, "gzip: %v", err)
		}
		return nil, detail(ErrInvalid, "gzip: %v", err)
	}
	if len(out) > max {
		return nil, detail(ErrTooLarge, "inflates to more than %d bytes", max)
	}
	if br.Len() != 0 {
		return nil, detail(ErrTrailing, "%d bytes after the gzip stream", br.Len())
	}
	return out, nil
}
