// Package transport defines what every transport (NTCP2, SSU2) offers the
// router and what it reports back, and holds the Manager: the table of
// live sessions keyed by router hash (at most one per peer), connection
// limits, bans and the I2NP dispatch point.
//
// Transports live in subpackages (transport/ntcp2, transport/ssu2) and
// import this package for the shared types; this package never imports
// them. The router creates each transport with the Manager as its
// Handler and registers it with the Manager.
package transport

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Message is an I2NP message as NTCP2 and SSU2 carry it, with the 9-byte
// short header (i2np.rst, "Short header"): type, message id and a
// seconds-resolution expiration; the payload follows.
type Message struct {
	Type       uint8
	ID         uint32
	Expiration time.Time // truncated to seconds on the wire
	Payload    []byte
}

// Priority orders a session's outbound queue: higher first.
type Priority uint8

// Priorities, from i2pd's and Java's practice: tunnel build traffic and
// netDb replies ahead of bulk tunnel data.
const (
	PriorityLow    Priority = 0
	PriorityNormal Priority = 1
	PriorityHigh   Priority = 2
)

// Direction says who opened a session.
type Direction uint8

const (
	Inbound  Direction = 1
	Outbound Direction = 2
)

func (d Direction) String() string {
	switch d {
	case Inbound:
		return "in"
	case Outbound:
		return "out"
	}
	return "?"
}

// Stats are a session's counters.
type Stats struct {
	Established time.Time
	BytesIn     uint64
	BytesOut    uint64
	MsgsIn      uint64
	MsgsOut     uint64
	Dropped     uint64 // outbound messages dropped on a full queue
}

// Session is one established, authenticated connection to a peer router.
// All methods are safe for concurrent use.
type Session interface {
	Peer() data.Hash
	PeerRouterInfo() *data.RouterInfo
	Transport() string // "NTCP2", "SSU2"
	Direction() Direction
	RemoteAddr() netip.AddrPort
	// Send queues m without blocking; it returns ErrQueueFull (and
	// counts a drop) when the session's queue is full, ErrClosed after
	// the session ended.
	Send(m *Message, p Priority) error
	// SendRouterInfo queues a RouterInfo block (flood asks the peer, a
	// floodfill, to flood it).
	SendRouterInfo(ri *data.RouterInfo, flood bool) error
	// Close terminates the session, telling the peer the reason when the
	// transport can (ntcp2.rst, "Termination").
	Close(reason uint8) error
	Stats() Stats
	// Done is closed when the session has ended; Err then says why.
	Done() <-chan struct{}
	Err() error
}

// Handler receives a transport's events. The Manager implements it.
// Calls for one session come from that session's goroutine, in order.
type Handler interface {
	// Established is called once a handshake completes, before any
	// message of the session is delivered. A non-nil error rejects the
	// session: the transport closes it with the TerminationError's reason
	// (or ReasonUnspecified).
	Established(s Session) error
	// Received delivers one I2NP message. The payload is the handler's.
	Received(s Session, m *Message)
	// ReceivedRouterInfo delivers a RouterInfo block, already parsed but
	// not yet validated beyond its signature.
	ReceivedRouterInfo(s Session, ri *data.RouterInfo, flood bool)
	// Closed is called once when an established session ends.
	Closed(s Session, err error)
}

// Transport is one transport protocol.
type Transport interface {
	Name() string
	// Run accepts inbound sessions until ctx ends, then closes every
	// session and returns.
	Run(ctx context.Context) error
	// Dial opens an outbound session to the peer; on success the session
	// has already been reported to the Handler's Established.
	Dial(ctx context.Context, ri *data.RouterInfo) (Session, error)
	// CanDial reports whether the peer publishes an address this
	// transport can reach.
	CanDial(ri *data.RouterInfo) bool
}

// Sentinel errors.
var (
	ErrQueueFull = errors.New("transport: queue full")
	ErrClosed    = errors.New("transport: session closed")
	ErrBanned    = errors.New("transport: peer banned")
	ErrLimit     = errors.New("transport: connection limit reached")
	ErrDuplicate = errors.New("transport: already connected to peer")
)

// Termination reasons shared by NTCP2 and SSU2 (ntcp2.rst,
// "Termination"; ssu2.rst, "Termination").
const (
	ReasonNormal            uint8 = 0
	ReasonTermination       uint8 = 1
	ReasonIdleTimeout       uint8 = 2
	ReasonRouterShutdown    uint8 = 3
	ReasonDataPhaseAEAD     uint8 = 4
	ReasonIncompatibleOpts  uint8 = 5
	ReasonIncompatibleSig   uint8 = 6
	ReasonClockSkew         uint8 = 7
	ReasonPaddingViolation  uint8 = 8
	ReasonAEADFramingError  uint8 = 9
	ReasonPayloadFormat     uint8 = 10
	ReasonMsg1Error         uint8 = 11
	ReasonMsg2Error         uint8 = 12
	ReasonMsg3Error         uint8 = 13
	ReasonIntraFrameTimeout uint8 = 14
	ReasonRIVerifyFailed    uint8 = 15
	ReasonBadStaticKey      uint8 = 16 // s parameter missing or does not match
	ReasonBanned            uint8 = 17
	ReasonUnspecified       uint8 = 255
)

// TerminationError says a session ended with a reason code, sent by us
// (Remote false) or by the peer (Remote true).
type TerminationError struct {
	Remote bool
	Reason uint8
	Detail string
}

func (e *TerminationError) Error() string {
	who := "local"
	if e.Remote {
		who = "peer"
	}
	if e.Detail != "" {
		return fmt.Sprintf("transport: terminated by %s, reason %d: %s", who, e.Reason, e.Detail)
	}
	return fmt.Sprintf("transport: terminated by %s, reason %d", who, e.Reason)
}
