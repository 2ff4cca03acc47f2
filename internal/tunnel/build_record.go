package tunnel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Build request records (tunnel-creation-ecies.rst). A record is Noise N
// from the creator to one hop: the hop's truncated identity hash, the
// creator's ephemeral X25519 key, and the ChaCha20-Poly1305 encryption of
// the cleartext request. Short records (218 bytes, types 25/26) derive the
// layer and reply keys from the handshake; long records (528 bytes, types
// 21–24) carry them in the cleartext.

// Sizes of the cleartext records.
const (
	ShortRequestLen = 154
	ShortReplyLen   = 202
	LongRequestLen  = 464
	LongReplyLen    = 512

	recordHashLen    = 16 // truncated identity hash at the start of a request
	recordKeyLen     = 32 // creator's ephemeral X25519 key
	recordMACLen     = 16
	recordCipherAt   = recordHashLen + recordKeyLen // 48
	maxShortOptsLen  = 98                           // Mapping incl. its 2-byte length
	maxLongOptsLen   = 296
	shortOptionsAt   = 56
	longOptionsAt    = 168
	requestLifetime  = 600 // seconds; the only value the spec allows
	noiseNProtocol   = "Noise_N_25519_ChaChaPoly_SHA256"
	replyAccept      = 0
	ReplyRejectBandw = 30 // TUNNEL_REJECT_BANDWIDTH, the one code to send for any refusal
)

// Flags of a build request (tunnel-creation.rst "flags").
const (
	FlagInboundGateway   byte = 0x80 // "allow messages from anyone"
	FlagOutboundEndpoint byte = 0x40 // "allow messages to anyone", reply to the next hop
)

// Errors of build record processing.
var (
	ErrNotOurRecord  = errors.New("tunnel: no build record for this router")
	ErrBadRecord     = errors.New("tunnel: malformed build record")
	ErrRecordDecrypt = errors.New("tunnel: build record does not decrypt")
)

// BuildRequest is the cleartext of a build request record, short or long.
type BuildRequest struct {
	ReceiveID   data.TunnelID // the tunnel id messages arrive on
	NextID      data.TunnelID // the tunnel id to send them on
	NextIdent   data.Hash     // the next hop, or the reply gateway for an outbound endpoint
	Flags       byte
	LayerEnc    byte   // short records: 0 = AES, the only defined type
	RequestTime uint32 // minutes since the epoch
	Expiration  uint32 // seconds after RequestTime; 600
	NextMsgID   uint32 // message id of the forwarded build message or reply
	Options     []byte // the raw Mapping, its 2-byte length included

	// Long records only: keys chosen by the creator.
	LayerKey, IVKey, ReplyKey [32]byte
	ReplyIV                   [16]byte
}

// Role is the hop's position as the request flags name it.
type Role uint8

// Roles of a hop.
const (
	Participant Role = iota
	InboundGateway
	OutboundEndpoint
)

func (r Role) String() string {
	switch r {
	case InboundGateway:
		return "inbound gateway"
	case OutboundEndpoint:
		return "outbound endpoint"
	}
	return "participant"
}

// Role reports the hop's role. Both flags at once is refused by parsing.
func (r *BuildRequest) Role() Role {
	switch {
	case r.Flags&FlagInboundGateway != 0:
		return InboundGateway
	case r.Flags&FlagOutboundEndpoint != 0:
		return OutboundEndpoint
	}
	return Participant
}

// Time is the request time as a time.Time.
func (r *BuildRequest) Time() time.Time {
	return time.Unix(int64(r.RequestTime)*60, 0)
}

// parseShortRequest reads a 154-byte cleartext short request.
func parseShortRequest(b []byte) (*BuildRequest, error) {
	if len(b) != ShortRequestLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadRecord, len(b))
	}
	r := &BuildRequest{LayerEnc: b[43]}
	readCommonRequest(r, b[:40])
	r.Flags = b[40]
	r.RequestTime = binary.BigEndian.Uint32(b[44:])
	r.Expiration = binary.BigEndian.Uint32(b[48:])
	r.NextMsgID = binary.BigEndian.Uint32(b[52:])
	opts, err := requestOptions(b[shortOptionsAt:], maxShortOptsLen)
	if err != nil {
		return nil, err
	}
	r.Options = opts
	return r, r.check()
}

// parseLongRequest reads a 464-byte cleartext long ECIES request.
func parseLongRequest(b []byte) (*BuildRequest, error) {
	if len(b) != LongRequestLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadRecord, len(b))
	}
	r := &BuildRequest{}
	readCommonRequest(r, b[:40])
	copy(r.LayerKey[:], b[40:72])
	copy(r.IVKey[:], b[72:104])
	copy(r.ReplyKey[:], b[104:136])
	copy(r.ReplyIV[:], b[136:152])
	r.Flags = b[152]
	r.RequestTime = binary.BigEndian.Uint32(b[156:])
	r.Expiration = binary.BigEndian.Uint32(b[160:])
	r.NextMsgID = binary.BigEndian.Uint32(b[164:])
	opts, err := requestOptions(b[longOptionsAt:], maxLongOptsLen)
	if err != nil {
		return nil, err
	}
	r.Options = opts
	return r, r.check()
}

func readCommonRequest(r *BuildRequest, b []byte) {
	r.ReceiveID = data.TunnelID(binary.BigEndian.Uint32(b))
	r.NextID = data.TunnelID(binary.BigEndian.Uint32(b[4:]))
	copy(r.NextIdent[:], b[8:40])
}

// requestOptions returns the Mapping at the start of b (length included),
// checking only that its length fits the spec's bound: the contents are
// parsed by whoever reads an option.
func requestOptions(b []byte, max int) ([]byte, error) {
	n := 2 + int(binary.BigEndian.Uint16(b))
	if n > max || n > len(b) {
		return nil, fmt.Errorf("%w: options mapping of %d bytes", ErrBadRecord, n)
	}
	return append([]byte(nil), b[:n]...), nil
}

// check applies the rules every hop enforces before anything else.
func (r *BuildRequest) check() error {
	switch {
	case r.ReceiveID == 0:
		return fmt.Errorf("%w: zero receive tunnel id", ErrBadRecord)
	case r.Flags&FlagInboundGateway != 0 && r.Flags&FlagOutboundEndpoint != 0:
		return fmt.Errorf("%w: both gateway and endpoint flags", ErrBadRecord)
	case r.LayerEnc != 0:
		return fmt.Errorf("%w: layer encryption type %d", ErrBadRecord, r.LayerEnc)
	}
	return nil
}

// appendShort writes the 154-byte cleartext, padding with pad (random
// bytes; at least ShortRequestLen long).
func (r *BuildRequest) appendShort(b, pad []byte) ([]byte, error) {
	if len(r.Options) > maxShortOptsLen {
		return b, fmt.Errorf("tunnel: options of %d bytes", len(r.Options))
	}
	start := len(b)
	b = appendCommonRequest(b, r)
	b = append(b, r.Flags, 0, 0, r.LayerEnc)
	b = binary.BigEndian.AppendUint32(b, r.RequestTime)
	b = binary.BigEndian.AppendUint32(b, r.Expiration)
	b = binary.BigEndian.AppendUint32(b, r.NextMsgID)
	b = appendOptions(b, r.Options)
	return append(b, pad[:ShortRequestLen-(len(b)-start)]...), nil
}

// appendLong writes the 464-byte cleartext of a long ECIES request.
func (r *BuildRequest) appendLong(b, pad []byte) ([]byte, error) {
	if len(r.Options) > maxLongOptsLen {
		return b, fmt.Errorf("tunnel: options of %d bytes", len(r.Options))
	}
	start := len(b)
	b = appendCommonRequest(b, r)
	b = append(b, r.LayerKey[:]...)
	b = append(b, r.IVKey[:]...)
	b = append(b, r.ReplyKey[:]...)
	b = append(b, r.ReplyIV[:]...)
	b = append(b, r.Flags, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, r.RequestTime)
	b = binary.BigEndian.AppendUint32(b, r.Expiration)
	b = binary.BigEndian.AppendUint32(b, r.NextMsgID)
	b = appendOptions(b, r.Options)
	return append(b, pad[:LongRequestLen-(len(b)-start)]...), nil
}

func appendCommonRequest(b []byte, r *BuildRequest) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(r.ReceiveID))
	b = binary.BigEndian.AppendUint32(b, uint32(r.NextID))
	return append(b, r.NextIdent[:]...)
}

func appendOptions(b, opts []byte) []byte {
	if len(opts) < 2 {
		return append(b, 0, 0) // the empty Mapping
	}
	return append(b, opts...)
}
