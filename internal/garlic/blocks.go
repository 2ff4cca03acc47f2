package garlic

import (
	"encoding/binary"
	"time"
)

// Payload blocks (ecies.rst, "5) Payload"): the plaintext of every
// ratchet message is a sequence of blocks, each `type(1) size(2) data`.
// ParseBlocks never reads past a block's size and never allocates more
// than the input's length in block values; unknown types are kept as
// Unknown, which receivers treat as padding.

// Block type numbers.
const (
	BlockDateTime       = 0
	BlockTermination    = 4
	BlockOptions        = 5
	BlockMessageNumbers = 6
	BlockNextKey        = 7
	BlockAck            = 8
	BlockAckRequest     = 9
	BlockGarlicClove    = 11
	BlockPadding        = 254
)

// Frame limits: a ChaCha20-Poly1305 frame is at most 65535 bytes with its
// 16-byte tag, so at most MaxPayload bytes of blocks, and one block's data
// at most MaxPayload - 3.
const (
	blockHeaderLen = 3
	MaxPayload     = 65535 - 16
	maxBlockData   = MaxPayload - blockHeaderLen
	maxKeyID       = 32767 // NextKey key IDs (ecies.rst, "KEY AND TAG SET IDS")
	optionsMinLen  = 21
)

// Block is one payload block. Its concrete type is one of DateTime,
// Termination, Options, MessageNumbers, NextKey, Ack, AckRequest, Clove,
// Padding or Unknown.
type Block interface {
	// BlockType is the type byte.
	BlockType() uint8
	// Len is the length of the block's data, without the 3-byte header.
	Len() int
	appendData(b []byte) []byte
}

// DateTime (type 0) carries a timestamp in whole seconds; a New Session
// must start with one (replay window).
type DateTime struct{ Time time.Time }

// Termination (type 4) ends the session: no more messages follow in it.
// Reason 0 is a normal close, 1 "termination received".
type Termination struct {
	Reason uint8
	Data   []byte // optional, unspecified format
}

// Options (type 5) proposes session parameters (ecies.rst, "Options");
// the spec marks it unimplemented, and veil only parses and carries it.
type Options struct {
	Version, Flags, TagLen uint8
	Timeout                uint16 // session idle timeout, seconds
	SenderOutboundWindow   uint16 // SOTW
	ReceiverInboundWindow  uint16 // RITW
	TMin, TMax, RMin, RMax uint8  // 4.4 fixed-point padding ratios
	TDummy, RDummy         uint16 // bytes/s
	TDelay, RDelay         uint16 // ms
	More                   []byte
}

// MessageNumbers (type 6) gives PN, the index of the last tag sent in the
// previous tag set.
type MessageNumbers struct{ PN uint16 }

// NextKey (type 7) is one step of the DH ratchet (ecies.rst, "DH RATCHET
// MESSAGE FLOW"). A forward key comes from the tag sender, a reverse key
// from the tag receiver in answer.
type NextKey struct {
	Reverse        bool // flag bit 1: the tag receiver's key
	RequestReverse bool // flag bit 2: asks the receiver for a new key
	KeyID          uint16
	HasKey         bool // flag bit 0: Key is present
	Key            [32]byte
}

// AckID names one Existing Session message: the tag set it used and its
// message number N.
type AckID struct{ TagSet, N uint16 }

// Ack (type 8) acknowledges messages that carried an AckRequest.
type Ack struct{ IDs []AckID }

// AckRequest (type 9) asks for an Ack of this message.
type AckRequest struct{ Flags uint8 }

// Padding (type 254) is N bytes (sent as zeros; any content is ignored).
// It must be the last block.
type Padding struct{ N int }

// Unknown is a block of a type this package does not know; it is
// ignored like padding.
type Unknown struct {
	Type uint8
	Data []byte
}

func (DateTime) BlockType() uint8       { return BlockDateTime }
func (Termination) BlockType() uint8    { return BlockTermination }
func (Options) BlockType() uint8        { return BlockOptions }
func (MessageNumbers) BlockType() uint8 { return BlockMessageNumbers }
func (NextKey) BlockType() uint8        { return BlockNextKey }
func (Ack) BlockType() uint8            { return BlockAck }
func (AckRequest) BlockType() uint8     { return BlockAckRequest }
func (Padding) BlockType() uint8        { return BlockPadding }
func (u Unknown) BlockType() uint8      { return u.Type }

func (DateTime) Len() int       { return 4 }
func (t Termination) Len() int  { return 1 + len(t.Data) }
func (o Options) Len() int      { return optionsMinLen + len(o.More) }
func (MessageNumbers) Len() int { return 2 }
func (k NextKey) Len() int      { return 3 + 32*b2i(k.HasKey) }
func (a Ack) Len() int          { return 4 * len(a.IDs) }
func (AckRequest) Len() int     { return 1 }
func (p Padding) Len() int      { return p.N }
func (u Unknown) Len() int      { return len(u.Data) }

func (d DateTime) appendData(b []byte) []byte {
	s := d.Time.Unix()
	if d.Time.IsZero() || s < 0 || s > 0xffffffff {
		s = 0
	}
	return binary.BigEndian.AppendUint32(b, uint32(s))
}

func (t Termination) appendData(b []byte) []byte { return append(append(b, t.Reason), t.Data...) }

func (o Options) appendData(b []byte) []byte {
	b = append(b, o.Version, o.Flags, o.TagLen)
	for _, v := range []uint16{o.Timeout, o.SenderOutboundWindow, o.ReceiverInboundWindow} {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	b = append(b, o.TMin, o.TMax, o.RMin, o.RMax)
	for _, v := range []uint16{o.TDummy, o.RDummy, o.TDelay, o.RDelay} {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return append(b, o.More...)
}

func (m MessageNumbers) appendData(b []byte) []byte { return binary.BigEndian.AppendUint16(b, m.PN) }

func (k NextKey) appendData(b []byte) []byte {
	b = append(b, byte(b2i(k.HasKey))|byte(b2i(k.Reverse))<<1|byte(b2i(k.RequestReverse))<<2)
	b = binary.BigEndian.AppendUint16(b, k.KeyID)
	if k.HasKey {
		b = append(b, k.Key[:]...)
	}
	return b
}

func (a Ack) appendData(b []byte) []byte {
	for _, id := range a.IDs {
		b = binary.BigEndian.AppendUint16(b, id.TagSet)
		b = binary.BigEndian.AppendUint16(b, id.N)
	}
	return b
}

func (r AckRequest) appendData(b []byte) []byte { return append(b, r.Flags) }

func (p Padding) appendData(b []byte) []byte { return append(b, make([]byte, p.N)...) }

func (u Unknown) appendData(b []byte) []byte { return append(b, u.Data...) }

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// BlocksLen is the encoded length of blocks, headers included.
func BlocksLen(blocks ...Block) int {
	n := 0
	for _, blk := range blocks {
		n += blockHeaderLen + blk.Len()
	}
	return n
}

// AppendBlocks appends the encoding of blocks to b. It fails if a block's
// data exceeds 65516 bytes or its fields cannot be encoded (a NextKey key
// ID above 32767, an Ack without IDs, a negative Padding, a Clove that
// does not encode); it does not check the ordering rules or the frame
// limit, which depend on the message (see Engine.Encrypt).
func AppendBlocks(b []byte, blocks ...Block) ([]byte, error) {
	for _, blk := range blocks {
		if err := checkEncodable(blk); err != nil {
			return b, err
		}
		b = append(b, blk.BlockType())
		b = binary.BigEndian.AppendUint16(b, uint16(blk.Len()))
		b = blk.appendData(b)
	}
	return b, nil
}

func checkEncodable(blk Block) error {
	const st = "append block"
	if n := blk.Len(); n < 0 || n > maxBlockData {
		return errorf(ErrTooLarge, st, "type %d block of %d bytes", blk.BlockType(), n)
	}
	switch v := blk.(type) {
	case NextKey:
		if v.KeyID > maxKeyID {
			return errorf(ErrInvalid, st, "NextKey key ID %d", v.KeyID)
		}
	case Ack:
		if len(v.IDs) == 0 {
			return errorf(ErrInvalid, st, "Ack without IDs")
		}
	case Clove:
		return v.check()
	case Unknown:
		if knownBlock(v.Type) {
			return errorf(ErrInvalid, st, "Unknown block with known type %d", v.Type)
		}
	}
	return nil
}

func knownBlock(t uint8) bool {
	switch t {
	case BlockDateTime, BlockTermination, BlockOptions, BlockMessageNumbers, BlockNextKey,
		BlockAck, BlockAckRequest, BlockGarlicClove, BlockPadding:
		return true
	}
	return false
}

// ParseBlocks parses a decrypted payload into blocks, which alias b. It
// checks each block's own format (sizes, field ranges) but not the
// ordering rules of a message kind.
func ParseBlocks(b []byte) ([]Block, error) {
	if len(b) > MaxPayload {
		return nil, errorf(ErrTooLarge, "parse blocks", "%d bytes", len(b))
	}
	var out []Block
	for len(b) > 0 {
		if len(b) < blockHeaderLen {
			return nil, errorf(ErrTruncated, "parse blocks", "%d bytes left, no block header", len(b))
		}
		t, n := b[0], int(binary.BigEndian.Uint16(b[1:3]))
		if n > len(b)-blockHeaderLen {
			return nil, errorf(ErrTruncated, "parse blocks", "type %d block of %d bytes, %d follow", t, n, len(b)-blockHeaderLen)
		}
		blk, err := parseBlock(t, b[blockHeaderLen:blockHeaderLen+n:blockHeaderLen+n])
		if err != nil {
			return nil, err
		}
		out = append(out, blk)
		b = b[blockHeaderLen+n:]
	}
	return out, nil
}

func parseBlock(t uint8, d []byte) (Block, error) {
	bad := func(sentinel error, format string, args ...any) (Block, error) {
		return nil, errorf(sentinel, "parse block", "type %d: "+format, append([]any{t}, args...)...)
	}
	switch t {
	case BlockDateTime:
		if len(d) != 4 {
			return bad(ErrInvalid, "%d bytes, want 4", len(d))
		}
		return DateTime{Time: time.Unix(int64(binary.BigEndian.Uint32(d)), 0)}, nil
	case BlockTermination:
		if len(d) < 1 {
			return bad(ErrTruncated, "no reason")
		}
		return Termination{Reason: d[0], Data: d[1:]}, nil
	case BlockOptions:
		if len(d) < optionsMinLen {
			return bad(ErrTruncated, "%d bytes, want at least %d", len(d), optionsMinLen)
		}
		u16 := func(i int) uint16 { return binary.BigEndian.Uint16(d[i:]) }
		return Options{
			Version: d[0], Flags: d[1], TagLen: d[2], Timeout: u16(3),
			SenderOutboundWindow: u16(5), ReceiverInboundWindow: u16(7),
			TMin: d[9], TMax: d[10], RMin: d[11], RMax: d[12],
			TDummy: u16(13), RDummy: u16(15), TDelay: u16(17), RDelay: u16(19),
			More: d[21:],
		}, nil
	case BlockMessageNumbers:
		if len(d) != 2 {
			return bad(ErrInvalid, "%d bytes, want 2", len(d))
		}
		return MessageNumbers{PN: binary.BigEndian.Uint16(d)}, nil
	case BlockNextKey:
		return parseNextKey(d)
	case BlockAck:
		if len(d) == 0 || len(d)%4 != 0 {
			return bad(ErrInvalid, "%d bytes, want a nonzero multiple of 4", len(d))
		}
		ids := make([]AckID, len(d)/4)
		for i := range ids {
			ids[i] = AckID{TagSet: binary.BigEndian.Uint16(d[4*i:]), N: binary.BigEndian.Uint16(d[4*i+2:])}
		}
		return Ack{IDs: ids}, nil
	case BlockAckRequest:
		if len(d) != 1 {
			return bad(ErrInvalid, "%d bytes, want 1", len(d))
		}
		return AckRequest{Flags: d[0]}, nil
	case BlockGarlicClove:
		return parseClove(d)
	case BlockPadding:
		return Padding{N: len(d)}, nil
	}
	return Unknown{Type: t, Data: d}, nil
}

func parseNextKey(d []byte) (Block, error) {
	const st = "parse NextKey"
	if len(d) != 3 && len(d) != 35 {
		return nil, errorf(ErrInvalid, st, "%d bytes, want 3 or 35", len(d))
	}
	k := NextKey{
		HasKey:         d[0]&1 != 0,
		Reverse:        d[0]&2 != 0,
		RequestReverse: d[0]&4 != 0,
		KeyID:          binary.BigEndian.Uint16(d[1:3]),
	}
	switch {
	case k.HasKey != (len(d) == 35):
		return nil, errorf(ErrInvalid, st, "key flag %v with %d bytes", k.HasKey, len(d))
	case k.KeyID > maxKeyID:
		return nil, errorf(ErrInvalid, st, "key ID %d", k.KeyID)
	case k.Reverse && k.RequestReverse:
		return nil, errorf(ErrInvalid, st, "reverse key requesting a reverse key")
	}
	if k.HasKey {
		copy(k.Key[:], d[3:])
	}
	return k, nil
}

// msgKind tells the ordering rules apart (ecies.rst, "Block Ordering
// Rules").
type msgKind uint8

const (
	kindNS msgKind = iota
	kindNSR
	kindES
)

// checkOrder enforces the block ordering rules of a message kind:
//
//   - New Session: DateTime first and only there; then Garlic Clove,
//     Options, Padding (and unknown types, which are padding).
//   - New Session Reply: Garlic Clove, Options, Padding (a DateTime is
//     tolerated and ignored).
//   - Existing Session: anything; at most two NextKey blocks; Termination
//     last but for Padding.
//   - All: at most one Padding, and it is last.
func checkOrder(kind msgKind, blocks []Block) error {
	const st = "block order"
	nextKeys := 0
	for i, blk := range blocks {
		last := i == len(blocks)-1
		t := blk.BlockType()
		switch {
		case kind == kindNS && i == 0 && t != BlockDateTime:
			return errorf(ErrInvalid, st, "New Session starts with type %d, not DateTime", t)
		case t == BlockDateTime && kind == kindNS && i != 0:
			return errorf(ErrInvalid, st, "second DateTime in New Session")
		case t == BlockPadding && !last:
			return errorf(ErrInvalid, st, "Padding at %d of %d blocks", i+1, len(blocks))
		case t == BlockTermination && !(last || i == len(blocks)-2 && blocks[i+1].BlockType() == BlockPadding):
			return errorf(ErrInvalid, st, "Termination not last")
		}
		switch t {
		case BlockTermination, BlockMessageNumbers, BlockNextKey, BlockAck, BlockAckRequest:
			if kind != kindES {
				return errorf(ErrInvalid, st, "type %d block in a New Session (Reply)", t)
			}
		}
		if t == BlockNextKey {
			if nextKeys++; nextKeys > 2 {
				return errorf(ErrInvalid, st, "more than two NextKey blocks")
			}
		}
	}
	if kind == kindNS && len(blocks) == 0 {
		return errorf(ErrInvalid, st, "New Session without DateTime")
	}
	return nil
}
