package ssu2

import (
	"bytes"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/ssu2/ack"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// captureConn is a PacketConn that records what is written to it and
// reads nothing: the socket of transports driven by hand in tests.
type captureConn struct {
	mu     sync.Mutex
	writes [][]byte
	closed chan struct{}
	once   sync.Once
}

func newCaptureConn() *captureConn { return &captureConn{closed: make(chan struct{})} }

func (c *captureConn) ReadFrom([]byte) (int, net.Addr, error) {
	<-c.closed
	return 0, nil, net.ErrClosed
}

func (c *captureConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.writes) < 1024 {
		c.writes = append(c.writes, append([]byte(nil), b...))
	}
	return len(b), nil
}

func (c *captureConn) taken() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.writes
	c.writes = nil
	return w
}

func (c *captureConn) Close() error                     { c.once.Do(func() { close(c.closed) }); return nil }
func (c *captureConn) LocalAddr() net.Addr              { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *captureConn) SetDeadline(time.Time) error      { return nil }
func (c *captureConn) SetReadDeadline(time.Time) error  { return nil }
func (c *captureConn) SetWriteDeadline(time.Time) error { return nil }

// handTransport is a Transport that is not Run: its one socket is a
// captureConn, and tests call demux and session methods directly.
func handTransport(tb testing.TB) (*Transport, *captureConn, *transporttest.Recorder) {
	tb.Helper()
	id := newIdentity(tb, riOptions{})
	rec := transporttest.NewRecorder()
	tr, err := New(Config{NetID: testNetID, StaticKeys: id.Static, RouterInfo: id.RouterInfo, Handler: rec, HandshakeRate: -1})
	if err != nil {
		tb.Fatal(err)
	}
	cc := newCaptureConn()
	tr.socks = []*socket{newSocket(cc)}
	close(tr.ready)
	return tr, cc, rec
}

var peerAddrPort = netip.MustParseAddrPort("198.18.0.7:9999")

// handSession is an established inbound session of t whose peer's keys
// are known, so a test can write the peer's packets.
type handSession struct {
	s      *session
	toUs   dirKeys // the peer's sending keys
	pn     uint32
	inPkts int
}

func newHandSession(t *Transport) *handSession {
	s := newSession(t, t.socks[0], transport.Inbound, peerAddrPort)
	s.recvID, s.sendID = 0x1111, 0x2222
	var toUs, fromUs dirKeys
	t.randBytes(toUs.data[:])
	t.randBytes(toUs.header[:])
	t.randBytes(fromUs.data[:])
	t.randBytes(fromUs.header[:])
	var peerIntro [keyLen]byte
	s.startDataPhase(fromUs, toUs, peerIntro, 0)
	s.state = stEstablished
	return &handSession{s: s, toUs: toUs}
}

// packet seals payload as the peer's next data packet to us.
func (h *handSession) packet(payload []byte, flags byte) *packet {
	hdr := shortHeader{destID: h.s.recvID, pn: h.pn, typ: typeData, flags: [3]byte{flags}}
	h.pn++
	b := make([]byte, shortHeaderLen, shortHeaderLen+len(payload)+macLen)
	hdr.put(b)
	b = chachaSeal(&h.toUs.data, hdr.pn, b, payload)
	protect(b, &h.s.t.intro, &h.toUs.header, 0)
	p := &packet{n: len(b), from: peerAddrPort, sock: h.s.sock}
	copy(p.buf[:], b)
	return p
}

// feed delivers payload as a data packet, the way run would.
func (h *handSession) feed(payload []byte, now time.Time) {
	h.s.handleData(h.packet(payload, 0), now)
	if h.s.state == stEstablished {
		h.s.flush(now)
	}
}

// sampleBlocks is a payload with one block of each kind we handle.
func sampleBlocks() []byte {
	m := &transport.Message{Type: 20, ID: 7, Expiration: time.Unix(1700000000, 0), Payload: []byte("hello")}
	p := transport.AppendDateTime(nil, time.Unix(1700000000, 0))
	p = transport.AppendI2NPBlock(p, blockI2NP, m)
	p = appendFirstFragment(p, &transport.Message{Type: 20, ID: 8, Expiration: m.Expiration}, []byte("first part "))
	p = appendFollowOn(p, 8, 1, true, []byte("and the last"))
	p = appendAddress(p, netip.MustParseAddrPort("198.18.0.1:1234"))
	p = appendNewToken(p, time.Unix(1700003600, 0), 42)
	p = appendPath(p, blockPathChallenge, []byte("0123456789abcdef"))
	p = transport.AppendBlockHeader(p, blockACK, 0)
	start := len(p)
	p = ack.Append(p, []ack.Range{{Lo: 5, Hi: 9}, {Lo: 0, Hi: 2}}, 64)
	setBlockSize(p, start)
	p = append(transport.AppendBlockHeader(p, blockCongestion, 1), 1)
	return transport.AppendPadding(p, 3)
}

// FuzzBlocks: the block walker and every block decoder take any bytes;
// what they accept re-encodes to the same bytes.
func FuzzBlocks(f *testing.F) {
	f.Add(sampleBlocks())
	f.Add(appendRouterInfoBlock(nil, gzipRouterInfo([]byte("not a RouterInfo")), true, true))
	f.Add(transport.AppendTermination(nil, blockTermination, 9, 3))
	f.Fuzz(func(t *testing.T, p []byte) {
		parseBlocks(p, func(typ uint8, d []byte) error {
			switch typ {
			case blockAddress:
				if ap, err := parseAddress(d); err == nil {
					if got := appendAddress(nil, ap); !bytes.Equal(got[blockHeaderLen:], d) && len(d) == 6 {
						t.Fatalf("Address %x -> %v -> %x", d, ap, got)
					}
				}
			case blockFollowOnFragment:
				if f, err := parseFollowOn(d); err == nil {
					if got := appendFollowOn(nil, f.msgID, f.num, f.last, f.part); !bytes.Equal(got[blockHeaderLen:], d) {
						t.Fatalf("Follow-on %x -> %x", d, got)
					}
				}
			case blockNewToken:
				if e, tok, err := parseNewToken(d); err == nil {
					if got := appendNewToken(nil, time.Unix(int64(e), 0), tok); !bytes.Equal(got[blockHeaderLen:], d) {
						t.Fatalf("New Token %x -> %x", d, got)
					}
				}
			case blockRouterInfo:
				if b, err := parseRouterInfoBlock(d); err == nil && len(b.ri) > maxRouterInfoLen {
					t.Fatalf("RouterInfo of %d bytes accepted", len(b.ri))
				}
			case blockACK:
				ack.Parse(d, nil)
			case blockI2NP, blockFirstFragment:
				transport.ParseShortI2NP(d)
			}
			return nil
		})
	})
}

// FuzzHeader: header protection and header parsing take any packet,
// never change what they only peek at, and protection is its own
// inverse.
func FuzzHeader(f *testing.F) {
	tr, _, _ := handTransport(f)
	h := newHandSession(tr)
	f.Add(h.packet(sampleBlocks(), 1).bytes())
	var k [keyLen]byte
	f.Add(sealOutOfSession(nil, &longHeader{destID: 1, pn: 2, typ: typeRetry, ver: 2, netID: testNetID, srcID: 3, token: 4}, make([]byte, 16), &k))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		// Every long-header message has 24 bytes of tail past its
		// header: protection draws its masks from there.
		if len(pkt) < longHeaderLen+24 {
			return
		}
		orig := bytes.Clone(pkt)
		peekConnID(pkt, &tr.intro)
		peekTypeBytes(pkt, &tr.intro)
		hb, hdr := revealLong(pkt, &tr.intro, &h.toUs.header)
		if !bytes.Equal(pkt, orig) {
			t.Fatal("peeking changed the packet")
		}
		var re [longHeaderLen]byte
		hdr.put(re[:])
		if re != hb {
			t.Fatalf("long header %x -> %+v -> %x", hb, hdr, re)
		}
		protect(pkt, &tr.intro, &h.toUs.header, shortHeaderLen)
		protect(pkt, &tr.intro, &h.toUs.header, shortHeaderLen)
		if !bytes.Equal(pkt, orig) {
			t.Fatal("protection is not its own inverse")
		}
		sh := parseShortHeader(pkt)
		var rs [shortHeaderLen]byte
		sh.put(rs[:])
		if !bytes.Equal(rs[:], pkt[:shortHeaderLen]) {
			t.Fatal("short header does not round-trip")
		}
	})
}

// FuzzDemux throws datagrams at the packet router of a transport no
// session exists on: nothing panics, no session starts without a token,
// and only a well-formed Token or Session Request gets an answer.
func FuzzDemux(f *testing.F) {
	tr, cc, _ := handTransport(f)
	a, _, _ := handTransport(f)
	bob := peerAddr{s: tr.cfg.StaticKeys.Public, i: tr.intro, ap: netip.MustParseAddrPort("127.0.0.1:1")}
	s, _ := newOutbound(a, a.socks[0], tr.cfg.RouterInfo(), bob)
	s.out.start = time.Now()
	s.sendTokenRequest(time.Now())
	f.Add(s.out.sent[0])
	s.sendSessionRequest(time.Now(), 12345)
	f.Add(s.out.sent[0])
	f.Add(make([]byte, 80))
	f.Fuzz(func(t *testing.T, d []byte) {
		if len(d) < minPacketLen || len(d) > maxPacketLen {
			return
		}
		p := tr.getPacket()
		p.n = copy(p.buf[:], d)
		p.from, p.sock = peerAddrPort, tr.socks[0]
		tr.demux(p)
		for _, w := range cc.taken() {
			if peekTypeBytes(w, &tr.intro)[4] != typeRetry {
				t.Fatalf("answered with something other than a Retry: %x", w)
			}
		}
		if n := tr.Counters().Sessions; n != 0 {
			t.Fatalf("%d sessions started without a token", n)
		}
	})
}

// FuzzSessionRequest substitutes fuzz bytes for a Session Request that
// arrives with a valid token: Bob's session reads it without panicking
// and answers only a genuine one.
func FuzzSessionRequest(f *testing.F) {
	tr, cc, _ := handTransport(f)
	a, _, _ := handTransport(f)
	bob := peerAddr{s: tr.cfg.StaticKeys.Public, i: tr.intro, ap: peerAddrPort}
	s, _ := newOutbound(a, a.socks[0], tr.cfg.RouterInfo(), bob)
	s.sendSessionRequest(time.Now(), 777)
	f.Add(s.out.sent[0])
	f.Fuzz(func(t *testing.T, d []byte) {
		if len(d) < minSessionRequestLen || len(d) > maxPacketLen {
			return
		}
		b := newInbound(tr, tr.socks[0], peerAddrPort, longHeader{destID: 5, srcID: 6})
		b.hsSlot = false
		pkt := bytes.Clone(d)
		b.readSessionRequest(pkt, time.Now())
		if w := cc.taken(); len(w) > 0 && b.state != stCreatedSent && peekTypeBytes(w[0], &tr.intro)[4] != typeRetry {
			t.Fatalf("answered a bad Session Request")
		}
	})
}

// FuzzSessionConfirmed checks Session Confirmed part 2 with fuzz bytes:
// only a RouterInfo block with a valid, signed RouterInfo listing the
// static key passes.
func FuzzSessionConfirmed(f *testing.F) {
	tr, _, _ := handTransport(f)
	peer := newIdentity(f, riOptions{})
	ri := peer.RouterInfo().Bytes()
	f.Add(appendRouterInfoBlock(nil, ri, false, false))
	f.Add(transport.AppendPadding(appendRouterInfoBlock(nil, gzipRouterInfo(ri), false, true), 7))
	f.Fuzz(func(t *testing.T, payload []byte) {
		s := newSession(tr, tr.socks[0], transport.Inbound, peerAddrPort)
		got, _, err := s.checkConfirmed(payload, peer.Static.Public[:])
		if err == nil && got.Hash() != peer.RouterInfo().Hash() {
			t.Fatal("accepted a RouterInfo that is not the peer's")
		}
	})
}

// FuzzData feeds fuzz bytes as the payload of authenticated data
// packets to an established session: blocks, ACKs, fragments and
// Termination are handled without panics and within the bounds.
func FuzzData(f *testing.F) {
	tr, _, rec := handTransport(f)
	f.Add(sampleBlocks())
	f.Add(transport.AppendTermination(nil, blockTermination, 1, 0))
	f.Add(appendFollowOn(nil, 9, 3, false, make([]byte, 100)))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > maxPacketLen-shortHeaderLen-macLen {
			return // not a datagram we read
		}
		h := newHandSession(tr)
		now := time.Now()
		h.feed(payload, now)
		h.feed(payload, now) // the same blocks again, in a new packet
		for len(rec.Messages) > 0 {
			<-rec.Messages
		}
		if r := &h.s.rcv.reasm; len(r.msgs) > maxIncomplete || r.bytes > maxIncompleteBytes {
			t.Fatalf("reassembly holds %d messages, %d bytes", len(r.msgs), r.bytes)
		}
	})
}

func TestHandSessionMessages(t *testing.T) {
	tr, cc, rec := handTransport(t)
	h := newHandSession(tr)
	h.feed(sampleBlocks(), time.Now())
	got := map[uint32]string{}
	for range 2 {
		m := transporttest.WaitFor(t, rec.Messages, "message")
		got[m.ID] = string(m.Payload)
	}
	if got[7] != "hello" || got[8] != "first part and the last" {
		t.Fatalf("messages %v", got)
	}
	// The Path Challenge is answered, and the packets are acknowledged.
	var sawResponse, sawACK bool
	for _, w := range cc.taken() {
		pl, err := h.open(w)
		if err != nil {
			t.Fatal(err)
		}
		parseBlocks(pl, func(typ uint8, d []byte) error {
			sawResponse = sawResponse || typ == blockPathResponse && string(d) == "0123456789abcdef"
			sawACK = sawACK || typ == blockACK
			return nil
		})
	}
	if !sawResponse || !sawACK {
		t.Fatalf("path response %v, ACK %v", sawResponse, sawACK)
	}
	// The same fragments again: no second delivery.
	h.feed(sampleBlocks(), time.Now())
	if rec.Count() != 2 {
		t.Fatalf("%d messages delivered, want 2", rec.Count())
	}
}

// open decrypts a packet the session sent to its peer.
func (h *handSession) open(pkt []byte) ([]byte, error) {
	pkt = bytes.Clone(pkt)
	var zero [keyLen]byte
	maskConnID(pkt, &zero)
	maskTypeBytes(pkt, &h.s.snd.keys.header)
	hdr := parseShortHeader(pkt)
	return chachaOpen(&h.s.snd.keys.data, hdr.pn, pkt)
}

// TestFragmentFlood: a peer sending first fragments of endless messages
// gets the oldest dropped; memory stays within the bounds.
func TestFragmentFlood(t *testing.T) {
	tr, _, _ := handTransport(t)
	h := newHandSession(tr)
	now := time.Now()
	for i := range 5000 {
		m := &transport.Message{Type: 20, ID: uint32(i), Expiration: now.Add(time.Minute)}
		h.feed(appendFirstFragment(nil, m, make([]byte, 1000)), now)
	}
	r := &h.s.rcv.reasm
	if len(r.msgs) > maxIncomplete || r.bytes > maxIncompleteBytes || len(r.msgs) == 0 {
		t.Fatalf("reassembly holds %d messages, %d bytes", len(r.msgs), r.bytes)
	}
	r.expire(now.Add(incompleteTimeout))
	if len(r.msgs) != 0 || r.bytes != 0 {
		t.Fatalf("after the timeout: %d messages, %d bytes", len(r.msgs), r.bytes)
	}
	if h.s.state != stEstablished {
		t.Fatalf("session state %d", h.s.state)
	}
}

func chachaSeal(key *[keyLen]byte, pn uint32, hdr, payload []byte) []byte {
	return crypto.ChaChaPolySeal(key, uint64(pn), hdr, payload, hdr[:shortHeaderLen])
}

func chachaOpen(key *[keyLen]byte, pn uint32, pkt []byte) ([]byte, error) {
	return crypto.ChaChaPolyOpen(key, uint64(pn), nil, pkt[shortHeaderLen:], pkt[:shortHeaderLen])
}
