package ntcp2

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
)

// The data-phase record layer (ntcp2.rst, "4) Data Phase"): each frame is
//
//	obfuscated length(2) | ChaCha20-Poly1305(k, n, ad="", payload) + MAC(16)
//
// where length = len(ciphertext incl. MAC), 16..65535, XORed with the low
// 16 bits of the next SipHash ratchet output and sent big-endian (the
// [impl] reading of "first 2 bytes of IV", confirmed against i2pd), and n
// counts frames in that direction from 0.
//
// Each direction is a halfConn with its own key, nonce, SipHash state and
// sticky error: once a direction fails it stays failed, so a caller can
// never reuse a nonce or read past a bad frame.

// Frame errors. The session maps them to termination reasons.
var (
	// ErrFrameAuth is a data-phase AEAD failure (reason 4).
	ErrFrameAuth = errors.New("ntcp2: data frame: authentication failed")
	// ErrFrameLength is a de-obfuscated length below the MAC size
	// (reason 9, "AEAD framing error").
	ErrFrameLength = errors.New("ntcp2: data frame: bad length")
	// ErrNonceExhausted means a direction used its last nonce; the
	// session must be replaced.
	ErrNonceExhausted = errors.New("ntcp2: data frame: nonce exhausted")
)

// halfConn is the cipher state of one direction.
type halfConn struct {
	aead *crypto.ChaChaPoly
	sip  crypto.SipHashRatchet
	n    uint64 // next nonce, = frames processed so far
	err  error  // sticky
}

func newHalfConn(key *[32]byte, sipkeys []byte) (halfConn, error) {
	sip, err := crypto.NewSipHashRatchet(sipkeys)
	if err != nil {
		return halfConn{}, err
	}
	return halfConn{aead: crypto.NewChaChaPoly(key), sip: sip}, nil
}

// deadliner is what frameReader needs of a net.Conn for the intra-frame
// timeout.
type deadliner interface {
	SetReadDeadline(time.Time) error
}

// frameReader reads and opens frames. Owned by the session's readLoop.
// The returned plaintext aliases an internal buffer, valid until the next
// call.
type frameReader struct {
	halfConn
	r      *bufio.Reader
	dl     deadliner // nil: no intra-frame timeout
	hdr    [2]byte
	buf    []byte
	maxDur time.Duration // intra-frame timeout
}

func newFrameReader(hc halfConn, r *bufio.Reader, dl deadliner) *frameReader {
	return &frameReader{halfConn: hc, r: r, dl: dl, maxDur: frameReadTimeout}
}

// frames returns how many frames were opened successfully: the "valid
// data frames received" of a Termination block.
func (fr *frameReader) frames() uint64 { return fr.n }

// readFrame reads one frame and returns its plaintext.
func (fr *frameReader) readFrame() ([]byte, error) {
	if fr.err != nil {
		return nil, fr.err
	}
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		fr.err = err
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(fr.hdr[:]) ^ fr.sip.Next())
	if n < minFrameLen {
		fr.err = fmt.Errorf("%w: %d bytes", ErrFrameLength, n)
		return nil, fr.err
	}
	if fr.n > maxNonce {
		fr.err = ErrNonceExhausted
		return nil, fr.err
	}
	if cap(fr.buf) < n {
		fr.buf = make([]byte, 0, max(n, 4096))
	}
	buf := fr.buf[:n]
	timed := fr.dl != nil && fr.r.Buffered() < n
	if timed {
		fr.dl.SetReadDeadline(time.Now().Add(fr.maxDur))
	}
	_, err := io.ReadFull(fr.r, buf)
	if timed {
		fr.dl.SetReadDeadline(time.Time{})
	}
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		fr.err = err
		return nil, err
	}
	pt, err := fr.aead.Open(fr.n, buf[:0], buf, nil)
	if err != nil {
		fr.err = ErrFrameAuth
		return nil, fr.err
	}
	fr.n++
	return pt, nil
}

// frameWriter seals and writes frames. Its mutex serializes the writeLoop
// and the rare out-of-band Termination written on a read failure.
type frameWriter struct {
	mu sync.Mutex
	halfConn
	w   io.Writer
	buf []byte // length(2) + frame
}

func newFrameWriter(hc halfConn, w io.Writer) *frameWriter {
	return &frameWriter{halfConn: hc, w: w, buf: make([]byte, 2, 2+4096)}
}

// writeFrame lets build append a frame's plaintext blocks to an empty
// slice, then seals and writes the frame in one Write ("flush the entire
// contents ... at once"). The plaintext may be at most maxPayloadLen.
func (fw *frameWriter) writeFrame(build func(p []byte) []byte) (int, error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.err != nil {
		return 0, fw.err
	}
	if fw.n > maxNonce {
		fw.err = ErrNonceExhausted
		return 0, fw.err
	}
	p := build(fw.buf[2:2])
	if len(p) > maxPayloadLen {
		return 0, fmt.Errorf("ntcp2: data frame: %d bytes of plaintext, max %d", len(p), maxPayloadLen)
	}
	need := 2 + len(p) + macLen
	if cap(fw.buf) < need || &p[:1][0] != &fw.buf[2:3][0] {
		// build outgrew the buffer: move the plaintext into a larger one.
		nb := make([]byte, 2, max(need, 2*cap(fw.buf)))
		fw.buf = append(nb, p...)[:2]
		p = fw.buf[2 : 2+len(p)]
	}
	ct := fw.aead.Seal(fw.n, p[:0], p, nil)
	binary.BigEndian.PutUint16(fw.buf, uint16(len(ct))^fw.sip.Next())
	fw.n++
	out := fw.buf[:2+len(ct)]
	if _, err := fw.w.Write(out); err != nil {
		fw.err = err
		return 0, err
	}
	return len(out), nil
}
