package tunnel

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/i2np"
)

// Endpoint flow (tunnels/implementation.html, "Endpoint Processing"):
//
//  1. Receive takes a body with every layer removed, checks the checksum
//     and skips the padding up to the zero byte.
//  2. Each {instructions, fragment} pair is read in turn: a whole message
//     goes straight to deliver; fragments are held by message id until
//     all of them are there, in any order, then joined and delivered.
//  3. Partial messages are dropped after Timeout (Expire, also run by
//     Receive) or, oldest first, when MaxMessages or MaxBytes would be
//     exceeded.

// Defaults of a zero EndpointConfig.
const (
	DefaultMaxPartialMessages = 64
	DefaultMaxPartialBytes    = 1 << 20
	// DefaultReassemblyTimeout is how long the fragments of a message wait
	// for the rest (Java I2P: 10 s; i2pd: 8 s).
	DefaultReassemblyTimeout = 10 * time.Second
)

// EndpointConfig bounds what an Endpoint holds; zero fields take the
// defaults.
type EndpointConfig struct {
	MaxMessages int           // partial messages held at once
	MaxBytes    int           // fragment bytes held at once
	Timeout     time.Duration // from the first fragment received
}

// EndpointStats counts what an Endpoint did.
type EndpointStats struct {
	Received   uint64 // bodies taken by Receive, valid or not
	Rejected   uint64 // bodies refused: checksum, no zero byte, bad instructions
	Delivered  uint64 // messages handed to deliver
	Duplicates uint64 // fragments already held, ignored
	Expired    uint64 // partial messages dropped after Timeout
	Dropped    uint64 // partial messages dropped: limits, inconsistent fragments
}

// Deliver receives one reassembled I2NP message and its delivery. msg is
// valid only until Deliver returns (it may alias the body passed to
// Receive); copy it to keep it. Deliver must not call back into the
// Endpoint.
type Deliver func(d Delivery, msg []byte)

// Endpoint parses decrypted tunnel messages and reassembles fragmented I2NP
// messages. Create it with NewEndpoint. An Endpoint belongs to one
// goroutine: it is not safe for concurrent use. Time is passed in; it
// starts no goroutine and sets no timer.
type Endpoint struct {
	cfg        EndpointConfig
	partial    map[uint32]*partial
	held       int       // fragment bytes in partial
	nextExpiry time.Time // earliest start + Timeout in partial
	scratch    [maxContent + ivLen]byte
	stats      EndpointStats
}

// partial is a fragmented message being reassembled.
type partial struct {
	d       Delivery // valid once fragment 0 is in
	frags   [MaxFragmentNumber + 1]*fragment
	have    uint64 // bit i: fragment i held
	last    int    // number of the last fragment, -1 until it arrives
	bytes   int
	started time.Time
}

// fragment holds one fragment's bytes: at most a body's content.
type fragment struct {
	n int
	b [maxContent]byte
}

// Pools shared by every Endpoint: a router has thousands of tunnels, most
// of them idle, so buffers go back to the runtime rather than stay with
// the tunnel that used them.
var (
	partialPool  = sync.Pool{New: func() any { return new(partial) }}
	fragmentPool = sync.Pool{New: func() any { return new(fragment) }}
	joinedPool   = sync.Pool{New: func() any { return new([]byte) }}
)

// NewEndpoint returns an Endpoint with the limits of cfg.
func NewEndpoint(cfg EndpointConfig) *Endpoint {
	if cfg.MaxMessages <= 0 {
		cfg.MaxMessages = DefaultMaxPartialMessages
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxPartialBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultReassemblyTimeout
	}
	return &Endpoint{cfg: cfg, partial: make(map[uint32]*partial)}
}

// Stats returns the counters.
func (e *Endpoint) Stats() EndpointStats { return e.stats }

// Partial returns the number of partial messages and the fragment bytes
// they hold.
func (e *Endpoint) Partial() (messages, bytes int) { return len(e.partial), e.held }

// Receive parses one decrypted tunnel message body received at now and
// calls deliver for every message it completes. It returns an error for a
// body that fails its checksum or holds malformed instructions; the
// messages before the malformed pair have been delivered already. The
// body is not modified.
func (e *Endpoint) Receive(body *[i2np.TunnelDataLen]byte, now time.Time, deliver Deliver) error {
	e.stats.Received++
	e.Expire(now)
	if err := e.receive(body, now, deliver); err != nil {
		e.stats.Rejected++
		return err
	}
	return nil
}

func (e *Endpoint) receive(body *[i2np.TunnelDataLen]byte, now time.Time, deliver Deliver) error {
	d := body[ivLen:]
	z := bytes.IndexByte(d[checksumLen:], 0)
	if z < 0 {
		return fmt.Errorf("%w: no zero byte after the padding", ErrBadFragment)
	}
	content := d[checksumLen+z+1:]
	if sum := checksum(body, content, &e.scratch); !bytes.Equal(sum[:], d[:checksumLen]) {
		return ErrBadChecksum
	}
	for off := 0; off < len(content); {
		in, n, err := ParseInstructions(content[off:])
		if err != nil {
			return fmt.Errorf("tunnel: endpoint: at %d: %w", off, err)
		}
		off += n
		if int(in.Size) > len(content)-off {
			return fmt.Errorf("%w: at %d: fragment of %d bytes, %d left", ErrBadFragment, off, in.Size, len(content)-off)
		}
		frag := content[off : off+int(in.Size)]
		off += int(in.Size)
		switch {
		case in.FollowOn:
			e.add(in.MsgID, int(in.Number), in.Last, nil, frag, now, deliver)
		case in.Fragmented:
			e.add(in.MsgID, 0, false, &in.Delivery, frag, now, deliver)
		default:
			e.stats.Delivered++
			deliver(in.Delivery, frag)
		}
	}
	return nil
}

// add files fragment num of message id, delivering the message if it is
// complete. d is the delivery, given with fragment 0 only.
func (e *Endpoint) add(id uint32, num int, last bool, d *Delivery, frag []byte, now time.Time, deliver Deliver) {
	p := e.partial[id]
	if p == nil {
		if len(e.partial) >= e.cfg.MaxMessages {
			e.dropOldest(nil)
		}
		p = partialPool.Get().(*partial)
		p.last, p.started = -1, now
		e.partial[id] = p
		if exp := now.Add(e.cfg.Timeout); len(e.partial) == 1 || exp.Before(e.nextExpiry) {
			e.nextExpiry = exp
		}
	}
	bit := uint64(1) << num
	if p.have&bit != 0 {
		e.stats.Duplicates++
		return
	}
	// A last fragment must be the only one and have the highest number.
	if p.last >= 0 && num > p.last || last && (p.last >= 0 || p.have>>(num+1) != 0) {
		e.drop(id, p)
		return
	}
	for e.held+len(frag) > e.cfg.MaxBytes {
		if !e.dropOldest(p) {
			e.drop(id, p)
			return
		}
	}
	if last {
		p.last = num
	}
	if d != nil {
		p.d = *d
	}
	f := fragmentPool.Get().(*fragment)
	f.n = copy(f.b[:], frag)
	p.frags[num] = f
	p.have |= bit
	p.bytes += len(frag)
	e.held += len(frag)
	if p.last < 0 || p.have != 1<<(p.last+1)-1 {
		return
	}
	jp := joinedPool.Get().(*[]byte)
	joined := (*jp)[:0]
	for _, f := range p.frags[:p.last+1] {
		joined = append(joined, f.b[:f.n]...)
	}
	pd := p.d
	e.remove(id, p)
	e.stats.Delivered++
	deliver(pd, joined)
	*jp = joined
	joinedPool.Put(jp)
}

// Expire drops the partial messages whose first fragment arrived Timeout
// or longer before now.
func (e *Endpoint) Expire(now time.Time) {
	if len(e.partial) == 0 || now.Before(e.nextExpiry) {
		return
	}
	e.nextExpiry = time.Time{}
	for id, p := range e.partial {
		exp := p.started.Add(e.cfg.Timeout)
		if !now.Before(exp) {
			e.remove(id, p)
			e.stats.Expired++
			continue
		}
		if e.nextExpiry.IsZero() || exp.Before(e.nextExpiry) {
			e.nextExpiry = exp
		}
	}
}

// dropOldest drops the partial message started first, other than keep,
// and reports whether there was one.
func (e *Endpoint) dropOldest(keep *partial) bool {
	var oid uint32
	var old *partial
	for id, p := range e.partial {
		if p != keep && (old == nil || p.started.Before(old.started)) {
			oid, old = id, p
		}
	}
	if old == nil {
		return false
	}
	e.drop(oid, old)
	return true
}

func (e *Endpoint) drop(id uint32, p *partial) {
	e.remove(id, p)
	e.stats.Dropped++
}

// remove forgets p and gives its memory back to the pools.
func (e *Endpoint) remove(id uint32, p *partial) {
	delete(e.partial, id)
	e.held -= p.bytes
	for i, f := range p.frags {
		if f != nil {
			fragmentPool.Put(f)
			p.frags[i] = nil
		}
	}
	*p = partial{}
	partialPool.Put(p)
}
