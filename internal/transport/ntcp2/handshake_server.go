package ntcp2

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/noise"
	"github.com/veil-i2p/veil/internal/transport"
)

// Handshake errors of Bob's side that callers may test for.
var (
	// ErrWrongNetID: the SessionRequest or RouterInfo names another
	// network (proposal 147); the source IP is banned.
	ErrWrongNetID = errors.New("ntcp2: wrong network id")
	// ErrReplay: a SessionRequest with an ephemeral key seen before.
	ErrReplay = errors.New("ntcp2: replayed session request")
	// errUnauthenticated marks failures before Alice is authenticated;
	// Bob answers them with probing resistance, never with a message.
	errUnauthenticated = errors.New("unauthenticated")
)

// inboundHandshake is Bob's side, the mirror of outboundHandshake:
//
//	readSessionRequest   checks, replay cache, skew noted
//	sendSessionCreated   (sent even on skew, so Alice learns our time)
//	readSessionConfirmed Alice's s and RouterInfo; data-phase keys
//
// Until message 3 part 2 authenticates, failures get no reply: Bob
// lingers a random time reading a random number of bytes, then resets
// (ntcp2.rst, "AEAD Error Handling"). A wrong network id is the exception:
// the IP is banned and the connection reset at once (proposal 147).
// After authentication Bob sends a Termination block with the reason.
type inboundHandshake struct {
	t      *Transport
	conn   net.Conn
	br     *bufio.Reader
	remote netip.AddrPort
	x      [keyLen]byte // Alice's ephemeral key
	cbc    [ivLen]byte  // AES-CBC state after X: the last block of encrypted X
	ePriv  [keyLen]byte
	ePub   [keyLen]byte
	sym    noise.SymmetricState
	opts   requestOptions
	skew   int64 // seconds, Alice minus us
	skewed bool
	authed bool
	keys   dataKeys // valid once authed
}

func newInboundHandshake(t *Transport, c net.Conn) *inboundHandshake {
	h := &inboundHandshake{t: t, conn: c}
	if c != nil {
		h.br = bufio.NewReaderSize(c, readBufferSize)
		h.remote = remoteAddr(c)
	}
	return h
}

func (h *inboundHandshake) handshake() (*handshakeResult, error) {
	defer h.zero()
	if err := h.readSessionRequest(); err != nil {
		return nil, err
	}
	if err := h.sendSessionCreated(); err != nil {
		return nil, err
	}
	ri, err := h.readSessionConfirmed()
	if err != nil {
		return nil, err
	}
	res := &handshakeResult{conn: h.conn, br: h.br, keys: h.keys, peerRI: ri}
	h.keys = dataKeys{}
	return res, nil
}

func (h *inboundHandshake) zero() {
	clear(h.ePriv[:])
	h.sym.Zero()
	h.keys.zero()
}

// consumeSessionRequest processes message 1's fixed 64 bytes and returns
// the padding length to read.
func (h *inboundHandshake) consumeSessionRequest(msg []byte) (int, error) {
	t := h.t
	if err := t.ourAES.DecryptCBC(t.iv[:], h.x[:], msg[:keyLen]); err != nil {
		return 0, err
	}
	copy(h.cbc[:], msg[keyLen-ivLen:keyLen])
	if !validPublicKey(h.x[:]) { // "fast MSB check"
		return 0, fmt.Errorf("ntcp2: session request: invalid ephemeral key: %w", errUnauthenticated)
	}
	h.sym = t.bob
	h.sym.MixHash(h.x[:])
	if err := h.sym.MixDH(t.cfg.StaticKeys.Private[:], h.x[:]); err != nil { // es
		return 0, fmt.Errorf("ntcp2: session request: es: %w: %w", err, errUnauthenticated)
	}
	var ob [optionsLen]byte
	if _, err := h.sym.DecryptAndHash(ob[:0], msg[keyLen:msg1Len]); err != nil {
		return 0, fmt.Errorf("ntcp2: session request: %w: %w", err, errUnauthenticated)
	}
	h.opts = parseRequestOptions(ob[:])
	o := &h.opts
	switch {
	case o.NetID != 0 && int(o.NetID) != t.cfg.NetID:
		t.cnt.wrongNetID.Add(1)
		return 0, fmt.Errorf("ntcp2: session request: network id %d, ours %d: %w", o.NetID, t.cfg.NetID, ErrWrongNetID)
	case o.Version != protocolVersion:
		return 0, fmt.Errorf("ntcp2: session request: version %d: %w", o.Version, errUnauthenticated)
	case o.PadLen > maxPeerHandshakePadding:
		return 0, fmt.Errorf("ntcp2: session request: %d bytes of padding: %w", o.PadLen, errUnauthenticated)
	case o.M3P2Len < minM3P2Len || o.M3P2Len > maxM3P2Len:
		return 0, fmt.Errorf("ntcp2: session request: m3p2len %d: %w", o.M3P2Len, errUnauthenticated)
	}
	if !t.replay.check(&h.x, time.Now()) {
		t.cnt.replays.Add(1)
		return 0, fmt.Errorf("ntcp2: session request: %w: %w", ErrReplay, errUnauthenticated)
	}
	h.skew = skewOf(o.TsA, t.now())
	h.skewed = abs(h.skew) > int64(t.cfg.MaxSkew.Seconds())
	return int(o.PadLen), nil
}

func (h *inboundHandshake) readSessionRequest() error {
	var msg [msg1Len]byte
	if _, err := io.ReadFull(h.br, msg[:]); err != nil {
		return fmt.Errorf("ntcp2: session request: %w", err)
	}
	padLen, err := h.consumeSessionRequest(msg[:])
	if err != nil {
		if errors.Is(err, ErrWrongNetID) {
			if h.remote.IsValid() && h.t.cfg.Ban != nil {
				h.t.cfg.Ban(h.remote.Addr(), h.t.cfg.BanDuration, "NTCP2 network id")
			}
			return err
		}
		return h.resist(err)
	}
	if padLen > 0 {
		pad := make([]byte, padLen)
		if _, err := io.ReadFull(h.br, pad); err != nil {
			return fmt.Errorf("ntcp2: session request: padding: %w", err)
		}
		h.sym.MixHash(pad)
	}
	if n := h.br.Buffered(); n > 0 { // "Bob must fail the connection if any incoming data remains"
		return h.resist(fmt.Errorf("ntcp2: session request: %d unexpected bytes after the message: %w", n, errUnauthenticated))
	}
	return nil
}

// sessionCreated builds message 2: AES-CBC(RH_B, state after X, Y) |
// AEAD(options) | padding.
func (h *inboundHandshake) sessionCreated() ([]byte, error) {
	t := h.t
	var err error
	if h.ePriv, h.ePub, err = crypto.GenerateX25519(t.rand); err != nil {
		return nil, fmt.Errorf("ntcp2: session created: %w", err)
	}
	padLen := t.handshakePadding()
	msg := make([]byte, msg2Len, msg2Len+padLen)
	if err := t.ourAES.EncryptCBC(h.cbc[:], msg[:keyLen], h.ePub[:]); err != nil {
		return nil, err
	}
	h.sym.MixHash(h.ePub[:])
	if err := h.sym.MixDH(h.ePriv[:], h.x[:]); err != nil { // ee
		return nil, fmt.Errorf("ntcp2: session created: ee: %w", err)
	}
	opts := createdOptions{PadLen: uint16(padLen), TsB: unixSeconds(t.now())}
	ob := opts.marshal()
	h.sym.EncryptAndHash(msg[keyLen:keyLen], ob[:])
	msg = msg[:msg2Len+padLen]
	if _, err := io.ReadFull(t.rand, msg[msg2Len:]); err != nil {
		return nil, fmt.Errorf("ntcp2: session created: padding: %w", err)
	}
	if padLen > 0 {
		h.sym.MixHash(msg[msg2Len:])
	}
	return msg, nil
}

func (h *inboundHandshake) sendSessionCreated() error {
	msg, err := h.sessionCreated()
	if err != nil {
		return err
	}
	if _, err := h.conn.Write(msg); err != nil {
		return fmt.Errorf("ntcp2: session created: %w", err)
	}
	return nil
}

// consumeSessionConfirmed processes message 3 (both parts) and returns
// Alice's verified RouterInfo. Errors after part 2 authenticates wrap a
// *transport.TerminationError with the reason to send.
func (h *inboundHandshake) consumeSessionConfirmed(msg []byte) (*data.RouterInfo, error) {
	t := h.t
	if len(msg) != msg3p1Len+int(h.opts.M3P2Len) {
		return nil, fmt.Errorf("ntcp2: session confirmed: %d bytes: %w", len(msg), errUnauthenticated)
	}
	var rs [keyLen]byte
	h.sym.SetNonce(1)
	if _, err := h.sym.DecryptAndHash(rs[:0], msg[:msg3p1Len]); err != nil {
		return nil, fmt.Errorf("ntcp2: session confirmed: static key: %w: %w", err, errUnauthenticated)
	}
	if err := h.sym.MixDH(h.ePriv[:], rs[:]); err != nil { // se
		return nil, fmt.Errorf("ntcp2: session confirmed: se: %w: %w", err, errUnauthenticated)
	}
	payload, err := h.sym.DecryptAndHash(nil, msg[msg3p1Len:])
	if err != nil {
		return nil, fmt.Errorf("ntcp2: session confirmed: %w: %w", err, errUnauthenticated)
	}
	// Alice proved she holds rs: from here on failures are reported to
	// her in a Termination block.
	h.authed = true
	h.keys = deriveDataKeys(&h.sym)
	fail := func(reason uint8, format string, args ...any) error {
		return fmt.Errorf("ntcp2: session confirmed: "+format+": %w",
			append(args, &transport.TerminationError{Reason: reason})...)
	}
	riBytes, _, err := parseConfirmedPayload(payload)
	if err != nil {
		return nil, fail(transport.ReasonMsg3Error, "%v", err)
	}
	ri, err := data.ParseRouterInfo(riBytes)
	if err != nil {
		return nil, fail(transport.ReasonMsg3Error, "%v", err)
	}
	if err := ri.Verify(); err != nil {
		return nil, fail(transport.ReasonRIVerifyFailed, "%v", err)
	}
	now := t.now()
	switch pub := ri.Published.Time(); {
	case ri.NetID() != t.cfg.NetID:
		t.cnt.wrongNetID.Add(1)
		if h.remote.IsValid() && t.cfg.Ban != nil {
			t.cfg.Ban(h.remote.Addr(), t.cfg.BanDuration, "NTCP2 RouterInfo network id")
		}
		return nil, fail(transport.ReasonMsg3Error, "RouterInfo network id %d (%v)", ri.NetID(), ErrWrongNetID)
	case ri.Hash() == t.us:
		return nil, fail(transport.ReasonMsg3Error, "our own RouterInfo")
	case !hasStaticKey(ri, rs[:]):
		return nil, fail(transport.ReasonBadStaticKey, "static key not in RouterInfo %s", ri.Hash())
	case h.skewed:
		t.cnt.clockSkew.Add(1)
		return nil, fail(transport.ReasonClockSkew, "clock skew %ds", h.skew)
	case now.Sub(pub) > maxRouterInfoAge || pub.Sub(now) > maxRouterInfoAhead:
		return nil, fail(transport.ReasonMsg3Error, "RouterInfo published %v", pub)
	}
	return ri, nil
}

func (h *inboundHandshake) readSessionConfirmed() (*data.RouterInfo, error) {
	msg := make([]byte, msg3p1Len+int(h.opts.M3P2Len))
	if _, err := io.ReadFull(h.br, msg); err != nil {
		if h.skewed { // expected: Alice saw our time and left
			h.t.cnt.clockSkew.Add(1)
			return nil, fmt.Errorf("ntcp2: session request: clock skew %ds: %w", h.skew,
				&transport.TerminationError{Reason: transport.ReasonClockSkew})
		}
		return nil, fmt.Errorf("ntcp2: session confirmed: %w", err)
	}
	ri, err := h.consumeSessionConfirmed(msg)
	if err == nil {
		return ri, nil
	}
	if !h.authed {
		return nil, h.resist(err)
	}
	var te *transport.TerminationError
	errors.As(err, &te)
	if werr := sendTermination(h.conn, &h.keys, false, 0, te.Reason); werr != nil {
		err = errors.Join(err, werr)
	}
	return nil, err
}

// resist is the probing resistance for unauthenticated failures: linger
// a random time up to ProbeDelay, reading (and dropping) up to a random
// number of bytes, then reset. It returns err.
func (h *inboundHandshake) resist(err error) error {
	t := h.t
	t.cnt.probed.Add(1)
	if h.conn == nil || t.cfg.ProbeDelay < 0 {
		return err
	}
	delay := time.Duration(t.rand.Intn(int(t.cfg.ProbeDelay) + 1))
	n := t.rand.Intn(t.cfg.ProbeRead + 1)
	deadline := time.Now().Add(delay)
	h.conn.SetReadDeadline(deadline)
	if _, rerr := io.CopyN(io.Discard, h.br, int64(n)); rerr == nil {
		// Read all we meant to: wait out the rest without reading.
		timer := time.NewTimer(time.Until(deadline))
		select {
		case <-timer.C:
		case <-t.life.Done():
		}
		timer.Stop()
	}
	resetClose(h.conn)
	return err
}

// sendTermination writes one data-phase frame with a Termination block
// straight after a handshake (before any session exists) and closes c.
func sendTermination(c net.Conn, k *dataKeys, initiator bool, validFrames uint64, reason uint8) error {
	key, sip := &k.ba, k.sipBA[:]
	if initiator {
		key, sip = &k.ab, k.sipAB[:]
	}
	hc, err := newHalfConn(key, sip)
	if err != nil {
		return err
	}
	c.SetWriteDeadline(time.Now().Add(closeGrace))
	fw := newFrameWriter(hc, c)
	_, err = fw.writeFrame(func(p []byte) []byte { return appendTermination(p, validFrames, reason) })
	c.Close()
	return err
}
