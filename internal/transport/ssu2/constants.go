package ssu2

import (
	"time"

	"github.com/veil-i2p/veil/internal/transport"
)

// Protocol constants from ssu2.rst. Sizes are in bytes.
const (
	// protocolName starts the Noise state ("KDF for Initial ChainKey").
	protocolName = "Noise_XKchaobfse+hs1+hs2+hs3_25519_ChaChaPoly_SHA256"

	keyLen    = 32 // X25519 keys, intro keys, header keys
	macLen    = 16 // Poly1305 tag
	connIDLen = 8

	shortHeaderLen = 16 // Session Confirmed, Data
	longHeaderLen  = 32 // every other message
	// handshakeHeaderLen is a SessionRequest or SessionCreated header
	// plus the ephemeral key after it, all under header protection.
	handshakeHeaderLen = longHeaderLen + keyLen

	// protocolVersion is the "ver" byte of long headers.
	protocolVersion = 2

	// minPacketLen is the smallest valid message ("Messages": 1-39
	// bytes are invalid); every payload is at least minPayloadLen so the
	// header protection has 24 bytes of tail to draw from.
	minPacketLen  = 40
	minPayloadLen = 8
	// maxPacketLen is the largest datagram we send or accept: a 1500
	// MTU minus the IPv4 and UDP headers.
	maxPacketLen = 1500 - ipv4Overhead

	ipv4Overhead = 20 + 8 // IP and UDP headers
	ipv6Overhead = 40 + 8

	// MinMTU, MaxMTU and the default are the SSU2 address's range ("MTU",
	// "SSU2 Address").
	MinMTU     = 1280
	MaxMTU     = 1500
	DefaultMTU = 1500

	// sessionConfirmedPart1Len is Alice's encrypted static key.
	sessionConfirmedPart1Len = keyLen + macLen
	// maxConfirmedFragments is the frag field's limit ("SessionConfirmed").
	maxConfirmedFragments = 15

	blockHeaderLen = transport.BlockHeaderLen
	// i2npHeaderLen is the short I2NP header of I2NP and First Fragment
	// blocks: type(1) msg id(4) expiration seconds(4).
	i2npHeaderLen = transport.ShortI2NPHeaderLen
	// followOnHeaderLen is a Follow-on Fragment's frag(1) and msg id(4).
	followOnHeaderLen = 5
	// maxFragmentNum is the largest Follow-on Fragment number (7 bits).
	maxFragmentNum = 127

	newTokenLen   = 12
	relayTagLen   = 4
	ackMinLen     = 5
	optionsMinLen = 12
)

// Message types ("Messages").
const (
	typeSessionRequest   = 0
	typeSessionCreated   = 1
	typeSessionConfirmed = 2
	typeData             = 6
	typePeerTest         = 7
	typeRetry            = 9
	typeTokenRequest     = 10
	typeHolePunch        = 11
)

// Block types ("Noise Payload").
const (
	blockDateTime          = 0
	blockOptions           = 1
	blockRouterInfo        = 2
	blockI2NP              = 3
	blockFirstFragment     = 4
	blockFollowOnFragment  = 5
	blockTermination       = 6
	blockRelayRequest      = 7
	blockRelayResponse     = 8
	blockRelayIntro        = 9
	blockPeerTest          = 10
	blockNextNonce         = 11
	blockACK               = 12
	blockAddress           = 13
	blockRelayTagRequest   = 15
	blockRelayTag          = 16
	blockNewToken          = 17
	blockPathChallenge     = 18
	blockPathResponse      = 19
	blockFirstPacketNumber = 20
	blockCongestion        = 21
	blockPadding           = 254

	// RouterInfo block flags.
	routerInfoFlood = 0x01
	routerInfoGzip  = 0x02

	// flagImmediateACK is bit 0 of a Data header's flag byte ("Immediate
	// ACK Flag").
	flagImmediateACK = 0x01
)

// Termination reasons that only SSU2 has (the shared ones are in package
// transport).
const (
	ReasonBadToken          uint8 = 18
	ReasonConnectionLimits  uint8 = 19
	ReasonIncompatibleVers  uint8 = 20
	ReasonWrongNetID        uint8 = 21
	ReasonReplaced          uint8 = 22
	reasonTimeout                 = 14 // ssu2.rst "Timeout" (NTCP2's intra-frame timeout)
	reasonSessionRequestErr       = 11
)

// Handshake timers ("Handshake Retransmission", "Recommended Constants").
var (
	sessionRequestResends = []time.Duration{1250 * time.Millisecond, 2500 * time.Millisecond, 5 * time.Second}
	sessionCreatedResends = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	tokenRequestResends   = []time.Duration{3 * time.Second, 6 * time.Second}
)

// Implementation choices. Where i2pd 2.45.1 (SSU2.h, SSU2Session.h) has a
// matching constant it is named.
const (
	// handshakeTimeout bounds a whole handshake, either side ("Total
	// Timeout": 20 s).
	handshakeTimeout = 20 * time.Second
	// retryTokenLifetime is how long a token sent in a Retry stays
	// valid (i2pd SSU2_TOKEN_EXPIRATION_TIMEOUT); newTokenLifetime one
	// sent in a New Token block (i2pd SSU2_NEXT_TOKEN_EXPIRATION_TIMEOUT).
	retryTokenLifetime = 9 * time.Second
	newTokenLifetime   = 52 * time.Minute
	// tokenMargin: a stored token this close to expiry is not used.
	tokenMargin = 2 * time.Second
	maxTokens   = 1 << 14 // per table (in, out)

	// dateTimeInterval is how often a DateTime block rides on an
	// outgoing data packet ("DateTime": send them periodically).
	dateTimeInterval = 10 * time.Minute

	// ackDelayMin and ackDelayMax bound the ACK delay
	// max(10, min(rtt/6, 150)) ms ("Recommended Constants").
	ackDelayMin = 10 * time.Millisecond
	ackDelayMax = 150 * time.Millisecond
	// maxACKRanges bounds the ranges we track and send; maxACKDepth how
	// far below the highest packet number we still acknowledge.
	maxACKRanges = 64
	maxACKDepth  = 512

	// packetThreshold: an unacknowledged packet this many numbers below
	// the highest acknowledged one is lost (RFC 9002 kPacketThreshold).
	packetThreshold = 3
	// maxResends is how often one fragment is sent again before the
	// session is given up (i2pd SSU2_MAX_NUM_RESENDS is 5).
	maxResends = 8
	// maxUnacked ends a session whose data has gone unacknowledged this
	// long.
	maxUnacked = 30 * time.Second

	// maxMessageSize is the largest I2NP message body we send or
	// reassemble ("Max I2NP Message Size": about 64 KB).
	maxMessageSize = 64 << 10
	// maxFragments is how many fragments we reassemble (i2pd
	// SSU2_MAX_NUM_FRAGMENTS).
	maxFragments = 64
	// maxIncomplete bounds the messages being reassembled per session,
	// maxIncompleteBytes the bytes they hold, and incompleteTimeout
	// their age (i2pd SSU2_INCOMPLETE_MESSAGES_CLEANUP_TIMEOUT).
	maxIncomplete      = 128
	maxIncompleteBytes = 1 << 20
	incompleteTimeout  = 30 * time.Second
	// recentIDs is how many received I2NP message ids a session keeps to
	// drop duplicates (a retransmitted fragment whose ACK was lost).
	maxRecentIDs = 1024

	// inQueueLen is how many received packets wait for a session's
	// goroutine; more are dropped.
	inQueueLen = 256
	// closingLinger keeps a terminated session's connection id a little
	// so packets still in flight get the Termination again.
	closingLinger     = 2 * time.Second
	maxClosingReplies = 4

	// maxPathChallenge is the most data we echo in a Path Response.
	maxPathChallenge = 256
	pathChallengeLen = 16
	pathTimeout      = 5 * time.Second
)

// Config defaults.
const (
	DefaultQueueLen       = 500               // i2pd SSU2_MAX_OUTGOING_QUEUE_SIZE
	DefaultIdleTimeout    = 330 * time.Second // i2pd SSU2_TERMINATION_TIMEOUT
	DefaultMaxSkew        = 60 * time.Second  // i2pd SSU2_CLOCK_SKEW
	DefaultMaxHandshakes  = 256               // concurrent inbound handshakes
	DefaultHandshakeRate  = 2.0               // inbound handshakes per second per IP ...
	DefaultHandshakeBurst = 10                // ... with this burst
	DefaultBanDuration    = time.Hour         // wrong network id
	DefaultMaxSessions    = 4096              // connection ids we hand out
	maxRateEntries        = 1 << 14
)
