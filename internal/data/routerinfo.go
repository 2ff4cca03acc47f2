package data

import (
	"fmt"
	"strconv"

	"github.com/veil-i2p/veil/internal/crypto"
)

// RouterAddress is one transport address of a RouterInfo
// (common-structures.rst, "RouterAddress"). Expiration must be zero on the
// wire: older peers fail the RouterInfo signature check otherwise.
type RouterAddress struct {
	Cost       uint8
	Expiration Date
	Transport  string // "NTCP2", "SSU2"
	Options    Mapping
}

// Host, Port and friends read the common options.
func (a RouterAddress) Host() string { return a.Options.Value("host") }

// Port returns the "port" option, or 0.
func (a RouterAddress) Port() int {
	p, err := strconv.Atoi(a.Options.Value("port"))
	if err != nil || p < 0 || p > 65535 {
		return 0
	}
	return p
}

// Append appends the wire form.
func (a *RouterAddress) Append(b []byte) ([]byte, error) {
	b = append(b, a.Cost)
	b = appendDate(b, a.Expiration)
	b, err := appendString(b, a.Transport)
	if err != nil {
		return b, fmt.Errorf("data: router address: transport: %w", err)
	}
	return a.Options.Append(b)
}

func (r *reader) routerAddress() (RouterAddress, error) {
	var a RouterAddress
	var err error
	if a.Cost, err = r.u8(); err != nil {
		return a, err
	}
	exp, err := r.u64()
	if err != nil {
		return a, err
	}
	a.Expiration = Date(exp)
	if a.Transport, err = r.str(); err != nil {
		return a, fmt.Errorf("transport: %w", err)
	}
	if a.Options, err = r.mapping(); err != nil {
		return a, fmt.Errorf("options: %w", err)
	}
	return a, nil
}

// RouterInfo is a router's signed description of itself
// (common-structures.rst, "RouterInfo"). A parsed RouterInfo keeps its
// exact bytes: the signature covers them as they are.
type RouterInfo struct {
	Identity  RouterIdentity
	Published Date
	Addresses []RouterAddress
	Options   Mapping
	Signature []byte

	raw []byte // exact bytes when parsed or signed
}

// Per the spec a RouterInfo has at most 255 addresses; peers are unused
// and must be 0, but old routers may carry some, so they are skipped.
const maxRouterInfoLen = 64 << 10

// ParseRouterInfo parses a whole RouterInfo; trailing bytes are an error.
func ParseRouterInfo(b []byte) (*RouterInfo, error) {
	if len(b) > maxRouterInfoLen {
		return nil, perr("RouterInfo", "", invalidf("%d bytes exceeds %d", len(b), maxRouterInfoLen))
	}
	r := &reader{b: b}
	ri := &RouterInfo{}
	var err error
	if ri.Identity, err = r.keysAndCert(); err != nil {
		return nil, perr("RouterInfo", "identity", err)
	}
	pub, err := r.u64()
	if err != nil {
		return nil, perr("RouterInfo", "published", err)
	}
	ri.Published = Date(pub)
	n, err := r.u8()
	if err != nil {
		return nil, perr("RouterInfo", "address count", err)
	}
	for i := range int(n) {
		a, err := r.routerAddress()
		if err != nil {
			return nil, perr("RouterInfo", fmt.Sprintf("address %d", i), err)
		}
		ri.Addresses = append(ri.Addresses, a)
	}
	peers, err := r.u8()
	if err != nil {
		return nil, perr("RouterInfo", "peer count", err)
	}
	if _, err := r.bytes(int(peers) * 32); err != nil {
		return nil, perr("RouterInfo", "peers", err)
	}
	if ri.Options, err = r.mapping(); err != nil {
		return nil, perr("RouterInfo", "options", err)
	}
	sigLen := ri.Identity.SigType().SigLen()
	if ri.Signature, err = r.bytes(sigLen); err != nil {
		return nil, perr("RouterInfo", "signature", err)
	}
	if r.remaining() != 0 {
		return nil, perr("RouterInfo", "", invalidf("%d trailing bytes", r.remaining()))
	}
	ri.raw = b[:r.off:r.off]
	return ri, nil
}

// Bytes returns the exact wire bytes of a parsed or signed RouterInfo.
func (ri *RouterInfo) Bytes() []byte { return ri.raw }

// Hash is the router's identity hash.
func (ri *RouterInfo) Hash() Hash { return ri.Identity.Hash() }

// signedPart is everything before the signature.
func (ri *RouterInfo) signedPart() []byte { return ri.raw[:len(ri.raw)-len(ri.Signature)] }

// Verify checks the signature over the exact bytes.
func (ri *RouterInfo) Verify() error {
	if len(ri.raw) == 0 {
		return fmt.Errorf("data: router info: not serialized")
	}
	if err := ri.Identity.Verify(ri.signedPart(), ri.Signature); err != nil {
		return fmt.Errorf("data: router info %s: %w", ri.Hash(), err)
	}
	return nil
}

// Sign serializes ri (options sorted, no peers) and signs it; afterwards
// Bytes returns the signed form.
func (ri *RouterInfo) Sign(s crypto.Signer) error {
	if s.Type() != ri.Identity.SigType() {
		return fmt.Errorf("data: sign router info: signer is %v, identity is %v", s.Type(), ri.Identity.SigType())
	}
	if len(ri.Addresses) > 255 {
		return fmt.Errorf("data: sign router info: %d addresses", len(ri.Addresses))
	}
	b := append([]byte(nil), ri.Identity.Bytes()...)
	b = appendDate(b, ri.Published)
	b = append(b, byte(len(ri.Addresses)))
	var err error
	for i := range ri.Addresses {
		if b, err = ri.Addresses[i].Append(b); err != nil {
			return fmt.Errorf("data: sign router info: address %d: %w", i, err)
		}
	}
	b = append(b, 0) // peer_size, always 0
	if b, err = ri.Options.Append(b); err != nil {
		return fmt.Errorf("data: sign router info: options: %w", err)
	}
	sig, err := s.Sign(b)
	if err != nil {
		return fmt.Errorf("data: sign router info: %w", err)
	}
	ri.Signature = sig
	ri.raw = append(b, sig...)
	return nil
}

// NetID returns the "netId" option, or -1 if absent or malformed.
func (ri *RouterInfo) NetID() int {
	n, err := strconv.Atoi(ri.Options.Value("netId"))
	if err != nil {
		return -1
	}
	return n
}

// Caps returns the "caps" option.
func (ri *RouterInfo) Caps() string { return ri.Options.Value("caps") }

// Version returns the "router.version" option.
func (ri *RouterInfo) Version() string { return ri.Options.Value("router.version") }
