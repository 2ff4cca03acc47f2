package streaming

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/veil-i2p/veil/internal/data"
)

// Options configure a Manager. Keys of ParseOptions are Java's and i2pd's
// (streaming.html, "Options and Defaults"); defaults are Java's except
// where noted.
type Options struct {
	// MaxMessageSize is the MTU: the largest payload of a packet
	// (i2p.streaming.maxMessageSize). Veil's destinations are ECIES-only,
	// so the default is 1812 (proposal 155, case 2); the peer's smaller
	// value wins.
	MaxMessageSize int
	// InitialWindow and MaxWindow bound the congestion window in packets
	// (i2p.streaming.initialWindowSize, maxWindowSize).
	InitialWindow, MaxWindow int
	// InitialRTO is the retransmission timeout before an RTT sample
	// (i2p.streaming.initialRTO).
	InitialRTO time.Duration
	// MinRTO is the floor of the retransmission timeout. RFC 6298's
	// 1 s keeps delayed acks from looking like loss; fast retransmit and
	// the tail-loss probe repair losses sooner. (Veil's; no option key.)
	MinRTO time.Duration
	// MaxResends is how often one packet is sent again before the
	// connection is reset (i2p.streaming.maxResends).
	MaxResends int
	// AckDelay is the longest a received packet waits for its ack when
	// the sender asked for no delay of its own
	// (i2p.streaming.initialAckDelay).
	AckDelay time.Duration
	// InactivityTimeout is the idle time before the InactivityAction
	// (i2p.streaming.inactivityTimeout, inactivityAction: 0 nothing,
	// 1 disconnect, 2 send a keep-alive).
	InactivityTimeout time.Duration
	InactivityAction  int
	// ConnectTimeout bounds Dial when its context has no deadline
	// (i2p.streaming.connectTimeout; 0 none).
	ConnectTimeout time.Duration
	// BufferSize is how much written data may wait unsent before Write
	// blocks (i2p.streaming.bufferSize).
	BufferSize int
	// ReadTimeout and WriteTimeout are default deadlines for each Read and
	// Write (i2p.streaming.readTimeout, writeTimeout; 0 none).
	ReadTimeout, WriteTimeout time.Duration
	// SlowStartFactor and CongestionAvoidanceFactor slow the window's
	// growth (i2p.streaming.slowStartGrowthRateFactor,
	// congestionAvoidanceGrowthRateFactor; 1 is standard TCP).
	SlowStartFactor, CongestionAvoidanceFactor int

	// Incoming connection limits (0: none): per peer and in total, per
	// minute, hour and day (i2p.streaming.maxConnsPerMinute, …PerHour,
	// …PerDay, maxTotalConnsPerMinute, …), and streams open at once, in
	// and out (i2p.streaming.maxConcurrentStreams).
	MaxConnsPerMinute, MaxConnsPerHour, MaxConnsPerDay                int
	MaxTotalConnsPerMinute, MaxTotalConnsPerHour, MaxTotalConnsPerDay int
	MaxConcurrentStreams                                              int
	// LimitAction is what a connection over a limit gets
	// (i2p.streaming.limitAction): "reset", "drop", "http" (an HTTP 429
	// response), or any other text sent as the response.
	LimitAction string
	// AnswerPings answers ECHO packets (i2p.streaming.answerPings).
	AnswerPings bool
	// DisableRejectLogging keeps refused connections out of the log
	// (i2p.streaming.disableRejectLogging).
	DisableRejectLogging bool
	// AccessList, with EnableAccessList, lets only these peers connect;
	// with EnableBlackList, refuses them (i2cp.accessList,
	// i2cp.enableAccessList, i2cp.enableBlackList). Blacklist refuses its
	// peers in any case (i2p.streaming.blacklist).
	AccessList       []data.Hash
	EnableAccessList bool
	EnableBlackList  bool
	Blacklist        []data.Hash
	// Backlog bounds the connections waiting for Accept, per listener.
	Backlog int
}

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	return Options{
		MaxMessageSize:            1812,
		InitialWindow:             6,
		MaxWindow:                 128,
		InitialRTO:                9 * time.Second,
		MinRTO:                    time.Second,
		MaxResends:                8,
		AckDelay:                  750 * time.Millisecond,
		InactivityTimeout:         90 * time.Second,
		InactivityAction:          inactivitySend,
		ConnectTimeout:            5 * time.Minute,
		BufferSize:                64 << 10,
		SlowStartFactor:           1,
		CongestionAvoidanceFactor: 1,
		LimitAction:               "reset",
		AnswerPings:               true,
		Backlog:                   128,
	}
}

// Inactivity actions.
const (
	inactivityNothing    = 0
	inactivityDisconnect = 1
	inactivitySend       = 2
)

// Protocol bounds on options.
const (
	minMTU       = 512  // MIN_MESSAGE_SIZE
	maxMTU       = 4096 // i2pd 2.45 reads at most 4096-byte packets
	maxWindowCap = 255  // NACKs are counted in one byte
	minRTO       = 100 * time.Millisecond
	maxRTO       = 45 * time.Second
)

// ParseOptions applies the streaming options of m (other keys are
// ignored) to the defaults.
func ParseOptions(m map[string]string) (Options, error) {
	o := DefaultOptions()
	ints := map[string]*int{
		"i2p.streaming.maxMessageSize":                      &o.MaxMessageSize,
		"i2p.streaming.initialWindowSize":                   &o.InitialWindow,
		"i2p.streaming.maxWindowSize":                       &o.MaxWindow,
		"i2p.streaming.maxResends":                          &o.MaxResends,
		"i2p.streaming.inactivityAction":                    &o.InactivityAction,
		"i2p.streaming.bufferSize":                          &o.BufferSize,
		"i2p.streaming.slowStartGrowthRateFactor":           &o.SlowStartFactor,
		"i2p.streaming.congestionAvoidanceGrowthRateFactor": &o.CongestionAvoidanceFactor,
		"i2p.streaming.maxConnsPerMinute":                   &o.MaxConnsPerMinute,
		"i2p.streaming.maxConnsPerHour":                     &o.MaxConnsPerHour,
		"i2p.streaming.maxConnsPerDay":                      &o.MaxConnsPerDay,
		"i2p.streaming.maxTotalConnsPerMinute":              &o.MaxTotalConnsPerMinute,
		"i2p.streaming.maxTotalConnsPerHour":                &o.MaxTotalConnsPerHour,
		"i2p.streaming.maxTotalConnsPerDay":                 &o.MaxTotalConnsPerDay,
		"i2p.streaming.maxConcurrentStreams":                &o.MaxConcurrentStreams,
	}
	millis := map[string]*time.Duration{
		"i2p.streaming.initialRTO":        &o.InitialRTO,
		"i2p.streaming.initialAckDelay":   &o.AckDelay,
		"i2p.streaming.inactivityTimeout": &o.InactivityTimeout,
		"i2p.streaming.connectTimeout":    &o.ConnectTimeout,
		"i2p.streaming.readTimeout":       &o.ReadTimeout,
		"i2p.streaming.writeTimeout":      &o.WriteTimeout,
	}
	bools := map[string]*bool{
		"i2p.streaming.answerPings":          &o.AnswerPings,
		"i2p.streaming.disableRejectLogging": &o.DisableRejectLogging,
		"i2cp.enableAccessList":              &o.EnableAccessList,
		"i2cp.enableBlackList":               &o.EnableBlackList,
	}
	for k, v := range m {
		v = strings.TrimSpace(v)
		var err error
		switch {
		case ints[k] != nil:
			*ints[k], err = strconv.Atoi(v)
		case millis[k] != nil:
			var ms int
			ms, err = strconv.Atoi(v)
			if ms < 0 { // Java: negative means none
				ms = 0
			}
			*millis[k] = time.Duration(ms) * time.Millisecond
		case bools[k] != nil:
			*bools[k], err = strconv.ParseBool(v)
		case k == "i2p.streaming.limitAction":
			o.LimitAction = v
		case k == "i2cp.accessList":
			o.AccessList, err = parseHashList(v)
		case k == "i2p.streaming.blacklist":
			o.Blacklist, err = parseHashList(v)
		}
		if err != nil {
			return o, fmt.Errorf("streaming: option %s=%q: %w", k, v, err)
		}
	}
	return o, o.check()
}

// check bounds o to what the protocol allows.
func (o *Options) check() error {
	switch {
	case o.MaxMessageSize < minMTU || o.MaxMessageSize > maxMTU:
		return fmt.Errorf("streaming: maxMessageSize %d outside %d..%d", o.MaxMessageSize, minMTU, maxMTU)
	case o.MaxWindow < 1 || o.MaxWindow > maxWindowCap:
		return fmt.Errorf("streaming: maxWindowSize %d outside 1..%d", o.MaxWindow, maxWindowCap)
	case o.InitialWindow < 1 || o.InitialWindow > o.MaxWindow:
		return fmt.Errorf("streaming: initialWindowSize %d outside 1..%d", o.InitialWindow, o.MaxWindow)
	case o.InitialRTO < minRTO || o.InitialRTO > maxRTO:
		return fmt.Errorf("streaming: initialRTO %v outside %v..%v", o.InitialRTO, minRTO, maxRTO)
	case o.MinRTO < minRTO || o.MinRTO > o.InitialRTO:
		return fmt.Errorf("streaming: minimum RTO %v outside %v..%v", o.MinRTO, minRTO, o.InitialRTO)
	case o.MaxResends < 1 || o.MaxResends > 100:
		return fmt.Errorf("streaming: maxResends %d outside 1..100", o.MaxResends)
	case o.BufferSize < o.MaxMessageSize:
		return fmt.Errorf("streaming: bufferSize %d below the MTU", o.BufferSize)
	case o.InactivityAction < inactivityNothing || o.InactivityAction > inactivitySend:
		return fmt.Errorf("streaming: inactivityAction %d outside 0..2", o.InactivityAction)
	case o.SlowStartFactor < 1 || o.CongestionAvoidanceFactor < 1:
		return fmt.Errorf("streaming: growth rate factors must be at least 1")
	case o.Backlog < 1:
		return fmt.Errorf("streaming: backlog %d below 1", o.Backlog)
	}
	return nil
}

// parseHashList reads a comma- or space-separated list of Base64 hashes
// (Java) or b32 addresses (i2pd's accessList).
func parseHashList(s string) ([]data.Hash, error) {
	var out []data.Hash
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		h, err := data.ParseHashBase64(f)
		if err != nil {
			if h, err = data.ParseB32(f); err != nil {
				return nil, fmt.Errorf("%q is neither a Base64 hash nor a b32 address", f)
			}
		}
		out = append(out, h)
	}
	return out, nil
}
