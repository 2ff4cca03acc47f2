package ntcp2

import "time"

// Protocol constants from ntcp2.rst. Sizes are in bytes.
const (
	// protocolName is hashed into the initial h and ck ("KDF for handshake
	// message 1").
	protocolName = "Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256"

	keyLen     = 32 // X25519 keys
	ivLen      = 16 // the published "i" (AES-CBC IV for X)
	macLen     = 16 // Poly1305 tag
	optionsLen = 16 // SessionRequest / SessionCreated options block

	// msg1Len and msg2Len are SessionRequest and SessionCreated without
	// their cleartext padding: obfuscated key 32 + AEAD(options) 32.
	msg1Len = keyLen + optionsLen + macLen
	msg2Len = keyLen + optionsLen + macLen
	// msg3p1Len is SessionConfirmed part 1: AEAD(Alice's static key).
	msg3p1Len = keyLen + macLen

	// maxFrameLen is the largest data-phase AEAD frame (length field
	// value), MAC included; maxPayloadLen the largest plaintext in it.
	maxFrameLen   = 65535
	maxPayloadLen = maxFrameLen - macLen // 65519
	minFrameLen   = macLen
	// blockHeaderLen is a block's type(1) and size(2); maxBlockDataLen
	// the largest block body that fits in one frame.
	blockHeaderLen  = 3
	maxBlockDataLen = maxPayloadLen - blockHeaderLen // 65516
	// maxM3P2Len bounds SessionConfirmed part 2 so the whole message 3
	// stays within 65535 ("SessionConfirmed", notes).
	maxM3P2Len = maxFrameLen - msg3p1Len // 65487

	// i2npHeaderLen is the short I2NP header in an I2NP block: type(1)
	// msg id(4) expiration seconds(4).
	i2npHeaderLen = 9
	// MaxMessagePayload is the largest I2NP body that fits in one block.
	MaxMessagePayload = maxBlockDataLen - i2npHeaderLen // 65507

	// protocolVersion is the "ver" byte of SessionRequest.
	protocolVersion = 2

	// maxNonce is the last data-phase nonce that may be used: 2^64-1 must
	// never be sent ("ChaCha20/Poly1305"), so a direction stops at 2^64-2.
	maxNonce = 1<<64 - 2
)

// Block types ("Unencrypted data").
const (
	blockDateTime    = 0
	blockOptions     = 1
	blockRouterInfo  = 2
	blockI2NP        = 3
	blockTermination = 4
	blockPadding     = 254

	// routerInfoFlood is bit 0 of the RouterInfo block flag.
	routerInfoFlood = 0x01
	// terminationMinLen is valid frames(8) + reason(1).
	terminationMinLen = 9
	dateTimeLen       = 4
)

// Implementation choices. Where i2pd 2.45.1 (our interop peer, NTCP2.h)
// has a matching constant it is named.
const (
	// maxHandshakePadding is the most cleartext padding we send after
	// SessionRequest and SessionCreated. i2pd refuses more than 223 (a
	// 287-byte message, NTCP2_SESSION_REQUEST_MAX_SIZE).
	maxHandshakePadding = 63
	// maxPeerHandshakePadding is the most we accept: i2pd sends up to 222,
	// Java up to 256; anything larger is refused as a probe.
	maxPeerHandshakePadding = 287 - msg1Len
	// minM3P2Len is the smallest plausible SessionConfirmed part 2: a
	// RouterInfo block holding a minimal RouterInfo, plus MAC.
	minM3P2Len = blockHeaderLen + 1 + 387 + 8 + 1 + 1 + 2 + 40 + macLen

	// maxSmallPadding is the padding added to small data frames: a random
	// 0..15 bytes when the payload is below smallFrame.
	maxSmallPadding = 15
	smallFrame      = 1024
	// coalesceLimit is where the writer stops packing further queued
	// messages into one frame (the spec recommends frames of a few KB so
	// the receiver need not buffer 64 KB before it can check the MAC).
	coalesceLimit = 16 << 10
	// readBufferSize is the connection's read buffer; larger frames are
	// read straight into the frame buffer.
	readBufferSize = 32 << 10

	// dateTimeInterval is how often a DateTime block rides on an outgoing
	// frame (the first frame always carries one).
	dateTimeInterval = 10 * time.Minute
	// frameReadTimeout bounds reading one frame once its length has
	// arrived (termination reason 14, "intra-frame read timeout").
	frameReadTimeout = 30 * time.Second
	// closeGrace bounds writing the Termination block when closing.
	closeGrace = 2 * time.Second
	// maxRouterInfoAge rejects a SessionConfirmed RouterInfo published
	// longer ago than this (i2pd: NETDB_MIN_EXPIRATION_TIMEOUT, 90 min);
	// maxRouterInfoAhead one published too far in the future (i2pd's netDb
	// allows 2 min).
	maxRouterInfoAge   = 90 * time.Minute
	maxRouterInfoAhead = 2 * time.Minute
)

// Config defaults.
const (
	DefaultQueueLen         = 500              // i2pd NTCP2_MAX_OUTGOING_QUEUE_SIZE
	DefaultIdleTimeout      = 2 * time.Minute  // i2pd NTCP2_TERMINATION_TIMEOUT
	DefaultMaxSkew          = 60 * time.Second // i2pd NTCP2_CLOCK_SKEW, ntcp2.rst "Clock Skew"
	DefaultHandshakeTimeout = 10 * time.Second // i2pd NTCP2_ESTABLISH_TIMEOUT
	DefaultMaxHandshakes    = 128              // concurrent inbound handshakes
	DefaultHandshakeRate    = 1.0              // inbound handshakes per second per IP ...
	DefaultHandshakeBurst   = 10               // ... with this burst
	DefaultProbeDelay       = 5 * time.Second  // most we linger on a failed handshake
	DefaultProbeRead        = 4096             // most bytes we read from a failed handshake
	DefaultBanDuration      = time.Hour        // wrong network id (proposal 147)
	DefaultReplayCap        = 1 << 16          // remembered ephemeral keys
	maxRateEntries          = 1 << 14          // IPs tracked by the handshake rate limit
)
