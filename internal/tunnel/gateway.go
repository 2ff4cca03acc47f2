package tunnel

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/veil-i2p/veil/internal/i2np"
)

// Gateway flow (tunnels/implementation.html, "Gateway Processing"):
//
//  1. Add takes one I2NP message and its delivery and packs it into the
//     tunnel message being filled: whole if it fits, otherwise fragmented
//     (first fragment here, follow-ons in new tunnel messages) when that
//     starts no more tunnel messages than beginning a fresh one would.
//  2. A tunnel message that is full, and the partly filled one at Flush,
//     is finished: random IV, checksum, nonzero padding, zero byte, then
//     the instructions and fragments at the end of the body.
//  3. emit gets the plaintext body; the caller encrypts it (an inbound
//     gateway with its own layer, an outbound gateway with DecryptLayers)
//     and sends it on.

// Emit receives one finished tunnel message body. The body belongs to the
// Gateway and is valid only until Emit returns: Emit may encrypt it in
// place but must copy it to keep it.
type Emit func(body *[i2np.TunnelDataLen]byte)

// Gateway fragments and packs I2NP messages into tunnel messages. It keeps
// the partly filled tunnel message between calls, so that small messages
// added together share one tunnel message; Flush sends it.
//
// Create it with NewGateway. A Gateway belongs to one goroutine: it is not
// safe for concurrent use. It does not allocate after its first message.
type Gateway struct {
	rand io.Reader

	// content holds the instructions and fragments of the tunnel message
	// being filled, n bytes of it; the IV is put after them to compute the
	// checksum.
	content [maxContent + ivLen]byte
	n       int
	body    [i2np.TunnelDataLen]byte

	// pad is nonzero random padding, drawn once; each message takes a
	// slice of it at a random offset.
	pad    [maxContent]byte
	padSet bool
	// rnd buffers random bytes so that most messages cost no read.
	rnd    [512]byte
	rndOff int

	sent uint64
}

// NewGateway returns an empty Gateway drawing IVs, padding and fragment
// message ids from rand (crypto/rand.Reader if nil).
func NewGateway(rnd io.Reader) *Gateway {
	if rnd == nil {
		rnd = rand.Reader
	}
	g := &Gateway{rand: rnd}
	g.rndOff = len(g.rnd)
	return g
}

// Sent returns the number of tunnel messages emitted so far.
func (g *Gateway) Sent() uint64 { return g.sent }

// Pending reports whether a partly filled tunnel message waits for Flush.
func (g *Gateway) Pending() bool { return g.n > 0 }

// Add packs msg, one I2NP message with its standard 16-byte header, for
// delivery d, calling emit for each tunnel message it fills. What does not
// fill a tunnel message stays for the next Add or Flush. msg is copied;
// Add does not keep it.
//
// Add refuses an invalid delivery, an empty message and one longer than
// MaxMessageLen; it returns a read error of the random source, in which
// case the message is lost.
func (g *Gateway) Add(d Delivery, msg []byte, emit Emit) error {
	if err := d.check(); err != nil {
		return err
	}
	switch {
	case len(msg) == 0:
		return ErrEmptyMessage
	case len(msg) > MaxMessageLen:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrMessageTooLarge, len(msg), MaxMessageLen)
	}
	addr := d.addrLen()
	whole := addr + 2 + len(msg)
	free := maxContent - g.n
	if whole <= free {
		g.put(Instructions{Delivery: d, Size: uint16(len(msg))}, msg)
		if g.n == maxContent {
			return g.finish(emit)
		}
		return nil
	}
	// Fragment it. Starting in the current tunnel message uses its room
	// but may cost a follow-on; compare the tunnel messages each way
	// begins.
	fresh := 1
	if whole > maxContent {
		fresh += followOns(len(msg) - (maxContent - addr - 6))
	}
	first := free - addr - 6
	if first < 1 || followOns(len(msg)-first) > fresh {
		if err := g.finish(emit); err != nil {
			return err
		}
		if whole <= maxContent {
			g.put(Instructions{Delivery: d, Size: uint16(len(msg))}, msg)
			if g.n == maxContent {
				return g.finish(emit)
			}
			return nil
		}
		first = maxContent - addr - 6
	}
	if followOns(len(msg)-first) > MaxFragmentNumber {
		// Unreachable while MaxMessageLen ≤ 1 + 63 × 996.
		return fmt.Errorf("%w: %d bytes need more than 64 fragments", ErrMessageTooLarge, len(msg))
	}
	id, err := g.msgID()
	if err != nil {
		return err
	}
	g.put(Instructions{Delivery: d, Fragmented: true, MsgID: id, Size: uint16(first)}, msg[:first])
	if err := g.finish(emit); err != nil {
		return err
	}
	rest := msg[first:]
	for num := uint8(1); len(rest) > 0; num++ {
		size := min(len(rest), maxFollowOnData)
		in := Instructions{FollowOn: true, MsgID: id, Number: num, Last: size == len(rest), Size: uint16(size)}
		g.put(in, rest[:size])
		rest = rest[size:]
		if g.n == maxContent {
			if err := g.finish(emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// Flush emits the partly filled tunnel message, if any.
func (g *Gateway) Flush(emit Emit) error {
	return g.finish(emit)
}

// followOns returns how many follow-on fragments carry n bytes.
func followOns(n int) int {
	return (n + maxFollowOnData - 1) / maxFollowOnData
}

// put appends instructions and a fragment that the caller made sure fit.
func (g *Gateway) put(in Instructions, frag []byte) {
	b := in.Append(g.content[g.n:g.n])
	g.n += len(b)
	g.n += copy(g.content[g.n:maxContent], frag)
}

// finish completes the tunnel message being filled, if any, and emits it.
func (g *Gateway) finish(emit Emit) error {
	if g.n == 0 {
		return nil
	}
	if !g.padSet {
		if _, err := io.ReadFull(g.rand, g.pad[:]); err != nil {
			return fmt.Errorf("tunnel: gateway: padding: %w", err)
		}
		for i, c := range g.pad {
			if c == 0 {
				g.pad[i] = byte(i%255) + 1
			}
		}
		g.padSet = true
	}
	r, err := g.random(ivLen + 2)
	if err != nil {
		return err
	}
	n := g.n
	g.n = 0
	b := &g.body
	copy(b[:ivLen], r)
	sum := checksum(b, g.content[:n], &g.content)
	copy(b[ivLen:], sum[:])
	// Padding fills what the content leaves: maxContent-n bytes, taken
	// from pad at a random offset in [0, n].
	zero := i2np.TunnelDataLen - n - 1
	off := int(binary.BigEndian.Uint16(r[ivLen:])) % (n + 1)
	copy(b[ivLen+checksumLen:zero], g.pad[off:])
	b[zero] = 0
	copy(b[zero+1:], g.content[:n])
	g.sent++
	emit(b)
	return nil
}

// msgID returns a random nonzero fragment message id (i2pd drops
// fragmented messages with id 0).
func (g *Gateway) msgID() (uint32, error) {
	for {
		r, err := g.random(4)
		if err != nil {
			return 0, err
		}
		if id := binary.BigEndian.Uint32(r); id != 0 {
			return id, nil
		}
	}
}

// random returns n fresh random bytes from the buffer, refilling it.
func (g *Gateway) random(n int) ([]byte, error) {
	if g.rndOff+n > len(g.rnd) {
		if _, err := io.ReadFull(g.rand, g.rnd[:]); err != nil {
			return nil, fmt.Errorf("tunnel: gateway: random: %w", err)
		}
		g.rndOff = 0
	}
	r := g.rnd[g.rndOff : g.rndOff+n]
	g.rndOff += n
	return r, nil
}
