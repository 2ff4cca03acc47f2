package i2ptunnel

import (
	"bufio"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
)

// The SOCKS wire: SOCKS4 (CONNECT), SOCKS4a (a host name after the user
// id, signalled by the address 0.0.0.x) and SOCKS5 (RFC 1928: CONNECT,
// with no authentication or RFC 1929 username/password).

// SOCKS versions and constants.
const (
	socks4Version = 4
	socks5Version = 5

	socksCmdConnect = 1

	socks5AuthNone     = 0x00
	socks5AuthPassword = 0x02
	socks5AuthNoneOK   = 0xff
	socks5PassVersion  = 1

	socks5AtypIPv4   = 1
	socks5AtypDomain = 3
	socks5AtypIPv6   = 4

	// maxSOCKS4Field bounds a SOCKS4 user id or SOCKS4a host name (both
	// NUL-terminated, of no set length).
	maxSOCKS4Field = 255
)

// Reply codes. SOCKS5: RFC 1928 §6; SOCKS4: 90 granted, 91 refused.
const (
	Socks5Succeeded          = 0x00
	Socks5GeneralFailure     = 0x01
	Socks5NotAllowed         = 0x02 // a host outside I2P without an outproxy
	Socks5HostUnreachable    = 0x04 // unknown name, LeaseSet not found
	Socks5ConnectionRefused  = 0x05
	Socks5TTLExpired         = 0x06 // no stream in time
	Socks5CommandUnsupported = 0x07 // BIND, UDP ASSOCIATE
	Socks5AddressUnsupported = 0x08

	socks4Granted  = 90
	socks4Rejected = 91
)

// socksRequest is a CONNECT request read from a client.
type socksRequest struct {
	version int    // 4 or 5
	host    string // a name, or an IP address in text form
	ip      bool   // host is an IP literal
	port    uint16
}

func (r socksRequest) hostPort() string { return net.JoinHostPort(r.host, strconv.Itoa(int(r.port))) }

// socksError is a refusal during negotiation, with the code to send
// (none when the client is not worth answering).
type socksError struct {
	code byte // SOCKS5 reply code; 0 with send false
	send bool
	msg  string
}

func (e *socksError) Error() string { return "socks: " + e.msg }

func refuse(code byte, format string, a ...any) error {
	return &socksError{code: code, send: true, msg: fmt.Sprintf(format, a...)}
}

var errSOCKSVersion = errors.New("socks: not a SOCKS 4 or 5 request")

// socksAuth is the optional username/password.
type socksAuth struct{ user, pass string }

// negotiate reads a SOCKS request from br, answering the SOCKS5 method
// selection and authentication on w. The final reply is the caller's.
func negotiate(br *bufio.Reader, w io.Writer, auth *socksAuth) (socksRequest, error) {
	v, err := br.ReadByte()
	if err != nil {
		return socksRequest{}, err
	}
	switch v {
	case socks4Version:
		return readSOCKS4(br, auth)
	case socks5Version:
		if err := socks5Auth(br, w, auth); err != nil {
			return socksRequest{version: 5}, err
		}
		req, err := readSOCKS5(br)
		req.version = 5
		return req, err
	}
	return socksRequest{}, errSOCKSVersion
}

// readSOCKS4 reads the rest of a SOCKS4/4a request: CD, DSTPORT, DSTIP,
// USERID NUL, and for 4a a host name NUL.
func readSOCKS4(br *bufio.Reader, auth *socksAuth) (socksRequest, error) {
	req := socksRequest{version: 4}
	var h [7]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return req, err
	}
	user, err := readNulString(br)
	if err != nil {
		return req, err
	}
	if h[0] != socksCmdConnect {
		return req, refuse(Socks5CommandUnsupported, "SOCKS4 command %d", h[0])
	}
	req.port = binary.BigEndian.Uint16(h[1:3])
	ip := netip.AddrFrom4([4]byte(h[3:7]))
	if h[3] == 0 && h[4] == 0 && h[5] == 0 && h[6] != 0 { // 4a
		if req.host, err = readNulString(br); err != nil {
			return req, err
		}
		if req.host == "" {
			return req, refuse(Socks5AddressUnsupported, "SOCKS4a without a host name")
		}
	} else {
		req.host, req.ip = ip.String(), true
	}
	if auth != nil {
		// SOCKS4 carries no password: with authentication set, it is
		// SOCKS5 or nothing.
		return req, refuse(Socks5NotAllowed, "SOCKS4 request while a username and password are required (user id %q)", clip(user))
	}
	return req, nil
}

// readNulString reads up to maxSOCKS4Field bytes and a NUL.
func readNulString(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			return "", err
		}
		if c == 0 {
			return string(b), nil
		}
		if len(b) == maxSOCKS4Field {
			return "", refuse(Socks5GeneralFailure, "SOCKS4 field longer than %d bytes", maxSOCKS4Field)
		}
		b = append(b, c)
	}
}

// socks5Auth reads the method list and picks none or username/password,
// then checks the latter (RFC 1929).
func socks5Auth(br *bufio.Reader, w io.Writer, auth *socksAuth) error {
	n, err := br.ReadByte()
	if err != nil {
		return err
	}
	methods := make([]byte, n)
	if _, err := io.ReadFull(br, methods); err != nil {
		return err
	}
	want := byte(socks5AuthNone)
	if auth != nil {
		want = socks5AuthPassword
	}
	offered := false
	for _, m := range methods {
		offered = offered || m == want
	}
	if !offered {
		w.Write([]byte{socks5Version, socks5AuthNoneOK})
		return &socksError{msg: fmt.Sprintf("no acceptable authentication method among %x", methods)}
	}
	if _, err := w.Write([]byte{socks5Version, want}); err != nil {
		return err
	}
	if auth == nil {
		return nil
	}
	var hv [2]byte
	if _, err := io.ReadFull(br, hv[:]); err != nil {
		return err
	}
	user := make([]byte, hv[1])
	if _, err := io.ReadFull(br, user); err != nil {
		return err
	}
	plen, err := br.ReadByte()
	if err != nil {
		return err
	}
	pass := make([]byte, plen)
	if _, err := io.ReadFull(br, pass); err != nil {
		return err
	}
	okUser := subtle.ConstantTimeCompare(user, []byte(auth.user))
	okPass := subtle.ConstantTimeCompare(pass, []byte(auth.pass))
	if hv[0] != socks5PassVersion || okUser&okPass != 1 {
		w.Write([]byte{socks5PassVersion, 1})
		return &socksError{msg: "wrong username or password"}
	}
	_, err = w.Write([]byte{socks5PassVersion, 0})
	return err
}

// readSOCKS5 reads a SOCKS5 request: VER CMD RSV ATYP DST.ADDR DST.PORT.
func readSOCKS5(br *bufio.Reader) (socksRequest, error) {
	var req socksRequest
	var h [4]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return req, err
	}
	if h[0] != socks5Version {
		return req, refuse(Socks5GeneralFailure, "request of version %d", h[0])
	}
	switch h[3] {
	case socks5AtypIPv4, socks5AtypIPv6:
		b := make([]byte, 4)
		if h[3] == socks5AtypIPv6 {
			b = make([]byte, 16)
		}
		if _, err := io.ReadFull(br, b); err != nil {
			return req, err
		}
		ip, _ := netip.AddrFromSlice(b)
		req.host, req.ip = ip.String(), true
	case socks5AtypDomain:
		n, err := br.ReadByte()
		if err != nil {
			return req, err
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return req, err
		}
		req.host = string(b)
		if n == 0 {
			return req, refuse(Socks5AddressUnsupported, "empty host name")
		}
	default:
		return req, refuse(Socks5AddressUnsupported, "address type %d", h[3])
	}
	var p [2]byte
	if _, err := io.ReadFull(br, p[:]); err != nil {
		return req, err
	}
	req.port = binary.BigEndian.Uint16(p[:])
	if h[1] != socksCmdConnect {
		return req, refuse(Socks5CommandUnsupported, "command %d (only CONNECT)", h[1])
	}
	return req, nil
}

// socksReply writes the final answer: for SOCKS5 the code and a zero
// IPv4 bound address, for SOCKS4 granted or rejected.
func socksReply(w io.Writer, version int, code byte) error {
	var b []byte
	if version == 4 {
		c := byte(socks4Granted)
		if code != Socks5Succeeded {
			c = socks4Rejected
		}
		b = []byte{0, c, 0, 0, 0, 0, 0, 0}
	} else {
		b = []byte{socks5Version, code, 0, socks5AtypIPv4, 0, 0, 0, 0, 0, 0}
	}
	_, err := w.Write(b)
	return err
}

// socks5Connect asks an upstream SOCKS5 proxy (the outproxy) to connect
// to hostPort, without authentication.
func socks5Connect(rw io.ReadWriter, host string, port uint16) error {
	if len(host) > 255 {
		return errors.New("socks: host name too long for SOCKS5")
	}
	if _, err := rw.Write([]byte{socks5Version, 1, socks5AuthNone}); err != nil {
		return err
	}
	var sel [2]byte
	if _, err := io.ReadFull(rw, sel[:]); err != nil {
		return err
	}
	if sel[0] != socks5Version || sel[1] != socks5AuthNone {
		return fmt.Errorf("socks: outproxy wants authentication method %d", sel[1])
	}
	req := []byte{socks5Version, socksCmdConnect, 0, socks5AtypDomain, byte(len(host))}
	req = append(req, host...)
	req = binary.BigEndian.AppendUint16(req, port)
	if _, err := rw.Write(req); err != nil {
		return err
	}
	var h [4]byte
	if _, err := io.ReadFull(rw, h[:]); err != nil {
		return err
	}
	if h[1] != Socks5Succeeded {
		return &socksError{code: h[1], send: true, msg: fmt.Sprintf("outproxy refused %s: code %d", host, h[1])}
	}
	skip := 4
	switch h[3] {
	case socks5AtypIPv6:
		skip = 16
	case socks5AtypDomain:
		var n [1]byte
		if _, err := io.ReadFull(rw, n[:]); err != nil {
			return err
		}
		skip = int(n[0])
	}
	_, err := io.ReadFull(rw, make([]byte, skip+2))
	return err
}
