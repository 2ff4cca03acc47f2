package garlic

import (
	"errors"
	"fmt"

	"github.com/veil-i2p/veil/internal/i2np"
)

// Sentinel errors; the format ones are i2np's, so a caller tests one set.
// Every error from this package wraps one of them (or a
// crypto/i2np error) behind a "garlic: step: detail" prefix, so callers
// count drops by errors.Is.
var (
	// ErrTruncated (i2np's): a block, section or message is shorter than
	// its fields say.
	ErrTruncated = i2np.ErrTruncated
	// ErrInvalid (i2np's): a field has a value the spec does not allow,
	// or blocks break the ordering rules of their message.
	ErrInvalid = i2np.ErrInvalid
	// ErrTooLarge (i2np's): more than fits one ChaCha20-Poly1305 frame or
	// one I2NP Garlic message.
	ErrTooLarge = i2np.ErrTooLarge
	// ErrDecrypt: no key we hold opens the message — unknown tag and not a
	// New Session for us, a wrong key, or tampering.
	ErrDecrypt = errors.New("cannot decrypt")
	// ErrReplay: a New Session we have already seen, or one whose
	// DateTime is outside the accepted window.
	ErrReplay = errors.New("replayed or stale")
	// ErrLimit: a bound on sessions, handshakes or replies is reached;
	// the message was not sent or its state not kept.
	ErrLimit = errors.New("limit reached")
	// ErrNoKey: the remote key is of a type this engine cannot encrypt to.
	ErrNoKey = errors.New("unsupported remote key")
)

// errorf prefixes "garlic: " and wraps a sentinel with detail.
func errorf(sentinel error, step, format string, args ...any) error {
	return fmt.Errorf("garlic: %s: %w: %s", step, sentinel, fmt.Sprintf(format, args...))
}
