package i2ptunnel

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-i2p/veil/internal/client"
	"github.com/veil-i2p/veil/internal/data"
)

// UDP tunnels, as i2pd 2.45 runs them (libi2pd_client/UDPTunnel.cpp): a
// udpclient turns the UDP packets local programs send to its port into
// datagrams to one I2P destination, and the datagrams that come back
// into packets to the program that sent on that port; a udpserver turns
// the datagrams its destination receives into packets to a local UDP
// service, from one local socket per remote destination and port, and
// the service's answers into datagrams back.
//
// The wire is i2pd's: the local program's UDP port is the I2P source
// port of a udpclient's datagrams, destinationport their destination
// port; a packet after at least 100 ms of quiet on its conversation goes
// as a repliable datagram (Datagram1, protocol 17), the packets that
// follow it closer than that as raw datagrams (18), which are cheaper but
// name no sender. So a conversation opens with a repliable datagram and
// the far end learns who sent the raw ones that follow.

// Datagrams is what the UDP tunnels need of a local destination
// (*client.Destination gives it to them in the router's wiring).
type Datagrams interface {
	Hash() data.Hash
	// AppendDatagram1 signs payload as a repliable datagram from us.
	AppendDatagram1(b, payload []byte) ([]byte, error)
	// Send sends one I2CP payload to destination to.
	Send(ctx context.Context, to data.Hash, p client.Payload) error
	// HandleProtocol routes the received messages of one protocol.
	HandleProtocol(proto uint8, h client.Handler)
}

// UDP tunnel constants (i2pd's I2P_UDP_* where it has one).
const (
	// RepliableInterval: a packet after this much quiet on its
	// conversation goes as a repliable datagram, others as raw ones.
	RepliableInterval = 100 * time.Millisecond
	// UDPSessionTimeout ends a conversation or server session idle this
	// long.
	UDPSessionTimeout = 2 * time.Minute
	// maxUDPPacket is the largest packet read: a datagram's payload
	// fits in one I2NP message.
	maxUDPPacket = 64 << 10
	// udpQueueLen bounds the packets waiting to be sent into I2P per
	// tunnel (a LeaseSet lookup holds the queue up); more are dropped.
	udpQueueLen = 512
	// udpSendTimeout bounds one send, LeaseSet lookup included.
	udpSendTimeout = 30 * time.Second
	// udpExpireEvery is how often idle conversations are looked for
	// (i2pd: 17 s).
	udpExpireEvery = 17 * time.Second
	// DefaultUDPSessions bounds a udpserver's sessions and a udpclient's
	// conversations; past it the least recently active one goes.
	DefaultUDPSessions = 256
)

// UDPStats are a UDP tunnel's counters.
type UDPStats struct {
	// SentRepliable and SentRaw count datagrams sent into I2P by kind;
	// Received counts those passed to local programs, of which
	// ReceivedRepliable came with a verified sender.
	SentRepliable     uint64 `json:"sent_repliable"`
	SentRaw           uint64 `json:"sent_raw"`
	Received          uint64 `json:"received"`
	ReceivedRepliable uint64 `json:"received_repliable"`
	// Dropped: not sent or not delivered (queue full, send failed, no
	// conversation, sender refused); LastDropReason says why last.
	Dropped        uint64 `json:"dropped"`
	LastDropReason string `json:"last_drop_reason,omitempty"`
	LastSendError  string `json:"last_send_error,omitempty"`
	Sessions       int    `json:"sessions"`           // conversations (udpclient) or sessions (udpserver) open
	Resolved       bool   `json:"resolved,omitempty"` // udpclient: its destination is known
}

// udpCounters are the atomic counters behind UDPStats.
type udpCounters struct {
	sentRepliable, sentRaw, received, receivedRepliable, dropped atomic.Uint64
	mu                                                           sync.Mutex
	lastSendErr, lastDrop                                        string
}

func (c *udpCounters) drop(reason string) {
	c.dropped.Add(1)
	c.mu.Lock()
	c.lastDrop = reason
	c.mu.Unlock()
}

func (c *udpCounters) stats() UDPStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return UDPStats{SentRepliable: c.sentRepliable.Load(), SentRaw: c.sentRaw.Load(), Received: c.received.Load(),
		ReceivedRepliable: c.receivedRepliable.Load(), Dropped: c.dropped.Load(),
		LastSendError: c.lastSendErr, LastDropReason: c.lastDrop}
}

// udpJob is one packet to send into I2P.
type udpJob struct {
	to               data.Hash
	repliable        bool
	srcPort, dstPort uint16
	payload          []byte
}

// udpSender sends a tunnel's packets into I2P in order, on one goroutine,
// so that a slow send (a LeaseSet lookup) never stalls the UDP readers.
type udpSender struct {
	dest  Datagrams
	gzip  bool
	queue chan udpJob
	cnt   *udpCounters
	log   *slog.Logger
}

func newUDPSender(d Datagrams, gzip bool, cnt *udpCounters, log *slog.Logger) *udpSender {
	return &udpSender{dest: d, gzip: gzip, queue: make(chan udpJob, udpQueueLen), cnt: cnt, log: log}
}

// enqueue queues j, or drops it when the queue is full.
func (s *udpSender) enqueue(j udpJob) {
	select {
	case s.queue <- j:
	default:
		s.cnt.drop("send queue full")
	}
}

// run sends queued packets until ctx ends.
func (s *udpSender) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.queue:
			s.send(ctx, j)
		}
	}
}

func (s *udpSender) send(ctx context.Context, j udpJob) {
	p := client.Payload{Protocol: client.ProtoRaw, SrcPort: j.srcPort, DstPort: j.dstPort, Data: j.payload, Compress: s.gzip}
	if j.repliable {
		dg, err := s.dest.AppendDatagram1(nil, j.payload)
		if err != nil {
			s.cnt.drop(err.Error())
			return
		}
		p.Protocol, p.Data = client.ProtoDatagram, dg
	}
	ctx, cancel := context.WithTimeout(ctx, udpSendTimeout)
	err := s.dest.Send(ctx, j.to, p)
	cancel()
	if err != nil {
		s.cnt.drop("send failed")
		s.cnt.mu.Lock()
		s.cnt.lastSendErr = err.Error()
		s.cnt.mu.Unlock()
		s.log.Debug("i2ptunnel: datagram not sent", "to", j.to.B32(), "err", err)
		return
	}
	if j.repliable {
		s.cnt.sentRepliable.Add(1)
	} else {
		s.cnt.sentRaw.Add(1)
	}
}

// repliableNow decides a packet's kind as i2pd does: repliable after
// RepliableInterval of quiet since last (zero: never active).
func repliableNow(last, now time.Time) bool {
	return now.Sub(last) > RepliableInterval
}

// isRepliable reports a datagram whose sender is known: Datagram1 and
// Datagram2 (verified), Datagram3 (named, unverified).
func isRepliable(r client.Received) bool {
	return r.Sender != (data.Hash{}) &&
		(r.Protocol == client.ProtoDatagram || r.Protocol == client.ProtoDatagram2 || r.Protocol == client.ProtoDatagram3)
}
