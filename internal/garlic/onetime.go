package garlic

import (
	"encoding/binary"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// One-time keys: a destination that asks a floodfill for a LeaseSet hands
// it a 32-byte key and an 8-byte tag, and the reply comes back in the
// Existing Session format under them with n = 0 (proposal 154, now in
// i2np.rst "DatabaseLookup"; the same format as i2np.WrapOneTimeGarlic).
// The engine holds such keys until used or expired.

type oneTimeKey struct {
	key     [32]byte
	expires time.Time
}

// AddOneTimeKey registers a key and tag for one message expected before
// expires. It fails with ErrLimit when Limits.OneTimeKeys keys are held,
// and with ErrInvalid if the tag is already registered.
func (e *Engine) AddOneTimeKey(tag [8]byte, key [32]byte, expires time.Time) error {
	t := binary.LittleEndian.Uint64(tag[:])
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.oneTime) >= e.limits.OneTimeKeys {
		return errorf(ErrLimit, "one-time key", "%d held", len(e.oneTime))
	}
	if _, dup := e.oneTime[t]; dup {
		return errorf(ErrInvalid, "one-time key", "tag registered twice")
	}
	e.oneTime[t] = oneTimeKey{key: key, expires: expires}
	return nil
}

// openOneTimeLocked opens a message under a one-time key; a key that
// opens it is used up.
func (e *Engine) openOneTimeLocked(now time.Time, body []byte, tag uint64, k oneTimeKey) (*Message, error) {
	const st = "open one-time"
	if now.After(k.expires) {
		delete(e.oneTime, tag)
		return nil, errorf(ErrDecrypt, st, "key expired")
	}
	plain, err := crypto.ChaChaPolyOpen(&k.key, 0, nil, body[tagLen:], body[:tagLen])
	if err != nil {
		return nil, errorf(ErrDecrypt, st, "%v", err)
	}
	delete(e.oneTime, tag)
	blocks, err := ParseBlocks(plain)
	if err == nil {
		err = checkOrder(kindES, blocks)
	}
	if err != nil {
		return nil, err
	}
	e.received[KindOneTime]++
	return &Message{Kind: KindOneTime, Blocks: blocks, Cloves: cloves(blocks)}, nil
}
