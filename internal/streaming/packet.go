package streaming

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/veil-i2p/veil/internal/data"
)

// The packet (streaming.rst, "Packet Format"):
//
//	sendStreamId(4) receiveStreamId(4) sequenceNum(4) ackThrough(4)
//	nackCount(1) nacks(4·n) resendDelay(1) flags(2) optionSize(2)
//	options payload
//
// The options appear in a fixed order whatever the order of their flag
// bits: delay, FROM, max packet size, offline signature, signature. There
// is no length field: the payload runs to the end of the I2CP payload.

// Flags of a packet; bit 0 is the least significant bit of the field.
type Flags uint16

// Packet flags.
const (
	FlagSynchronize        Flags = 1 << 0
	FlagClose              Flags = 1 << 1
	FlagReset              Flags = 1 << 2
	FlagSignatureIncluded  Flags = 1 << 3
	FlagSignatureRequested Flags = 1 << 4
	FlagFromIncluded       Flags = 1 << 5
	FlagDelayRequested     Flags = 1 << 6
	FlagMaxPacketSize      Flags = 1 << 7
	FlagProfileInteractive Flags = 1 << 8
	FlagEcho               Flags = 1 << 9
	FlagNoAck              Flags = 1 << 10
	FlagOfflineSignature   Flags = 1 << 11
)

var flagNames = []string{"SYN", "CLOSE", "RESET", "SIG", "SIGREQ", "FROM", "DELAY", "MAXSIZE",
	"INTERACTIVE", "ECHO", "NO_ACK", "OFFLINE"}

func (f Flags) String() string {
	var s []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			s = append(s, n)
		}
	}
	if f>>len(flagNames) != 0 {
		s = append(s, fmt.Sprintf("0x%x", uint16(f>>len(flagNames)<<len(flagNames))))
	}
	return strings.Join(s, "|")
}

// Wire limits.
const (
	headerLen = 22 // without NACKs and options
	// MaxPacketLen bounds a packet: the I2CP payload that carries it is at
	// most 64 KiB.
	MaxPacketLen = 64 << 10
	// replayNACKs is the NACK count of a SYN that carries the target's
	// destination hash instead of NACKs (0.9.58, "Replay prevention").
	replayNACKs = 8
	// chokeDelay and above, as a requested delay, means "choked"
	// ("Transmit/Receive Windows and Choking"); Java sends 61000.
	chokeDelay = 60001
)

// ErrPacket is wrapped by every parse error.
var ErrPacket = errors.New("streaming: malformed packet")

// Packet is one streaming packet. Options are present when their flag is
// set in Flags; Append writes exactly the options Flags names.
type Packet struct {
	SendStreamID uint32 // the recipient's stream ID; 0 until the SYN reply
	RecvStreamID uint32 // the sender's stream ID
	Seq          uint32
	AckThrough   uint32
	NACKs        []uint32
	ResendDelay  uint8 // seconds; informational
	Flags        Flags

	Delay   uint16           // FlagDelayRequested: ms; 0 asks for an immediate ack; >60000 chokes
	From    data.Destination // FlagFromIncluded
	MaxSize uint16           // FlagMaxPacketSize: the sender's MTU
	// Offline is the sender's offline signature block (FlagOfflineSignature,
	// which needs From): the transient key then signs the packet.
	Offline   data.OfflineSignature
	Signature []byte // FlagSignatureIncluded
	Payload   []byte

	// sigAt is where the signature starts in raw, the bytes it was parsed
	// from (both zero for built packets).
	raw   []byte
	sigAt int
}

// Has reports whether all of f are set.
func (p *Packet) Has(f Flags) bool { return p.Flags&f == f }

// IsPlainAck reports whether p only acknowledges: sequence 0 without SYN
// carries no data to be acknowledged in turn.
func (p *Packet) IsPlainAck() bool { return p.Seq == 0 && !p.Has(FlagSynchronize) }

// ReplayHash returns the destination hash a SYN names in its NACK field
// (ok false if it has none).
func (p *Packet) ReplayHash() (h data.Hash, ok bool) {
	if !p.Has(FlagSynchronize) || len(p.NACKs) != replayNACKs {
		return h, false
	}
	for i, n := range p.NACKs {
		binary.BigEndian.PutUint32(h[4*i:], n)
	}
	return h, true
}

// SetReplayHash puts the target's destination hash in the NACK field of a
// SYN, so that the target can refuse a SYN replayed to it by someone else.
func (p *Packet) SetReplayHash(h data.Hash) {
	p.NACKs = make([]uint32, replayNACKs)
	for i := range p.NACKs {
		p.NACKs[i] = binary.BigEndian.Uint32(h[4*i:])
	}
}

// optionsLen is the length of the option area Flags calls for.
func (p *Packet) optionsLen() int {
	n := 0
	if p.Has(FlagDelayRequested) {
		n += 2
	}
	if p.Has(FlagFromIncluded) {
		n += p.From.Len()
	}
	if p.Has(FlagMaxPacketSize) {
		n += 2
	}
	if p.Has(FlagOfflineSignature) {
		n += p.Offline.Len()
	}
	if p.Has(FlagSignatureIncluded) {
		n += len(p.Signature)
	}
	return n
}

// Len is the wire length of p.
func (p *Packet) Len() int { return headerLen + 4*len(p.NACKs) + p.optionsLen() + len(p.Payload) }

// Append appends the wire form of p. The signature goes in as it is in
// p.Signature; see Sign.
func (p *Packet) Append(b []byte) ([]byte, error) {
	if len(p.NACKs) > 255 {
		return b, fmt.Errorf("streaming: %d NACKs, at most 255", len(p.NACKs))
	}
	if p.Has(FlagFromIncluded) && p.From.IsZero() {
		return b, fmt.Errorf("streaming: FROM flag without a destination")
	}
	if p.Has(FlagOfflineSignature) && !p.Has(FlagFromIncluded) {
		return b, fmt.Errorf("streaming: offline signature without FROM")
	}
	opts := p.optionsLen()
	if opts > 0xffff || p.Len() > MaxPacketLen {
		return b, fmt.Errorf("streaming: packet of %d bytes too long", p.Len())
	}
	b = binary.BigEndian.AppendUint32(b, p.SendStreamID)
	b = binary.BigEndian.AppendUint32(b, p.RecvStreamID)
	b = binary.BigEndian.AppendUint32(b, p.Seq)
	b = binary.BigEndian.AppendUint32(b, p.AckThrough)
	b = append(b, byte(len(p.NACKs)))
	for _, n := range p.NACKs {
		b = binary.BigEndian.AppendUint32(b, n)
	}
	b = append(b, p.ResendDelay)
	b = binary.BigEndian.AppendUint16(b, uint16(p.Flags))
	b = binary.BigEndian.AppendUint16(b, uint16(opts))
	if p.Has(FlagDelayRequested) {
		b = binary.BigEndian.AppendUint16(b, p.Delay)
	}
	if p.Has(FlagFromIncluded) {
		b = append(b, p.From.Bytes()...)
	}
	if p.Has(FlagMaxPacketSize) {
		b = binary.BigEndian.AppendUint16(b, p.MaxSize)
	}
	if p.Has(FlagOfflineSignature) {
		b = p.Offline.Append(b)
	}
	if p.Has(FlagSignatureIncluded) {
		b = append(b, p.Signature...)
	}
	return append(b, p.Payload...), nil
}

// Parse reads a packet. Slices of the result alias b. The signature is
// whatever the option area holds after the other options (it is the last
// option, and no later one is defined); its length is checked against the
// signer's when it is verified.
func Parse(b []byte) (*Packet, error) {
	if len(b) < headerLen {
		return nil, fmt.Errorf("%w: %d bytes, header is %d", ErrPacket, len(b), headerLen)
	}
	if len(b) > MaxPacketLen {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrPacket, len(b), MaxPacketLen)
	}
	p := &Packet{raw: b}
	p.SendStreamID = binary.BigEndian.Uint32(b)
	p.RecvStreamID = binary.BigEndian.Uint32(b[4:])
	p.Seq = binary.BigEndian.Uint32(b[8:])
	p.AckThrough = binary.BigEndian.Uint32(b[12:])
	n := int(b[16])
	off := 17
	if len(b) < headerLen+4*n {
		return nil, fmt.Errorf("%w: %d bytes with %d NACKs", ErrPacket, len(b), n)
	}
	if n > 0 {
		p.NACKs = make([]uint32, n)
		for i := range p.NACKs {
			p.NACKs[i] = binary.BigEndian.Uint32(b[off:])
			off += 4
		}
	}
	p.ResendDelay = b[off]
	p.Flags = Flags(binary.BigEndian.Uint16(b[off+1:]))
	optLen := int(binary.BigEndian.Uint16(b[off+3:]))
	off += 5
	if len(b)-off < optLen {
		return nil, fmt.Errorf("%w: %d option bytes, %d left", ErrPacket, optLen, len(b)-off)
	}
	opts, end := b[off:off+optLen], off+optLen
	p.Payload = b[end:]
	if err := p.parseOptions(opts, off); err != nil {
		return nil, err
	}
	return p, nil
}

// parseOptions reads the option area opts, which starts at offset base of
// the packet.
func (p *Packet) parseOptions(opts []byte, base int) error {
	rest := opts
	need := func(n int, what string) error {
		if len(rest) < n {
			return fmt.Errorf("%w: %s needs %d option bytes, %d left", ErrPacket, what, n, len(rest))
		}
		return nil
	}
	if p.Has(FlagDelayRequested) {
		if err := need(2, "delay"); err != nil {
			return err
		}
		p.Delay, rest = binary.BigEndian.Uint16(rest), rest[2:]
	}
	if p.Has(FlagFromIncluded) {
		from, r, err := data.ParseKeysAndCert(rest)
		if err != nil {
			return fmt.Errorf("%w: FROM: %v", ErrPacket, err)
		}
		p.From, rest = from, r
	}
	if p.Has(FlagMaxPacketSize) {
		if err := need(2, "max packet size"); err != nil {
			return err
		}
		p.MaxSize, rest = binary.BigEndian.Uint16(rest), rest[2:]
	}
	if p.Has(FlagOfflineSignature) {
		if !p.Has(FlagFromIncluded) {
			return fmt.Errorf("%w: offline signature without FROM", ErrPacket)
		}
		o, r, err := data.ParseOfflineSignature(rest, p.From.SigType())
		if err != nil {
			return fmt.Errorf("%w: offline signature: %v", ErrPacket, err)
		}
		p.Offline, rest = o, r
	}
	if p.Has(FlagSignatureIncluded) {
		if len(rest) == 0 {
			return fmt.Errorf("%w: signature flag without a signature", ErrPacket)
		}
		p.sigAt = base + len(opts) - len(rest)
		p.Signature, rest = rest, nil
	}
	// Without a signature, bytes left over would be options defined
	// later, which are ignored as Java and i2pd do.
	return nil
}

func (p *Packet) String() string {
	s := fmt.Sprintf("%08x/%08x #%d ack %d", p.SendStreamID, p.RecvStreamID, p.Seq, p.AckThrough)
	if len(p.NACKs) > 0 {
		s += fmt.Sprintf(" nacks %d", len(p.NACKs))
	}
	if p.Flags != 0 {
		s += " " + p.Flags.String()
	}
	if p.Has(FlagDelayRequested) {
		s += fmt.Sprintf(" delay %d", p.Delay)
	}
	if len(p.Payload) > 0 {
		s += fmt.Sprintf(" data %d", len(p.Payload))
	}
	return s
}
