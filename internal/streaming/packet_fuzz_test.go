package streaming

import (
	"testing"
	"time"
)

// seedPackets are well-formed packets of each kind: a signed SYN with
// the replay hash, a SYN reply with data and CLOSE, an ack with NACKs and
// a choke, a signed CLOSE, a RESET, a ping and a pong.
func seedPackets(t testing.TB) [][]byte {
	keys := newKeys(t)
	id, err := newIdentity(keys)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	add := func(p *Packet, sign bool) {
		var b []byte
		var err error
		if sign {
			id.withFrom(p)
			b, err = id.sign(p)
		} else {
			b, err = p.Append(nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	syn := &Packet{RecvStreamID: 1, Flags: FlagSynchronize | FlagMaxPacketSize | FlagNoAck | FlagDelayRequested, MaxSize: 1812}
	syn.SetReplayHash(id.hash)
	add(syn, true)
	add(&Packet{SendStreamID: 1, RecvStreamID: 2, Flags: FlagSynchronize | FlagClose | FlagMaxPacketSize, MaxSize: 1730,
		Payload: []byte("HTTP/1.1 200 OK\r\n\r\n")}, true)
	add(&Packet{SendStreamID: 2, RecvStreamID: 1, AckThrough: 9, NACKs: []uint32{3, 5}, Flags: FlagDelayRequested, Delay: 61000}, false)
	add(&Packet{SendStreamID: 2, RecvStreamID: 1, Seq: 10, AckThrough: 4, Flags: FlagClose | FlagSignatureIncluded,
		Signature: make([]byte, 64)}, false)
	add(&Packet{SendStreamID: 2, RecvStreamID: 1, Seq: 11, Flags: FlagReset}, true)
	add(&Packet{SendStreamID: 5, Flags: FlagEcho, Payload: []byte("ping")}, true)
	add(&Packet{RecvStreamID: 5, Flags: FlagEcho, Payload: []byte("ping")}, false)
	return out
}

// FuzzParse: Parse never panics, and what it accepts encodes to bytes
// that parse to the same packet.
func FuzzParse(f *testing.F) {
	for _, b := range seedPackets(f) {
		f.Add(b)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		if v, err := fromVerifier(p, now); err == nil {
			v.verify(p)
		}
		p.ReplayHash()
		_ = p.String()
		b2, err := p.Append(nil)
		if err != nil {
			t.Fatalf("parsed %v, cannot encode: %v", p, err)
		}
		q, err := Parse(b2)
		if err != nil {
			t.Fatalf("re-encoded %v does not parse: %v", p, err)
		}
		if d := packetDiff(p, q); d != "" {
			t.Fatalf("round trip changed %s", d)
		}
	})
}

// FuzzHandlePacket: a Manager with a listener takes anything without
// panicking and without keeping more than its bounds allow.
func FuzzHandlePacket(f *testing.F) {
	for _, b := range seedPackets(f) {
		f.Add(b)
	}
	n := newFakeNet(time.Millisecond, 0, 0)
	m := n.join(f, nil)
	if _, err := m.Listen(0); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		m.Close()
		n.close()
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		m.HandlePacket(Inbound{SrcPort: 1, DstPort: 2, Packet: b})
		m.mu.Lock()
		early := len(m.early)
		m.mu.Unlock()
		if early > maxEarlyStreams {
			t.Fatalf("%d early streams kept", early)
		}
	})
}
