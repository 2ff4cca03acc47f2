package ssu2

// Peer testing (ssu2.rst, "Peer Test Process", "Peer Test" block, "Peer
// Test (Type 7)"): Alice asks Bob, in session, to have Charlie probe the
// address she names; Charlie answers Bob (messages 1–4, Peer Test blocks
// in data packets) and sends message 5 to that address out of session;
// Alice answers with message 6 and Charlie with 7, which carries the
// address Alice's packet came from.
//
//	Alice                Bob               Charlie
//	  1 ------------------>  Alice's RI, 2 --->
//	                      <--------------- 3
//	  <--- Charlie's RI, 4
//	  <----------------------------------- 5 (if Alice is reachable)
//	  6 ---------------------------------->
//	  <----------------------------------- 7 (with Alice's address)
//
// Alice's side runs on the goroutine that called TestReachability, fed
// by events from the sessions' goroutines (message 4) and the reader
// (messages 5, 7). Bob's and Charlie's sides run where their messages
// arrive: on session goroutines (1–3, passed to another session through
// its send queue) and on the reader (6). The table of tests in progress
// is the Transport's, behind one mutex, capped and expiring.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/transport"
)

// Reachability is what a peer test says of our address.
type Reachability int

// Peer test results ("Results State Machine").
const (
	ReachUnknown Reachability = iota
	ReachOK
	ReachFirewalled
	ReachSymmetricNAT
)

func (r Reachability) String() string {
	switch r {
	case ReachOK:
		return "ok"
	case ReachFirewalled:
		return "firewalled"
	case ReachSymmetricNAT:
		return "symmetric-nat"
	}
	return "unknown"
}

// Peer test codes (Peer Test block, "code").
const (
	ptAccept              = 0
	ptBobNoCharlie        = 2
	ptBobSignature        = 4
	ptBobAddress          = 5
	ptCharlieUnspecified  = 64
	ptCharlieAddress      = 65
	ptCharlieSignature    = 67
	ptCharlieConnected    = 68
	ptCharlieAliceUnknown = 70
)

// Peer test limits.
const (
	ptPrologue      = "PeerTestValidate"
	maxPeerTests    = 256              // in progress, all roles
	peerTestExpiry  = 60 * time.Second // i2pd SSU2_PEER_TEST_EXPIRATION_TIMEOUT
	peerTestTimeout = 20 * time.Second // Alice's whole test
	waitForMsg5     = 3 * time.Second  // after message 4, before sending 6 anyway
	peerTestFirst   = 30 * time.Second // after Run, for sessions to come up
	peerTestRetry   = time.Minute      // after an inconclusive test
)

// Errors of TestReachability.
var (
	ErrNoPeerTester = errors.New("ssu2: peer test: no session with a peer that tests (caps B)")
	ErrNoAddress    = errors.New("ssu2: peer test: we publish no SSU2 address of that family")
)

// ptBlock is a decoded Peer Test block.
type ptBlock struct {
	msg, code byte
	hash      data.Hash // Alice (message 2) or Charlie (message 4)
	signed    []byte    // ver … Alice's IP: what the signature covers
	sig       []byte    // may be empty in messages 5–7
	nonce     uint32
	ts        uint32
	alice     netip.AddrPort
}

// parsePeerTest decodes a Peer Test block's data.
func parsePeerTest(d []byte) (ptBlock, error) {
	if len(d) < 3 {
		return ptBlock{}, transport.FormatError("Peer Test block of %d bytes", len(d))
	}
	b := ptBlock{msg: d[0], code: d[1]}
	if b.msg < 1 || b.msg > 7 {
		return ptBlock{}, transport.FormatError("Peer Test message %d", b.msg)
	}
	p := d[3:]
	if b.msg == 2 || b.msg == 4 {
		if len(p) < len(b.hash) {
			return ptBlock{}, transport.FormatError("Peer Test message %d without a hash", b.msg)
		}
		copy(b.hash[:], p)
		p = p[len(b.hash):]
	}
	if len(p) < 10 {
		return ptBlock{}, transport.FormatError("Peer Test message %d: %d bytes of signed data", b.msg, len(p))
	}
	asz := int(p[9])
	if p[0] != protocolVersion || asz != 6 && asz != 18 || len(p) < 10+asz {
		return ptBlock{}, transport.FormatError("Peer Test message %d: version %d, address size %d", b.msg, p[0], asz)
	}
	b.nonce, b.ts = binary.BigEndian.Uint32(p[1:]), binary.BigEndian.Uint32(p[5:])
	ap, err := parseAddress(p[10 : 10+asz])
	if err != nil {
		return ptBlock{}, err
	}
	b.alice = ap
	b.signed, b.sig = p[:10+asz], p[10+asz:]
	return b, nil
}

// appendPeerTest appends a Peer Test block: msg, code, flag, the hash
// for messages 2 and 4, then the signed data and its signature.
func appendPeerTest(b []byte, msg, code byte, hash *data.Hash, signed, sig []byte) []byte {
	n := 3 + len(signed) + len(sig)
	if hash != nil {
		n += len(hash)
	}
	b = transport.AppendBlockHeader(b, blockPeerTest, n)
	b = append(b, msg, code, 0)
	if hash != nil {
		b = append(b, hash[:]...)
	}
	b = append(b, signed...)
	return append(b, sig...)
}

// ptSigned is the data a Peer Test signature covers after its hashes:
// version, nonce, time, and Alice's address.
func ptSigned(nonce uint32, now time.Time, alice netip.AddrPort) []byte {
	b := []byte{protocolVersion}
	b = binary.BigEndian.AppendUint32(b, nonce)
	b = binary.BigEndian.AppendUint32(b, transport.UnixSeconds(now))
	a := appendAddress(nil, alice)[blockHeaderLen:]
	b = append(b, byte(len(a)))
	return append(b, a...)
}

// ptMessage is what is signed: prologue, Bob's hash, for Charlie's
// signature Alice's hash too, then the signed data ("Peer Test" block,
// "Signature").
func ptMessage(bob data.Hash, alice *data.Hash, signed []byte) []byte {
	m := append([]byte(ptPrologue), bob[:]...)
	if alice != nil {
		m = append(m, alice[:]...)
	}
	return append(m, signed...)
}

// peerTest is one test in progress in which we are Bob, Charlie or
// Alice.
type peerTest struct {
	nonce uint32
	// Bob: the session with Alice that messages 3 and 4 go back on.
	alice *session
	// Charlie: Alice's intro key and what message 7 carries.
	aliceIntro [keyLen]byte
	signed     []byte // message 3's signed data and signature
	// Alice: events for TestReachability.
	events chan ptEvent
}

type ptEvent struct {
	msg     byte
	code    byte
	charlie data.Hash      // message 4
	signed  []byte         // message 4: Charlie's signed data and signature
	addr    netip.AddrPort // message 7: our address as Charlie saw it
}

// ptConnID is the connection id messages 5 and 7 carry to Alice; message
// 6 to Charlie carries its complement ("Peer Test", connection ids).
// Hole Punch uses it too ("Hole Punch (Type 11)").
func ptConnID(nonce uint32) uint64 { return uint64(nonce)<<32 | uint64(nonce) }

// liveSessions returns the established sessions but skip's.
func (t *Transport) liveSessions(skip *session) []*session {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*session
	for s := range t.sessions {
		if s == skip || s.PeerRouterInfo() == nil {
			continue
		}
		select {
		case <-s.done:
			continue
		default:
		}
		select {
		case <-s.established:
			out = append(out, s)
		default:
		}
	}
	return out
}

// testerAddr returns the peer's published SSU2 address of our session's
// family, and whether it says it tests (caps B).
func testerAddr(ri *data.RouterInfo, v6 bool) (peerAddr, bool, bool) {
	for i := range ri.Addresses {
		p, ok := parseAddr(&ri.Addresses[i])
		if ok && p.ap.IsValid() && p.ap.Addr().Is6() == v6 {
			return p, containsByte(p.caps, 'B'), true
		}
	}
	return peerAddr{}, false, false
}

func containsByte(s string, c byte) bool {
	for i := range len(s) {
		if s[i] == c {
			return true
		}
	}
	return false
}

// sign signs a Peer Test message with our router key.
func (t *Transport) sign(m []byte) ([]byte, error) {
	if t.cfg.Signer == nil {
		return nil, errors.New("ssu2: peer test: no signing key")
	}
	return t.cfg.Signer.Sign(m)
}

// queueBlock sends a control block (Peer Test, …) on s, reliably: it is
// a chunk like a message, resent until acknowledged.
func (s *session) queueBlock(b []byte) {
	if err := s.q.Push(&outItem{block: b}, transport.PriorityHigh); err != nil {
		s.log.Debug("ssu2: control block dropped", "err", err)
	}
}

// handlePeerTest acts on a Peer Test block received in session: as Bob
// (messages 1, 3), Charlie (2) or Alice (4).
func (s *session) handlePeerTest(d []byte, now time.Time) {
	b, err := parsePeerTest(d)
	if err != nil {
		s.log.Debug("ssu2: bad Peer Test block", "err", err)
		return
	}
	switch b.msg {
	case 1:
		s.peerTestBob(b)
	case 2:
		s.peerTestCharlie(b)
	case 3:
		if pt, ok := s.t.pt.get(b.nonce); ok && pt.alice != nil && s.t.pt.drop(b.nonce) {
			if ri := s.PeerRouterInfo(); ri != nil && b.code == ptAccept {
				pt.alice.SendRouterInfo(ri, false) // Charlie's, before message 4
			}
			pt.alice.queueBlock(appendPeerTest(nil, 4, b.code, &s.peer, b.signed, b.sig))
		}
	case 4:
		if pt, ok := s.t.pt.get(b.nonce); ok && pt.events != nil {
			pt.post(ptEvent{msg: 4, code: b.code, charlie: b.hash, signed: append(append([]byte(nil), b.signed...), b.sig...)})
		}
	}
}

func (pt *peerTest) post(ev ptEvent) {
	select {
	case pt.events <- ev:
	default:
	}
}

// peerTestBob handles message 1: Alice's signature and address are
// checked, a Charlie is picked among our sessions with a peer that
// publishes an address of Alice's family, and gets Alice's RouterInfo
// and message 2. Refusals go straight back as message 4 with a zero
// hash.
func (s *session) peerTestBob(b ptBlock) {
	t := s.t
	reject := func(code byte) {
		var zero data.Hash
		s.queueBlock(appendPeerTest(nil, 4, code, &zero, b.signed, b.sig))
	}
	alice := s.PeerRouterInfo()
	if alice == nil || alice.Identity.Verify(ptMessage(t.us, nil, b.signed), b.sig) != nil {
		reject(ptBobSignature)
		return
	}
	// Alice tests the address the session runs on ("Processing by
	// Bob": same IPv4 address; same /64 for IPv6), and not a
	// privileged port.
	remote := s.RemoteAddr().Addr()
	v6 := b.alice.Addr().Is6()
	switch {
	case v6 != remote.Is6(), b.alice.Port() < 1024,
		!v6 && b.alice.Addr() != remote,
		v6 && [8]byte(b.alice.Addr().AsSlice()[:8]) != [8]byte(remote.AsSlice()[:8]):
		reject(ptBobAddress)
		return
	}
	var charlie *session
	for _, c := range t.liveSessions(s) {
		if _, _, ok := testerAddr(c.PeerRouterInfo(), v6); ok && c.peer != s.peer {
			charlie = c
			break
		}
	}
	if charlie == nil || !t.pt.add(b.nonce, 0, &peerTest{nonce: b.nonce, alice: s}) {
		reject(ptBobNoCharlie)
		return
	}
	charlie.SendRouterInfo(alice, false) // before message 2 ("Peer Test Process")
	charlie.queueBlock(appendPeerTest(nil, 2, ptAccept, &s.peer, b.signed, b.sig))
}

// peerTestCharlie handles message 2: Alice must be known (her
// RouterInfo came with it), have signed, publish an SSU2 address of the
// tested family, and have no session with us; then message 3 goes back
// to Bob, signed by us, and message 5 to Alice's address.
func (s *session) peerTestCharlie(b ptBlock) {
	t := s.t
	code := byte(ptAccept)
	var intro [keyLen]byte
	switch ari := s.routerInfo(b.hash); {
	case ari == nil:
		code = ptCharlieAliceUnknown
	case ari.Identity.Verify(ptMessage(s.peer, nil, b.signed), b.sig) != nil:
		code = ptCharlieSignature
	case t.hasSessionWith(b.hash):
		code = ptCharlieConnected
	default:
		a, ok := addrForFamily(ari, b.alice.Addr().Is6())
		if !ok || t.socketFor(b.alice) == nil || t.cfg.Banned != nil && t.cfg.Banned(b.alice.Addr()) {
			code = ptCharlieAddress
		}
		intro = a.i
	}
	signed := append([]byte(nil), b.signed...)
	sig, err := t.sign(ptMessage(s.peer, &b.hash, signed))
	if err != nil {
		code, sig = ptCharlieUnspecified, nil
	}
	s.queueBlock(appendPeerTest(nil, 3, code, nil, signed, sig))
	if code != ptAccept {
		return
	}
	pt := &peerTest{nonce: b.nonce, aliceIntro: intro, signed: append(signed, sig...)}
	if !t.pt.add(b.nonce, ^ptConnID(b.nonce), pt) {
		return
	}
	t.sendPeerTestMsg(t.socketFor(b.alice), b.alice, 5, b.nonce, &intro, pt.signed, netip.AddrPort{})
}

// addrForFamily returns ri's SSU2 address of a family (published or
// saying so with caps 4/6), for its intro key.
func addrForFamily(ri *data.RouterInfo, v6 bool) (peerAddr, bool) {
	for i := range ri.Addresses {
		if p, ok := parseAddr(&ri.Addresses[i]); ok && (v6 && p.v6 || !v6 && p.v4) {
			return p, true
		}
	}
	return peerAddr{}, false
}

func (t *Transport) lookupRouterInfo(h data.Hash) *data.RouterInfo {
	if t.cfg.LookupRouterInfo == nil {
		return nil
	}
	return t.cfg.LookupRouterInfo(h)
}

func (t *Transport) hasSessionWith(h data.Hash) bool {
	for _, s := range t.liveSessions(nil) {
		if s.peer == h {
			return true
		}
	}
	return false
}

// sendPeerTestMsg sends message 5, 6 or 7 out of session ("Peer Test
// (Type 7)", "KDF for Peer Test"): the receiver's intro key protects the
// header and seals the payload; connection ids come from the nonce;
// message 7 carries the address message 6 came from.
func (t *Transport) sendPeerTestMsg(sock *socket, to netip.AddrPort, msg byte, nonce uint32, key *[keyLen]byte, signed []byte, addr netip.AddrPort) {
	dest := ptConnID(nonce)
	if msg == 6 {
		dest = ^dest
	}
	// Messages 5–7 repeat messages 3/1's signed data; the signature
	// stays (it is optional here).
	var b [maxPacketLen]byte
	t.sendOutOfSession(sock, to, typePeerTest, dest, key, addr, appendPeerTest(b[:0], msg, ptAccept, nil, signed, nil))
}

// handlePeerTestPacket reads a Peer Test message (5, 6 or 7) whose
// connection id names a test in progress; demux calls it. Message 6 (we
// are Charlie) is answered with 7; 5 and 7 (we are Alice) go to the
// test's events.
func (t *Transport) handlePeerTestPacket(p *packet, pt *peerTest) {
	var pl [maxPacketLen]byte
	payload, ok := t.openOutOfSession(p.bytes(), typePeerTest, pl[:0])
	if !ok {
		return
	}
	var b ptBlock
	var addr netip.AddrPort
	found := false
	err := parseBlocks(payload, func(typ uint8, d []byte) error {
		switch typ {
		case blockPeerTest:
			var err error
			b, err = parsePeerTest(d)
			found = err == nil
		case blockAddress:
			addr, _ = parseAddress(d)
		}
		return nil
	})
	if err != nil || !found || b.nonce != pt.nonce {
		return
	}
	t.log.Debug("ssu2: Peer Test message", "msg", b.msg, "nonce", b.nonce, "from", p.from.String())
	switch {
	case b.msg == 6 && pt.events == nil: // we are Charlie
		t.pt.drop(pt.nonce)
		t.sendPeerTestMsg(p.sock, p.from, 7, pt.nonce, &pt.aliceIntro, pt.signed, p.from)
	case (b.msg == 5 || b.msg == 7) && pt.events != nil:
		pt.post(ptEvent{msg: b.msg, addr: addr})
	}
}

// Reachability is the last conclusive result of the periodic peer tests
// (Config.PeerTestInterval) for a family: ReachUnknown until one.
func (t *Transport) Reachability(v6 bool) Reachability {
	t.reachMu.Lock()
	defer t.reachMu.Unlock()
	if v6 {
		return t.reach[1]
	}
	return t.reach[0]
}

// runPeerTests tests each family we publish an address of: first after
// peerTestFirst, then every interval once a test was conclusive, or
// every peerTestRetry until then (no tester yet, refused, no answer);
// neither wait is longer than interval.
func (t *Transport) runPeerTests(ctx context.Context, interval time.Duration) {
	first, retry := min(peerTestFirst, interval), min(peerTestRetry, interval)
	var next [2]time.Time
	next[0], next[1] = time.Now().Add(first), time.Now().Add(first)
	tick := time.NewTicker(retry / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for i, v6 := range []bool{false, true} {
				if now.Before(next[i]) {
					continue
				}
				if _, ok := t.publishedAddr(v6); !ok {
					next[i] = now.Add(interval)
					continue
				}
				r, err := t.TestReachability(ctx, v6)
				t.log.Debug("ssu2: peer test", "ipv6", v6, "result", r.String(), "err", err)
				next[i] = time.Now().Add(retry)
				if err == nil && r != ReachUnknown {
					next[i] = time.Now().Add(interval)
					t.reachMu.Lock()
					changed := t.reach[i] != r
					t.reach[i] = r
					t.reachMu.Unlock()
					if changed {
						t.log.Info("ssu2: reachability", "ipv6", v6, "result", r.String())
					}
				}
			}
		}
	}
}

// TestReachability runs one peer test of our published SSU2 address of
// a family as Alice, through one of our sessions with a peer that tests
// (caps B), and returns what it found: OK when Charlie's message 5
// reached us; firewalled when only Bob's message 4 (and perhaps Charlie's
// message 7) did; symmetric NAT when message 7 saw us on another port;
// unknown otherwise. It takes at most 20 s.
func (t *Transport) TestReachability(ctx context.Context, v6 bool) (Reachability, error) {
	if err := t.waitReady(ctx); err != nil {
		return ReachUnknown, err
	}
	ours, ok := t.publishedAddr(v6)
	if !ok {
		return ReachUnknown, ErrNoAddress
	}
	var bobs []*session
	for _, s := range t.liveSessions(nil) {
		if a, tests, ok := testerAddr(s.PeerRouterInfo(), v6); ok && tests && a.ap == s.RemoteAddr() {
			bobs = append(bobs, s)
		}
	}
	if len(bobs) == 0 {
		return ReachUnknown, ErrNoPeerTester
	}
	bob := bobs[t.randUint64()%uint64(len(bobs))]
	nonce := uint32(t.randUint64())
	signed := ptSigned(nonce, t.now(), ours)
	sig, err := t.sign(ptMessage(bob.peer, nil, signed))
	if err != nil {
		return ReachUnknown, err
	}
	pt := &peerTest{nonce: nonce, events: make(chan ptEvent, 8)}
	if !t.pt.add(nonce, ptConnID(nonce), pt) {
		return ReachUnknown, errors.New("ssu2: peer test: too many in progress")
	}
	defer t.pt.drop(nonce)
	bob.queueBlock(appendPeerTest(nil, 1, ptAccept, nil, signed, sig))
	return t.runAlice(ctx, pt, bob, ours, signed)
}

// runAlice waits for messages 4, 5 and 7, sends message 6 once Charlie
// is known (after message 5, or waitForMsg5 after message 4), and
// judges by the "Results State Machine".
func (t *Transport) runAlice(ctx context.Context, pt *peerTest, bob *session, ours netip.AddrPort, signed []byte) (Reachability, error) {
	ctx, cancel := context.WithTimeout(ctx, peerTestTimeout)
	defer cancel()
	var (
		got4, got5, got7 bool
		charlie          peerAddr
		sent6            bool
		wait6            <-chan time.Time
		seen             netip.AddrPort
	)
	send6 := func() {
		if !sent6 && got4 {
			sent6 = true
			t.sendPeerTestMsg(t.socketFor(charlie.ap), charlie.ap, 6, pt.nonce, &charlie.i, signed, netip.AddrPort{})
		}
	}
	for {
		select {
		case ev := <-pt.events:
			t.log.Debug("ssu2: peer test as Alice", "nonce", pt.nonce, "msg", ev.msg, "code", ev.code, "addr", ev.addr.String())
			switch ev.msg {
			case 4:
				if ev.code != ptAccept {
					return ReachUnknown, fmt.Errorf("ssu2: peer test refused with code %d", ev.code)
				}
				ri := t.lookupRouterInfo(ev.charlie)
				a, ok := addrForFamily(ri, ours.Addr().Is6())
				if ri == nil || !ok || !a.ap.IsValid() ||
					ri.Identity.Verify(ptMessage(bob.peer, ptSelf(t), signedPart(ev.signed, len(signed))), ev.signed[min(len(signed), len(ev.signed)):]) != nil {
					return ReachUnknown, errors.New("ssu2: peer test: Charlie unknown or his answer not his")
				}
				got4, charlie = true, a
				if got5 {
					send6()
				} else {
					wait6 = time.After(waitForMsg5)
				}
			case 5:
				got5 = true
				send6()
			case 7:
				got7, seen = true, ev.addr
				if got5 {
					return judge(got4, got5, got7, ours, seen), nil
				}
			}
		case <-wait6:
			send6()
		case <-ctx.Done():
			return judge(got4, got5, got7, ours, seen), nil
		}
		if got4 && got7 && sent6 && !got5 {
			return judge(got4, got5, got7, ours, seen), nil
		}
	}
}

// judge is the "Results State Machine" (4, 5, 7 received), with message
// 7's address telling firewalled from symmetric NAT.
func judge(got4, got5, got7 bool, ours, seen netip.AddrPort) Reachability {
	switch {
	case got5:
		return ReachOK
	case got4 && got7 && seen.IsValid() && seen.Addr() == ours.Addr() && seen.Port() != ours.Port():
		return ReachSymmetricNAT
	case got4:
		return ReachFirewalled
	}
	return ReachUnknown
}

// ptSelf is our hash, Alice's in Charlie's signature.
func ptSelf(t *Transport) *data.Hash {
	h := t.us
	return &h
}

// signedPart returns the first n bytes of b, or b.
func signedPart(b []byte, n int) []byte { return b[:min(n, len(b))] }

// publishedAddr is our published SSU2 address of a family: the one in
// our RouterInfo or, while the router has taken host and port out of it
// (firewalled, publishing introducers), the last one it held, which
// peer tests keep testing.
func (t *Transport) publishedAddr(v6 bool) (netip.AddrPort, bool) {
	i := 0
	if v6 {
		i = 1
	}
	t.reachMu.Lock()
	defer t.reachMu.Unlock()
	ri := t.cfg.RouterInfo()
	for j := range ri.Addresses {
		p, ok := parseAddr(&ri.Addresses[j])
		if ok && p.ap.IsValid() && p.ap.Addr().Is6() == v6 && p.s == t.cfg.StaticKeys.Public {
			t.lastPublished[i] = p.ap
			return p.ap, true
		}
	}
	return t.lastPublished[i], t.lastPublished[i].IsValid()
}
