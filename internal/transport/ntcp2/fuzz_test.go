package ntcp2

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/transport"
	"github.com/veil-i2p/veil/internal/transport/transporttest"
)

// fuzzPair is a fixed Alice and Bob (transports that never run) for the
// handshake fuzzers.
type fuzzPair struct{ a, b *Transport }

func newFuzzPair(tb testing.TB) fuzzPair {
	mk := func() *Transport {
		id := newIdentity(tb, riOptions{})
		tr, err := New(Config{NetID: testNetID, StaticKeys: id.Static, RouterInfo: id.RouterInfo,
			Handler: transporttest.NewRecorder(), ProbeDelay: -1})
		if err != nil {
			tb.Fatal(err)
		}
		return tr
	}
	return fuzzPair{mk(), mk()}
}

func (p fuzzPair) alice(tb testing.TB) *outboundHandshake {
	ri := p.b.cfg.RouterInfo()
	h, err := newOutboundHandshake(p.a, nil, ri, dialAddrs(ri, true, true)[0])
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// craftSessionRequest is Alice's message 1 with arbitrary options.
func (p fuzzPair) craftSessionRequest(tb testing.TB, opts []byte) []byte {
	h := p.alice(tb)
	var err error
	if h.ePriv, h.ePub, err = crypto.GenerateX25519(nil); err != nil {
		tb.Fatal(err)
	}
	msg := make([]byte, keyLen, msg1Len)
	h.aes.EncryptCBC(h.cbc[:], msg, h.ePub[:])
	h.sym = initialState(&h.rs)
	h.sym.MixHash(h.ePub[:])
	if err := h.sym.MixDH(h.ePriv[:], h.rs[:]); err != nil {
		tb.Fatal(err)
	}
	return h.sym.EncryptAndHash(msg, opts[:optionsLen])
}

func FuzzSessionRequest(f *testing.F) {
	p := newFuzzPair(f)
	valid, err := p.alice(f).sessionRequest()
	if err != nil {
		f.Fatal(err)
	}
	now := unixSeconds(time.Now())
	for _, o := range []requestOptions{
		{NetID: testNetID, Version: 2, PadLen: 10, M3P2Len: 600, TsA: now},
		{NetID: 0, Version: 2, M3P2Len: 600, TsA: now},
		{NetID: 2, Version: 2, M3P2Len: 600, TsA: now},
		{NetID: testNetID, Version: 3, M3P2Len: 600, TsA: now},
		{NetID: testNetID, Version: 2, PadLen: 0xffff, M3P2Len: 600, TsA: now},
		{NetID: testNetID, Version: 2, M3P2Len: 16, TsA: now},
		{NetID: testNetID, Version: 2, M3P2Len: 600, TsA: now - 3600},
	} {
		b := o.marshal()
		f.Add(valid, b[:])
	}
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, raw, opts []byte) {
		if len(raw) >= msg1Len {
			h := newInboundHandshake(p.b, nil)
			if pad, err := h.consumeSessionRequest(raw[:msg1Len]); err == nil && pad > maxPeerHandshakePadding {
				t.Fatalf("accepted %d bytes of padding", pad)
			}
		}
		if len(opts) >= optionsLen {
			msg := p.craftSessionRequest(t, opts)
			h := newInboundHandshake(p.b, nil)
			pad, err := h.consumeSessionRequest(msg)
			o := parseRequestOptions(opts)
			accepted := (o.NetID == 0 || o.NetID == testNetID) && o.Version == 2 &&
				o.PadLen <= maxPeerHandshakePadding && o.M3P2Len >= minM3P2Len && o.M3P2Len <= maxM3P2Len
			if (err == nil) != accepted {
				t.Fatalf("options %+v: err %v", o, err)
			}
			if err == nil && (pad != int(o.PadLen) || h.skewed != (abs(skewOf(o.TsA, time.Now())) > 60)) {
				t.Fatalf("options %+v: pad %d skewed %v", o, pad, h.skewed)
			}
		}
	})
}

// FuzzSessionConfirmed runs a real handshake whose message 3 part 2
// plaintext is the fuzz input, so Bob's block and RouterInfo checks see
// arbitrary authenticated content.
func FuzzSessionConfirmed(f *testing.F) {
	p := newFuzzPair(f)
	ri := p.a.cfg.RouterInfo().Bytes()
	f.Add(appendRouterInfo(nil, ri, false))
	f.Add(appendPadding(appendBlock(appendRouterInfo(nil, ri, true), blockOptions, make([]byte, 12)), 5))
	f.Add(appendRouterInfo(nil, ri[:len(ri)-1], false))
	f.Add(appendDateTime(appendRouterInfo(nil, ri, false), 1))
	bad := bytes.Clone(ri)
	bad[len(bad)-1] ^= 1
	f.Add(appendRouterInfo(nil, bad, false))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload)+macLen < minM3P2Len || len(payload)+macLen > maxM3P2Len {
			return
		}
		alice, bob := p.alice(t), newInboundHandshake(p.b, nil)
		alice.m3p2 = bytes.Clone(payload)
		m1, err := alice.sessionRequest()
		if err != nil {
			t.Fatal(err)
		}
		pad, err := bob.consumeSessionRequest(m1[:msg1Len])
		if err != nil {
			t.Fatal(err)
		}
		if pad > 0 {
			bob.sym.MixHash(m1[msg1Len:])
		}
		m2, err := bob.sessionCreated()
		if err != nil {
			t.Fatal(err)
		}
		if pad, err = alice.consumeSessionCreated(m2[:msg2Len]); err != nil {
			t.Fatal(err)
		}
		if pad > 0 {
			alice.sym.MixHash(m2[msg2Len:])
		}
		m3, err := alice.sessionConfirmed()
		if err != nil {
			t.Fatal(err)
		}
		got, err := bob.consumeSessionConfirmed(m3)
		if !bob.authed {
			t.Fatalf("a well-formed message 3 did not authenticate: %v", err)
		}
		if err == nil {
			if got.Hash() != p.a.us {
				t.Fatal("accepted a RouterInfo that is not Alice's")
			}
			return
		}
		var te *transport.TerminationError
		if !asTermination(err, &te) {
			t.Fatalf("authenticated failure without a reason: %v", err)
		}
	})
}

func FuzzBlocks(f *testing.F) {
	f.Add(samplePayload())
	f.Add(appendPadding(nil, 0))
	f.Add([]byte{blockI2NP, 0, 9, 1, 0, 0, 0, 1, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, p []byte) {
		parseConfirmedPayload(p)
		blocks, err := collectBlocks(p)
		if err != nil {
			return
		}
		var re []byte
		for _, b := range blocks {
			re = appendBlock(re, b.typ, b.data)
			switch b.typ {
			case blockDateTime:
				if ts, err := parseDateTime(b.data); err == nil {
					if got := appendDateTime(nil, ts); !bytes.Equal(got[blockHeaderLen:], b.data) {
						t.Fatal("DateTime re-encoding differs")
					}
				}
			case blockI2NP:
				if m, err := parseI2NP(b.data); err == nil {
					got := appendI2NP(nil, &m)
					if !bytes.Equal(got[blockHeaderLen:], b.data) || len(got) != i2npBlockLen(&m) {
						t.Fatal("I2NP re-encoding differs")
					}
				}
			case blockRouterInfo:
				if ri, flood, err := parseRouterInfoBlock(b.data); err == nil {
					got := appendRouterInfo(nil, ri, flood)
					if !bytes.Equal(got[blockHeaderLen+1:], b.data[1:]) {
						t.Fatal("RouterInfo re-encoding differs")
					}
				}
			case blockTermination:
				if n, r, err := parseTermination(b.data); err == nil {
					got := appendTermination(nil, n, r)
					if !bytes.Equal(got[blockHeaderLen:], b.data[:terminationMinLen]) {
						t.Fatal("Termination re-encoding differs")
					}
				}
			}
		}
		if !bytes.Equal(re, p) {
			t.Fatal("blocks do not re-encode to the input")
		}
	})
}

// fuzzKeys are fixed data-phase keys for FuzzFrame.
func fuzzHalves(tb testing.TB) (w, r halfConn) {
	var k dataKeys
	for i := range k.ab {
		k.ab[i] = byte(i)
	}
	copy(k.sipAB[:], bytes.Repeat([]byte{7}, len(k.sipAB)))
	w, err := newHalfConn(&k.ab, k.sipAB[:])
	if err != nil {
		tb.Fatal(err)
	}
	r, _ = newHalfConn(&k.ab, k.sipAB[:])
	return w, r
}

// FuzzFrame throws raw bytes at the frame reader (lengths, truncation, bad
// MACs), and round-trips the second input as a sealed frame.
func FuzzFrame(f *testing.F) {
	var stream bytes.Buffer
	w, _ := fuzzHalves(f)
	fw := newFrameWriter(w, &stream)
	fw.writeFrame(func(p []byte) []byte { return append(p, samplePayload()...) })
	fw.writeFrame(func(p []byte) []byte { return appendPadding(p, 3) })
	f.Add(stream.Bytes(), samplePayload())
	f.Add([]byte{0, 0}, []byte{})
	f.Fuzz(func(t *testing.T, raw, plain []byte) {
		_, r := fuzzHalves(t)
		fr := newFrameReader(r, bufio.NewReader(bytes.NewReader(raw)), nil)
		for i := 0; ; i++ {
			p, err := fr.readFrame()
			if err != nil {
				if _, err2 := fr.readFrame(); err2 != err {
					t.Fatal("frame error is not sticky")
				}
				break
			}
			collectBlocks(p)
		}
		if len(plain) > maxPayloadLen {
			return
		}
		var buf bytes.Buffer
		w, r := fuzzHalves(t)
		fw := newFrameWriter(w, &buf)
		if _, err := fw.writeFrame(func(p []byte) []byte { return append(p, plain...) }); err != nil {
			t.Fatal(err)
		}
		wire := buf.Bytes()
		if n := int(binary.BigEndian.Uint16(wire)); len(wire) != 2+len(plain)+macLen && n >= 0 {
			t.Fatalf("frame of %d bytes for %d of plaintext", len(wire), len(plain))
		}
		got, err := newFrameReader(r, bufio.NewReader(bytes.NewReader(wire)), nil).readFrame()
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
