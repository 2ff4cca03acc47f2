package tunnel

import (
	"crypto/sha256"

	"github.com/veil-i2p/veil/internal/i2np"
)

// The decrypted body (tunnel-message.rst, "Tunnel Message (Decrypted)"):
//
//	IV(16) checksum(4) nonzero-padding 0x00 {instructions fragment}*
//
// The checksum is the first 4 bytes of SHA-256 of everything after the
// zero byte followed by the IV; padding and the zero byte are not covered.
// The IV is the gateway's: the one the endpoint sees after the last layer
// is removed.

const (
	checksumLen = 4
	// maxContent is the room for instructions and fragments: 1008 less
	// the checksum and the zero byte.
	maxContent = dataLen - checksumLen - 1 // 1003
	// maxFollowOnData is the most a follow-on fragment carries.
	maxFollowOnData = maxContent - followOnLen // 996

	// MaxMessageLen is the largest I2NP message (header included) a
	// Gateway takes: 956 + 62 × 996 in tunnel-message.rst's reckoning,
	// which fits in 64 fragments wherever the first fragment starts. It
	// is also i2pd's I2NP_MAX_MESSAGE_SIZE, but i2pd's endpoint counts
	// the first fragment's offset in its receive buffer against that
	// bound, so an i2pd endpoint may drop messages within about 1 KiB of
	// it: senders should stay well below.
	MaxMessageLen = 62708
)

// checksum returns the checksum of content under the IV of body, using
// scratch to lay content and IV side by side.
func checksum(body *[i2np.TunnelDataLen]byte, content []byte, scratch *[maxContent + ivLen]byte) [checksumLen]byte {
	n := copy(scratch[:], content)
	copy(scratch[n:], body[:ivLen])
	sum := sha256.Sum256(scratch[:n+ivLen])
	return [checksumLen]byte(sum[:checksumLen])
}
