package garlic

import "time"

type elgamalIn struct{}
type elgamalOut struct{}

func newElGamalIn(priv []byte) (*elgamalIn, error) { return &elgamalIn{}, nil }
func (*elgamalIn) tagCount() int                   { return 0 }
func (*elgamalIn) expire(time.Time)                {}
func (*elgamalOut) expire(time.Time) bool          { return true }
func (e *Engine) encryptElGamal(now time.Time, to Remote, blocks []Block) (Sent, error) {
	return Sent{}, errorf(ErrNoKey, "encrypt", "ElGamal")
}
func (e *Engine) decryptElGamal(now time.Time, body []byte) (*Message, bool, error) {
	return nil, false, nil
}
