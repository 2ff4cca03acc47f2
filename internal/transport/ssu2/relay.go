package ssu2

// Relay (ssu2.rst, "Relay Process", blocks Relay Request, Relay
// Response, Relay Intro, Relay Tag Request, Relay Tag, and "Hole Punch
// (Type 11)"): a firewalled Charlie asks a reachable Bob for a relay tag
// and publishes Bob's hash and the tag as an introducer; Alice, who
// wants to reach Charlie, asks Bob in session, Bob passes the request to
// Charlie, and Charlie opens his firewall towards Alice with a Hole
// Punch carrying a token, which Alice's Session Request then uses.
//
//	Alice                Bob               Charlie
//	  Relay Request ------>   Alice's RI, Relay Intro ---->
//	                       <-------------- Relay Response
//	  <---- Relay Response
//	  <------------------------------------- Hole Punch
//	  Session Request ---------------------------------->
//
// Bob's and Charlie's sides run on the session goroutines their blocks
// arrive on (Bob hands blocks to another session through its send
// queue); Alice's side runs in Dial, fed by events from Bob's session
// (Relay Response) and the reader (Hole Punch). Relays in progress are
// the Transport's exchanges table; relay tags we gave out map to the
// sessions of the peers we introduce, behind one mutex.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/transport"
)

// Relay Response codes.
const (
	rrAccept              = 0
	rrBobLimit            = 3
	rrBobSignature        = 4
	rrBobNoTag            = 5
	rrCharlieUnspecified  = 64
	rrCharlieAddress      = 65
	rrCharlieSignature    = 67
	rrCharlieAliceUnknown = 70
)

// Relay limits.
const (
	relayPrologueRequest  = "RelayRequestData"
	relayPrologueResponse = "RelayAgreementOK"
	maxRelays             = 256              // in progress, all roles
	maxRelayTags          = 1024             // peers we introduce
	relayExpiry           = 30 * time.Second // Bob's and Charlie's state
	relayTimeout          = 15 * time.Second // Alice: Relay Request to Hole Punch or Relay Response
	relayTokenLifetime    = time.Minute      // Charlie's token for Alice
	// MaxIntroducers is how many introducers an address lists (ih0–ih2).
	MaxIntroducers = 3
	// introducerLifetime is how long after its session started we
	// publish an introducer (iexp), as i2pd does
	// (SSU2_TO_INTRODUCER_SESSION_EXPIRATION).
	introducerLifetime = 80 * time.Minute
)

// Errors of a dial through introducers.
var (
	ErrNoIntroducer = errors.New("ssu2: no usable introducer")
	errRelayRefused = errors.New("ssu2: relay refused")
)

// Introducer is one of our introducers: a Bob that gave us a relay tag
// in a session that is still up. The router publishes it as ih, itag
// and iexp in our SSU2 address.
type Introducer struct {
	Router  data.Hash
	Tag     uint32
	Expires time.Time
}

// introducer is one introducer a peer's address lists.
type introducer struct {
	router data.Hash
	tag    uint32
	exp    time.Time // zero if not given
}

// parseIntroducers reads ih0–ih2, itag0–itag2 and iexp0–iexp2, keeping
// complete entries (a hash and a nonzero tag).
func parseIntroducers(a *data.RouterAddress) []introducer {
	var out []introducer
	for i := range MaxIntroducers {
		n := strconv.Itoa(i)
		var in introducer
		tag, err := strconv.ParseUint(a.Options.Value("itag"+n), 10, 32)
		if err != nil || tag == 0 || !transport.DecodeKeyOption(a, "ih"+n, in.router[:]) {
			continue
		}
		in.tag = uint32(tag)
		if exp, err := strconv.ParseInt(a.Options.Value("iexp"+n), 10, 64); err == nil && exp > 0 {
			in.exp = time.Unix(exp, 0)
		}
		out = append(out, in)
	}
	return out
}

// SetIntroducers writes ins into a as ih, itag and iexp options.
func SetIntroducers(a *data.RouterAddress, ins []Introducer) {
	for i, in := range ins[:min(len(ins), MaxIntroducers)] {
		n := strconv.Itoa(i)
		a.Options.Set("ih"+n, data.EncodeBase64(in.Router[:]))
		a.Options.Set("itag"+n, strconv.FormatUint(uint64(in.Tag), 10))
		a.Options.Set("iexp"+n, strconv.FormatInt(in.Expires.Unix(), 10))
	}
}

// relayReq is a Relay Request or, with hash, a Relay Intro: what Alice
// signed and her signature.
type relayReq struct {
	alice  data.Hash // Relay Intro only
	nonce  uint32
	tag    uint32
	addr   netip.AddrPort // Alice's
	signed []byte         // nonce … Alice's IP
	sig    []byte
}

// parseRelayReq decodes a Relay Request's data (intro false) or a Relay
// Intro's (true).
func parseRelayReq(d []byte, intro bool) (relayReq, error) {
	var r relayReq
	if len(d) < 1 {
		return r, transport.FormatError("empty relay block")
	}
	p := d[1:] // flag
	if intro {
		if len(p) < len(r.alice) {
			return r, transport.FormatError("Relay Intro without a hash")
		}
		copy(r.alice[:], p)
		p = p[len(r.alice):]
	}
	if len(p) < 14 {
		return r, transport.FormatError("relay block: %d bytes of signed data", len(p))
	}
	asz := int(p[13])
	if p[12] != protocolVersion || asz != 6 && asz != 18 || len(p) < 14+asz {
		return r, transport.FormatError("relay block: version %d, address size %d", p[12], asz)
	}
	ap, err := parseAddress(p[14 : 14+asz])
	if err != nil {
		return r, err
	}
	r.nonce, r.tag, r.addr = binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:]), ap
	r.signed, r.sig = p[:14+asz], p[14+asz:]
	return r, nil
}

// relayReqSigned is the signed part of a Relay Request: nonce, relay
// tag, time, version and Alice's address.
func relayReqSigned(nonce, tag uint32, now time.Time, alice netip.AddrPort) []byte {
	b := binary.BigEndian.AppendUint32(nil, nonce)
	b = binary.BigEndian.AppendUint32(b, tag)
	b = binary.BigEndian.AppendUint32(b, transport.UnixSeconds(now))
	a := appendAddress(nil, alice)[blockHeaderLen:]
	return append(append(b, protocolVersion, byte(len(a))), a...)
}

// relayReqMessage is what Alice signs: prologue, Bob's and Charlie's
// hashes, the signed part.
func relayReqMessage(bob, charlie data.Hash, signed []byte) []byte {
	m := append([]byte(relayPrologueRequest), bob[:]...)
	return append(append(m, charlie[:]...), signed...)
}

// appendRelayReq appends a Relay Request (alice nil) or Relay Intro.
func appendRelayReq(b []byte, alice *data.Hash, signed, sig []byte) []byte {
	typ, n := uint8(blockRelayRequest), 1+len(signed)+len(sig)
	if alice != nil {
		typ, n = blockRelayIntro, n+len(alice)
	}
	b = append(transport.AppendBlockHeader(b, typ, n), 0)
	if alice != nil {
		b = append(b, alice[:]...)
	}
	return append(append(b, signed...), sig...)
}

// relayResp is a decoded Relay Response.
type relayResp struct {
	code    byte
	nonce   uint32
	charlie netip.AddrPort // invalid if absent
	signed  []byte         // nonce … Charlie's IP
	rest    []byte         // signature, then the token if accepted
}

// parseRelayResp decodes a Relay Response's data. The signature's length
// depends on the signer's key type, so the split of rest waits for
// whoever verifies it.
func parseRelayResp(d []byte) (relayResp, error) {
	var r relayResp
	if len(d) < 6 {
		return r, transport.FormatError("Relay Response of %d bytes", len(d))
	}
	r.code, r.nonce = d[1], binary.BigEndian.Uint32(d[2:])
	p := d[2:]
	if len(p) < 10 {
		r.signed = p // a bare rejection: the nonce only
		return r, nil
	}
	csz := int(p[9])
	if len(p) < 10+csz {
		return r, transport.FormatError("Relay Response: address size %d", csz)
	}
	if csz != 0 {
		ap, err := parseAddress(p[10 : 10+csz])
		if err != nil {
			return r, err
		}
		r.charlie = ap
	}
	r.signed, r.rest = p[:10+csz], p[10+csz:]
	return r, nil
}

// split returns the signature (of sigLen bytes) and, for an accepted
// response, the token after it.
func (r *relayResp) split(sigLen int) (sig []byte, token uint64, ok bool) {
	want := sigLen
	if r.code == rrAccept {
		want += 8
	}
	if len(r.rest) != want {
		return nil, 0, false
	}
	if r.code == rrAccept {
		token = binary.BigEndian.Uint64(r.rest[sigLen:])
	}
	return r.rest[:sigLen], token, true
}

// relayRespSigned is the signed part of a Relay Response: nonce, time,
// version, and Charlie's address if valid.
func relayRespSigned(nonce uint32, now time.Time, charlie netip.AddrPort) []byte {
	b := binary.BigEndian.AppendUint32(nil, nonce)
	b = binary.BigEndian.AppendUint32(b, transport.UnixSeconds(now))
	if !charlie.IsValid() {
		return append(b, protocolVersion, 0)
	}
	a := appendAddress(nil, charlie)[blockHeaderLen:]
	return append(append(b, protocolVersion, byte(len(a))), a...)
}

// relayRespMessage is what Charlie (or a refusing Bob) signs: prologue,
// Bob's hash, the signed part.
func relayRespMessage(bob data.Hash, signed []byte) []byte {
	return append(append([]byte(relayPrologueResponse), bob[:]...), signed...)
}

// appendRelayResp appends a Relay Response, with the token (the eight
// bytes the Session Request's header will carry) only when accepted.
func appendRelayResp(b []byte, code byte, signed, sig []byte, token uint64) []byte {
	n := 2 + len(signed) + len(sig)
	if code == rrAccept {
		n += 8
	}
	b = append(transport.AppendBlockHeader(b, blockRelayResponse, n), 0, code)
	b = append(append(b, signed...), sig...)
	if code == rrAccept {
		b = binary.BigEndian.AppendUint64(b, token)
	}
	return b
}

// relay is one relay in progress in which we are Bob or Alice.
type relay struct {
	// Bob: the sessions with Alice and Charlie.
	alice, charlie *session
	// Alice: Bob, and events for dialIntroduced.
	bob    data.Hash
	events chan relayEvent
}

type relayEvent struct {
	resp      relayResp
	from      netip.AddrPort // Hole Punch: the address it came from
	holePunch bool
}

// relayTags maps the relay tags we gave out to the sessions of the peers
// we introduce.
type relayTags struct {
	sync.Mutex
	m map[uint32]*session
}

// giveRelayTag returns s's relay tag, making one if s has none and we
// introduce; zero if we do not or the table is full. Run by s's
// goroutine.
func (s *session) giveRelayTag() uint32 {
	t := s.t
	if !t.cfg.Introduce {
		return 0
	}
	if s.relayTag != 0 {
		return s.relayTag
	}
	t.tags.Lock()
	defer t.tags.Unlock()
	if len(t.tags.m) >= maxRelayTags {
		return 0
	}
	for range 8 {
		tag := uint32(t.randUint64())
		if tag != 0 && t.tags.m[tag] == nil {
			t.tags.m[tag] = s
			s.relayTag = tag
			return tag
		}
	}
	return 0
}

// dropRelayTag forgets s's relay tag when s ends.
func (s *session) dropRelayTag() {
	if s.relayTag == 0 {
		return
	}
	s.t.tags.Lock()
	if s.t.tags.m[s.relayTag] == s {
		delete(s.t.tags.m, s.relayTag)
	}
	s.t.tags.Unlock()
}

func (t *Transport) sessionForTag(tag uint32) *session {
	t.tags.Lock()
	defer t.tags.Unlock()
	return t.tags.m[tag]
}

// appendRelayTag appends a Relay Tag block.
func appendRelayTag(b []byte, tag uint32) []byte {
	b = transport.AppendBlockHeader(b, blockRelayTag, relayTagLen)
	return binary.BigEndian.AppendUint32(b, tag)
}

// gotRelayTag keeps the relay tag a peer gave us: it is now one of our
// possible introducers.
func (s *session) gotRelayTag(d []byte) {
	if len(d) == relayTagLen {
		if tag := binary.BigEndian.Uint32(d); tag != 0 {
			s.introTag.Store(tag)
			s.log.Debug("ssu2: relay tag received", "tag", tag)
		}
	}
}

// relayTagRequested answers a Relay Tag Request in the data phase.
func (s *session) relayTagRequested() {
	if tag := s.giveRelayTag(); tag != 0 {
		s.queueBlock(appendRelayTag(nil, tag))
	}
}

// wantRelayTag reports whether a handshake to a should ask for a relay
// tag: we are firewalled on that family and the peer introduces.
func (t *Transport) wantRelayTag(a *peerAddr) bool {
	v6 := a.ap.Addr().Is6()
	if !containsByte(a.caps, 'C') {
		return false
	}
	return t.cfg.Firewalled || t.Reachability(v6) == ReachFirewalled
}

// RequestRelayTags asks, in session, every peer on a family that
// introduces (caps C) and has given us no relay tag for one, once per
// session. (i2pd 2.45.1 answers only a Relay Tag Request in a Session
// Request: a router wanting introducers dials new ones too.)
func (t *Transport) RequestRelayTags(v6 bool) {
	for _, s := range t.liveSessions(nil) {
		a, _, ok := testerAddr(s.PeerRouterInfo(), v6)
		if ok && s.RemoteAddr().Addr().Is6() == v6 && containsByte(a.caps, 'C') && s.introTag.Load() == 0 && !s.tagAsked.Swap(true) {
			s.queueBlock(transport.AppendBlockHeader(nil, blockRelayTagRequest, 0))
		}
	}
}

// Introducers lists up to MaxIntroducers of our introducers on a family:
// peers that gave us a relay tag in a session still up, oldest first.
func (t *Transport) Introducers(v6 bool) []Introducer {
	var out []Introducer
	for _, s := range t.liveSessions(nil) {
		tag := s.introTag.Load()
		if tag == 0 || s.RemoteAddr().Addr().Is6() != v6 {
			continue
		}
		out = append(out, Introducer{Router: s.peer, Tag: tag, Expires: s.Stats().Established.Add(introducerLifetime)})
	}
	slices.SortFunc(out, func(a, b Introducer) int { return a.Expires.Compare(b.Expires) })
	return out[:min(len(out), MaxIntroducers)]
}

// ourAddress is the address we give for ourselves in a Relay Request
// or Response on a family: the one we publish, else the one the peer
// on session s sees us at, else our socket's if it is bound to one.
func (t *Transport) ourAddress(s *session, v6 bool) netip.AddrPort {
	if ap, ok := t.publishedAddr(v6); ok {
		return ap
	}
	if ap := s.seenAs(); ap.IsValid() && ap.Addr().Is6() == v6 {
		return ap
	}
	for _, sock := range t.socks {
		if sock.local.Addr().Is6() == v6 && !sock.local.Addr().IsUnspecified() {
			return sock.local
		}
	}
	return netip.AddrPort{}
}

// relayBob handles a Relay Request from Alice on s: the tag must be
// one we gave, Alice's signature must hold; then Charlie gets Alice's
// RouterInfo and a Relay Intro. Refusals go back to Alice at once,
// signed by us.
func (s *session) relayBob(d []byte) {
	t := s.t
	req, err := parseRelayReq(d, false)
	if err != nil {
		s.log.Debug("ssu2: bad Relay Request", "err", err)
		return
	}
	reject := func(code byte) {
		signed := relayRespSigned(req.nonce, t.now(), netip.AddrPort{})
		sig, err := t.sign(relayRespMessage(t.us, signed))
		if err == nil {
			s.queueBlock(appendRelayResp(nil, code, signed, sig, 0))
		}
	}
	charlie := t.sessionForTag(req.tag)
	alice := s.PeerRouterInfo()
	switch {
	case charlie == nil:
		reject(rrBobNoTag)
	case alice == nil || alice.Identity.Verify(relayReqMessage(t.us, charlie.peer, req.signed), req.sig) != nil:
		reject(rrBobSignature)
	case !t.rl.add(req.nonce, 0, &relay{alice: s, charlie: charlie}):
		reject(rrBobLimit)
	default:
		charlie.SendRouterInfo(alice, false) // before the Relay Intro
		charlie.queueBlock(appendRelayReq(nil, &s.peer, req.signed, req.sig))
	}
}

// relayCharlie handles a Relay Intro from Bob on s: Alice must be known
// (her RouterInfo came first), have signed, and publish an SSU2 address
// of her family; then a Hole Punch with a token goes to her address and
// the same Relay Response, signed by us, back to Bob.
func (s *session) relayCharlie(d []byte) {
	t := s.t
	in, err := parseRelayReq(d, true)
	if err != nil {
		s.log.Debug("ssu2: bad Relay Intro", "err", err)
		return
	}
	code := byte(rrAccept)
	var aliceIntro [keyLen]byte
	v6 := in.addr.Addr().Is6()
	switch ari := s.routerInfo(in.alice); {
	case ari == nil:
		code = rrCharlieAliceUnknown
	case ari.Identity.Verify(relayReqMessage(s.peer, t.us, in.signed), in.sig) != nil:
		code = rrCharlieSignature
	default:
		a, ok := addrForFamily(ari, v6)
		if !ok || in.addr.Port() < 1024 || t.socketFor(in.addr) == nil || t.cfg.Banned != nil && t.cfg.Banned(in.addr.Addr()) {
			code = rrCharlieAddress
		}
		aliceIntro = a.i
	}
	var ours netip.AddrPort
	if code == rrAccept {
		if ours = t.ourAddress(s, v6); !ours.IsValid() {
			code = rrCharlieAddress
		}
	}
	signed := relayRespSigned(in.nonce, t.now(), ours)
	sig, err := t.sign(relayRespMessage(s.peer, signed))
	if err != nil {
		return
	}
	var token uint64
	if code == rrAccept {
		token = t.issueToken(in.addr, relayTokenLifetime)
	}
	b := appendRelayResp(nil, code, signed, sig, token)
	s.log.Debug("ssu2: relay as Charlie", "nonce", in.nonce, "code", code, "alice", in.addr.String())
	if code == rrAccept {
		t.sendHolePunch(t.socketFor(in.addr), in.addr, in.nonce, &aliceIntro, b)
	}
	s.queueBlock(b)
}

// routerInfo finds a router's RouterInfo: the one this session received
// last, or the netDb's.
func (s *session) routerInfo(h data.Hash) *data.RouterInfo {
	if ri := s.lastRI; ri != nil && ri.Hash() == h {
		return ri
	}
	return s.t.lookupRouterInfo(h)
}

// relayResponse handles a Relay Response on s: as Bob, from Charlie, it
// goes to Alice unchanged; as Alice, from Bob, to the dial waiting.
func (s *session) relayResponse(d []byte) {
	resp, err := parseRelayResp(d)
	if err != nil {
		s.log.Debug("ssu2: bad Relay Response", "err", err)
		return
	}
	r, ok := s.t.rl.get(resp.nonce)
	switch {
	case !ok:
	case r.charlie == s && s.t.rl.drop(resp.nonce):
		r.alice.queueBlock(append(transport.AppendBlockHeader(nil, blockRelayResponse, len(d)), d...))
	case r.events != nil && r.bob == s.peer:
		resp.signed, resp.rest = slices.Clone(resp.signed), slices.Clone(resp.rest)
		r.post(relayEvent{resp: resp})
	}
}

func (r *relay) post(ev relayEvent) {
	select {
	case r.events <- ev:
	default:
	}
}

// sendHolePunch sends Charlie's Hole Punch to Alice ("Hole Punch (Type
// 11)", "KDF for Hole Punch"): connection ids from the nonce, Alice's
// intro key, and the Relay Response block resp.
func (t *Transport) sendHolePunch(sock *socket, to netip.AddrPort, nonce uint32, key *[keyLen]byte, resp []byte) {
	t.sendOutOfSession(sock, to, typeHolePunch, ptConnID(nonce), key, to, resp)
}

// handleHolePunch reads a Hole Punch for a relay of ours in which we are
// Alice; demux calls it.
func (t *Transport) handleHolePunch(p *packet, r *relay) {
	var pl [maxPacketLen]byte
	payload, ok := t.openOutOfSession(p.bytes(), typeHolePunch, pl[:0])
	if !ok || r.events == nil {
		return
	}
	_ = parseBlocks(payload, func(typ uint8, d []byte) error {
		if typ == blockRelayResponse {
			if resp, err := parseRelayResp(d); err == nil {
				resp.signed, resp.rest = slices.Clone(resp.signed), slices.Clone(resp.rest)
				r.post(relayEvent{resp: resp, from: p.from, holePunch: true})
			}
		}
		return nil
	})
}

// introducedAddrs lists the peer's SSU2 addresses reached through
// introducers, of the families we may use.
func introducedAddrs(ri *data.RouterInfo, allow4, allow6 bool) []peerAddr {
	var out []peerAddr
	for i := range ri.Addresses {
		p, ok := parseAddr(&ri.Addresses[i])
		if ok && !p.ap.IsValid() && len(p.intro) > 0 && (p.v4 && allow4 || p.v6 && allow6) {
			out = append(out, p)
		}
	}
	return out
}

// dialThroughIntroducers tries the peer's introduced addresses in turn.
func (t *Transport) dialThroughIntroducers(ctx context.Context, ri *data.RouterInfo) (transport.Session, error) {
	addrs := introducedAddrs(ri, !t.cfg.NoIPv4, !t.cfg.NoIPv6)
	if len(addrs) == 0 {
		return nil, fmt.Errorf("ssu2: dial %s: no reachable SSU2 address", ri.Hash())
	}
	var errs []error
	for _, a := range addrs {
		s, err := t.dialIntroduced(ctx, ri, a)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("ssu2: dial %s through introducers: %w", ri.Hash(), errors.Join(errs...))
}

// dialIntroduced reaches Charlie (ri) at a through one of its
// introducers ("Processing by Alice"): one we have a session with, else
// one whose RouterInfo we hold, dialled first; then Relay Request, and
// on the first of Hole Punch or Relay Response, a Session Request to
// Charlie with his token.
func (t *Transport) dialIntroduced(ctx context.Context, ri *data.RouterInfo, a peerAddr) (transport.Session, error) {
	v6 := !a.v4 || t.cfg.NoIPv4
	bob, tag, err := t.introducerSession(ctx, a.intro, v6)
	if err != nil {
		return nil, err
	}
	ours := t.ourAddress(bob, v6)
	if !ours.IsValid() {
		return nil, fmt.Errorf("ssu2: relay: no address of ours to give (ipv6 %v)", v6)
	}
	nonce := uint32(t.randUint64())
	signed := relayReqSigned(nonce, tag, t.now(), ours)
	sig, err := t.sign(relayReqMessage(bob.peer, ri.Hash(), signed))
	if err != nil {
		return nil, err
	}
	r := &relay{bob: bob.peer, events: make(chan relayEvent, 4)}
	if !t.rl.add(nonce, ptConnID(nonce), r) {
		return nil, errors.New("ssu2: relay: too many in progress")
	}
	defer t.rl.drop(nonce)
	bob.queueBlock(appendRelayReq(nil, nil, signed, sig))
	t.log.Debug("ssu2: relay as Alice", "nonce", nonce, "bob", bob.peer.String(), "charlie", ri.Hash().String())
	timeout := time.NewTimer(relayTimeout)
	defer timeout.Stop()
	for {
		select {
		case ev := <-r.events:
			to, token, err := checkRelayResp(ev, ri, bob.peer, v6)
			if err != nil {
				return nil, err
			}
			now := t.now()
			t.tokensOut.put(to, token, now.Add(relayTokenLifetime), now)
			t.log.Debug("ssu2: introduced", "nonce", nonce, "charlie", to.String(), "hole punch", ev.holePunch)
			sock := t.socketFor(to)
			if sock == nil {
				return nil, fmt.Errorf("ssu2: relay: no socket for %s", to)
			}
			a.ap = to
			return t.dialAddr(ctx, sock, ri, a)
		case <-timeout.C:
			return nil, fmt.Errorf("ssu2: relay through %s: %w", bob.peer, errTimeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// checkRelayResp checks Charlie's answer: accepted, signed by Charlie
// for Bob, with an address of the family and a token. A Hole Punch's
// own source address wins over the one it names (Charlie may be behind
// a NAT that changes ports).
func checkRelayResp(ev relayEvent, charlie *data.RouterInfo, bob data.Hash, v6 bool) (netip.AddrPort, uint64, error) {
	resp := ev.resp
	if resp.code != rrAccept {
		return netip.AddrPort{}, 0, fmt.Errorf("%w: code %d", errRelayRefused, resp.code)
	}
	sig, token, ok := resp.split(charlie.Identity.SigType().SigLen())
	if !ok || charlie.Identity.Verify(relayRespMessage(bob, resp.signed), sig) != nil {
		return netip.AddrPort{}, 0, errors.New("ssu2: relay: Charlie's signature does not verify")
	}
	to := resp.charlie
	if ev.holePunch {
		to = ev.from
	}
	if !to.IsValid() || to.Addr().Is6() != v6 || to.Port() == 0 || token == 0 {
		return netip.AddrPort{}, 0, fmt.Errorf("ssu2: relay: Charlie's address %v, token %d", to, token)
	}
	return to, token, nil
}

// introducerSession finds a session with one of the introducers that
// still hold (iexp), on family v6, or dials one whose RouterInfo we
// have; it returns the session and Charlie's tag there.
func (t *Transport) introducerSession(ctx context.Context, ins []introducer, v6 bool) (*session, uint32, error) {
	now := t.now()
	var valid []introducer
	for _, in := range ins {
		if in.exp.IsZero() || in.exp.After(now) {
			valid = append(valid, in)
		}
	}
	for _, s := range t.liveSessions(nil) {
		for _, in := range valid {
			if s.peer == in.router && s.RemoteAddr().Addr().Is6() == v6 {
				return s, in.tag, nil
			}
		}
	}
	var errs []error
	for _, in := range valid {
		bri := t.lookupRouterInfo(in.router)
		if bri == nil {
			continue
		}
		sess, err := t.Dial(ctx, bri)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if s, ok := sess.(*session); ok && s.RemoteAddr().Addr().Is6() == v6 {
			return s, in.tag, nil
		}
	}
	return nil, 0, errors.Join(append([]error{ErrNoIntroducer}, errs...)...)
}
