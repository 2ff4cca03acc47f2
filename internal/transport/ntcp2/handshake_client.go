package ntcp2

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/noise"
	"github.com/veil-i2p/veil/internal/transport"
)

// handshakeResult is what a completed handshake hands to the session.
type handshakeResult struct {
	conn      net.Conn
	br        *bufio.Reader // may hold bytes the peer sent after message 3
	initiator bool
	keys      dataKeys
	peerRI    *data.RouterInfo
}

// outboundHandshake is Alice's side (ntcp2.rst, "Messages"):
//
//	-> e, es     SessionRequest   (sendSessionRequest)
//	<- e, ee     SessionCreated   (readSessionCreated)
//	-> s, se     SessionConfirmed (sendSessionConfirmed)
//	             data-phase keys  (split)
//
// Each step has a pure half that builds or consumes the message bytes
// (sessionRequest, consumeSessionCreated, ...), used directly by fuzzers
// and tests, and an I/O half. On any failure Alice just closes: before
// message 3 she has nothing authenticated to send a Termination with.
type outboundHandshake struct {
	t      *Transport
	conn   net.Conn
	br     *bufio.Reader
	peerRI *data.RouterInfo
	aes    *crypto.AES256 // key = Bob's router hash
	rs     [keyLen]byte   // Bob's static key
	cbc    [ivLen]byte    // AES-CBC state: Bob's i, then the last block of encrypted X
	ePriv  [keyLen]byte
	ePub   [keyLen]byte
	y      [keyLen]byte
	sym    noise.SymmetricState
	m3p2   []byte // message 3 part 2 plaintext, frozen in message 1
}

func newOutboundHandshake(t *Transport, c net.Conn, ri *data.RouterInfo, a peerAddr) (*outboundHandshake, error) {
	peer := ri.Hash()
	aes, err := crypto.NewAES256(peer[:])
	if err != nil {
		return nil, err
	}
	h := &outboundHandshake{t: t, conn: c, peerRI: ri, aes: aes, rs: a.s, cbc: a.i}
	if c != nil {
		h.br = bufio.NewReaderSize(c, readBufferSize)
	}
	return h, nil
}

func (h *outboundHandshake) handshake() (*handshakeResult, error) {
	defer h.zero()
	if err := h.sendSessionRequest(); err != nil {
		return nil, err
	}
	if err := h.readSessionCreated(); err != nil {
		return nil, err
	}
	if err := h.sendSessionConfirmed(); err != nil {
		return nil, err
	}
	return &handshakeResult{conn: h.conn, br: h.br, initiator: true, keys: deriveDataKeys(&h.sym), peerRI: h.peerRI}, nil
}

func (h *outboundHandshake) zero() {
	clear(h.ePriv[:])
	clear(h.m3p2)
	h.sym.Zero()
}

// sessionRequest builds message 1: AES-CBC(RH_B, i_B, X) | AEAD(options) |
// padding. It also freezes message 3 part 2, whose length goes into the
// options ("m3p2len must be exactly the size of that frame").
func (h *outboundHandshake) sessionRequest() ([]byte, error) {
	t := h.t
	var err error
	if h.ePriv, h.ePub, err = crypto.GenerateX25519(t.rand); err != nil {
		return nil, fmt.Errorf("ntcp2: session request: %w", err)
	}
	if h.m3p2 == nil { // tests and fuzzers may preset it
		ri := t.cfg.RouterInfo().Bytes()
		h.m3p2 = appendRouterInfo(nil, ri, false)
		h.m3p2 = appendPadding(h.m3p2, t.rand.Intn(maxSmallPadding+1))
	}
	m3p2Len := len(h.m3p2) + macLen
	if m3p2Len > maxM3P2Len {
		return nil, fmt.Errorf("ntcp2: session request: message 3 payload of %d bytes is too large", len(h.m3p2))
	}
	padLen := t.handshakePadding()
	msg := make([]byte, msg1Len, msg1Len+padLen)
	if err := h.aes.EncryptCBC(h.cbc[:], msg[:keyLen], h.ePub[:]); err != nil {
		return nil, err
	}
	copy(h.cbc[:], msg[keyLen-ivLen:keyLen])

	h.sym = initialState(&h.rs)
	h.sym.MixHash(h.ePub[:])
	if err := h.sym.MixDH(h.ePriv[:], h.rs[:]); err != nil { // es
		return nil, fmt.Errorf("ntcp2: session request: es: %w", err)
	}
	opts := requestOptions{
		NetID:   uint8(t.cfg.NetID),
		Version: protocolVersion,
		PadLen:  uint16(padLen),
		M3P2Len: uint16(m3p2Len),
		TsA:     unixSeconds(t.now()),
	}
	ob := opts.marshal()
	h.sym.EncryptAndHash(msg[keyLen:keyLen], ob[:])
	msg = msg[:msg1Len+padLen]
	if _, err := io.ReadFull(t.rand, msg[msg1Len:]); err != nil {
		return nil, fmt.Errorf("ntcp2: session request: padding: %w", err)
	}
	if padLen > 0 {
		h.sym.MixHash(msg[msg1Len:])
	}
	return msg, nil
}

func (h *outboundHandshake) sendSessionRequest() error {
	msg, err := h.sessionRequest()
	if err != nil {
		return err
	}
	if _, err := h.conn.Write(msg); err != nil {
		return fmt.Errorf("ntcp2: session request: %w", err)
	}
	return nil
}

// consumeSessionCreated processes the 64 fixed bytes of message 2 and
// returns the length of the padding that follows. Y is decrypted with the
// CBC state left by X (ntcp2.rst, "2) SessionCreated": "the AES state from
// message 1").
func (h *outboundHandshake) consumeSessionCreated(msg []byte) (int, error) {
	if err := h.aes.DecryptCBC(h.cbc[:], h.y[:], msg[:keyLen]); err != nil {
		return 0, err
	}
	if !validPublicKey(h.y[:]) {
		return 0, errors.New("ntcp2: session created: invalid ephemeral key")
	}
	h.sym.MixHash(h.y[:])
	if err := h.sym.MixDH(h.ePriv[:], h.y[:]); err != nil { // ee
		return 0, fmt.Errorf("ntcp2: session created: ee: %w", err)
	}
	var ob [optionsLen]byte
	if _, err := h.sym.DecryptAndHash(ob[:0], msg[keyLen:msg2Len]); err != nil {
		return 0, fmt.Errorf("ntcp2: session created: %w", err)
	}
	opts := parseCreatedOptions(ob[:])
	if skew := skewOf(opts.TsB, h.t.now()); abs(skew) > int64(h.t.cfg.MaxSkew.Seconds()) && !h.t.ignoreSkew {
		h.t.cnt.clockSkew.Add(1)
		return 0, fmt.Errorf("ntcp2: session created: clock skew %ds: %w", skew,
			&transport.TerminationError{Reason: transport.ReasonClockSkew, Detail: "peer clock differs"})
	}
	if opts.PadLen > maxPeerHandshakePadding {
		return 0, fmt.Errorf("ntcp2: session created: %d bytes of padding", opts.PadLen)
	}
	return int(opts.PadLen), nil
}

func (h *outboundHandshake) readSessionCreated() error {
	var msg [msg2Len]byte
	if _, err := io.ReadFull(h.br, msg[:]); err != nil {
		return fmt.Errorf("ntcp2: session created: %w", err)
	}
	padLen, err := h.consumeSessionCreated(msg[:])
	if err != nil {
		return err
	}
	if padLen > 0 {
		pad := make([]byte, padLen)
		if _, err := io.ReadFull(h.br, pad); err != nil {
			return fmt.Errorf("ntcp2: session created: padding: %w", err)
		}
		h.sym.MixHash(pad)
	}
	// Bob has nothing more to say until he has message 3.
	if h.br.Buffered() > 0 {
		return fmt.Errorf("ntcp2: session created: %d unexpected bytes after the message", h.br.Buffered())
	}
	return nil
}

// sessionConfirmed builds message 3: part 1 is Alice's static key sealed
// with message 2's key at n=1 (message 2's own frame used n=0; ntcp2.rst's
// KDF text says "k is from handshake message 1", the diagram and Noise say
// message 2, and i2pd agrees with the diagram); part 2 is the frozen
// RouterInfo payload under the key from se, n=0.
func (h *outboundHandshake) sessionConfirmed() ([]byte, error) {
	s := h.t.cfg.StaticKeys
	msg := make([]byte, 0, msg3p1Len+len(h.m3p2)+macLen)
	h.sym.SetNonce(1)
	msg = h.sym.EncryptAndHash(msg, s.Public[:])
	if err := h.sym.MixDH(s.Private[:], h.y[:]); err != nil { // se
		return nil, fmt.Errorf("ntcp2: session confirmed: se: %w", err)
	}
	return h.sym.EncryptAndHash(msg, h.m3p2), nil
}

func (h *outboundHandshake) sendSessionConfirmed() error {
	msg, err := h.sessionConfirmed()
	if err != nil {
		return err
	}
	if _, err := h.conn.Write(msg); err != nil {
		return fmt.Errorf("ntcp2: session confirmed: %w", err)
	}
	return nil
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
