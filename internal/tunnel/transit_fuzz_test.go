package tunnel

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/veil-i2p/veil/internal/crypto"
	"github.com/veil-i2p/veil/internal/data"
	"github.com/veil-i2p/veil/internal/i2np"
)

// fuzzTransitUnix is the fuzz targets' clock, and their requests' time.
const fuzzTransitUnix = 1_800_000_000

// fuzzShare is the fuzz Transits' bandwidth share: a burst of 63 tunnel
// messages, and a duplicate filter a seventh the default's size, which a
// Transit made anew for every input allocates.
const fuzzShare = 64 << 10

// fuzzRouter is a hop with fixed keys, so that a build made for it in one
// fuzzing process opens in every other (seeds travel between them).
func fuzzRouter(tb testing.TB, seed byte) testRouter {
	tb.Helper()
	priv := [32]byte{seed, 0xf0}
	pub, err := crypto.X25519Public(priv[:])
	if err != nil {
		tb.Fatal(err)
	}
	ident := data.Hash{seed, 0xf1}
	return testRouter{ident: ident, pub: pub, keys: NewRecordKeys(ident, priv, pub)}
}

// FuzzHandleBuild throws payloads of the three build types at a Transit:
// it must never panic, answer at most once with the message type the
// role calls for, hold a tunnel only when it answered, and drop the same
// bytes a second time as a replay. Seeds: short builds for every role,
// a long participant record (type 23) and a long inbound gateway record
// (type 21), each addressed to the fuzz router.
func FuzzHandleBuild(f *testing.F) {
	hop, next := fuzzRouter(f, 1), fuzzRouter(f, 2)
	now := time.Unix(fuzzTransitUnix, 0)
	f.Add(byte(2), participantBuild(f, hop, next, 5, now))
	f.Add(byte(2), shortBuild(f, testPath([]testRouter{hop}, false, data.Hash{0xee}), now))      // outbound endpoint
	f.Add(byte(2), shortBuild(f, testPath([]testRouter{hop, next}, true, data.Hash{0xc0}), now)) // inbound gateway
	req := BuildRequest{ReceiveID: 5, NextID: 6, NextIdent: next.ident, RequestTime: uint32(now.Unix() / 60), Expiration: 600}
	vtb := i2np.VariableTunnelBuild{Records: make([]i2np.BuildRecord, 3)}
	vtb.Records[1] = longRecord(f, hop, &req)
	p, _ := vtb.Append(nil)
	f.Add(byte(1), p)
	req.Flags = FlagInboundGateway
	var tb i2np.TunnelBuild
	tb.Records[6] = longRecord(f, hop, &req)
	p, _ = tb.Append(nil)
	f.Add(byte(0), p)
	f.Add(byte(2), []byte{1})

	f.Fuzz(func(t *testing.T, sel byte, payload []byte) {
		types := [...]uint8{i2np.TypeTunnelBuild, i2np.TypeVariableTunnelBuild, i2np.TypeShortTunnelBuild}
		typ := types[int(sel)%len(types)]
		tr := NewTransit(TransitConfig{Self: hop.ident, Keys: hop.keys, Accept: sel&0x80 == 0, ShareBytes: fuzzShare})
		from := data.Hash{0xc0}
		out, err := tr.HandleBuild(from, typ, bytes.Clone(payload), now, nil)
		c := tr.Counters()
		if c.Requests != c.Accepted+c.Rejected || uint64(tr.Len()) != c.Accepted {
			t.Fatalf("counters %+v, %d tunnels", c, tr.Len())
		}
		if err != nil {
			if len(out) != 0 || c.Requests != 0 {
				t.Fatalf("dropped (%v) yet %d messages out, counters %+v", err, len(out), c)
			}
			return
		}
		if len(out) != 1 || c.Requests != 1 {
			t.Fatalf("answered with %d messages, counters %+v", len(out), c)
		}
		// The next hop gets the build; an outbound endpoint sends the
		// reply to the reply tunnel's gateway in a TunnelGateway.
		if o := out[0]; (o.Msg.Type != typ && o.Msg.Type != i2np.TypeTunnelGateway) || len(o.Payload) == 0 {
			t.Fatalf("answer %s of %d bytes to a %s", i2np.TypeName(o.Msg.Type), len(o.Payload), i2np.TypeName(typ))
		}
		if out, err := tr.HandleBuild(from, typ, bytes.Clone(payload), now, nil); err == nil || len(out) != 0 {
			t.Fatal("the same build answered twice")
		}
	})
}

// FuzzHandleTunnelData runs a sequence of tunnel messages through a
// Transit that carries a participant tunnel, an outbound endpoint and an
// inbound gateway. Each message is a control byte, a 2-byte length n and
// n bytes. Control bits 0–1 make the body as fuzzBody does; bits 2–3
// pick the tunnel (participant, endpoint, gateway, one we do not carry);
// bit 4 sends a TunnelGateway instead of a TunnelData (its message is the
// bytes in a standard I2NP header when bit 0 is set, else the raw bytes);
// bit 5 sends from a stranger rather than the previous hop; bits 6–7
// advance the clock by 20 s each. A body for the endpoint is first
// decrypted with its layer, so that the endpoint reads the fuzzer's
// bytes. It must never panic, and what it sends must be well formed.
func FuzzHandleTunnelData(f *testing.F) {
	hop, next := fuzzRouter(f, 1), fuzzRouter(f, 2)
	start := time.Unix(fuzzTransitUnix, 0)
	const (
		partID = 100 // participantBuild's receive id
		epID   = 200
		gwID   = 300
	)
	ep := testPath([]testRouter{hop}, false, data.Hash{0xee})
	ep[0].Request.ReceiveID = epID
	gw := testPath([]testRouter{hop, next}, true, data.Hash{0xc0})
	gw[0].Request.ReceiveID = gwID
	builds := [][]byte{participantBuild(f, hop, next, partID, start), nil, shortBuild(f, gw, start)}
	for i := range ep {
		ep[i].Request.RequestTime = uint32(start.Unix() / 60)
	}
	b, recs, err := NewShortBuild(nil, ep, 4, nil)
	if err != nil {
		f.Fatal(err)
	}
	builds[1], _ = (&i2np.ShortTunnelBuild{Records: recs}).Append(nil)
	epLayer := NewLayer(b.Hops[0].Layer, b.Hops[0].IV)

	addMsgs := func(msgs ...[]byte) {
		var in []byte
		for _, m := range msgs {
			in = append(in, m[0])
			in = binary.BigEndian.AppendUint16(in, uint16(len(m)-1))
			in = append(in, m[1:]...)
		}
		f.Add(in)
	}
	small, _ := i2np.AppendStandard(nil, i2np.Header{Type: i2np.TypeData, ID: 1, Expiration: start.Add(time.Minute)}, []byte("hi"))
	local := pair(Instructions{}, small) // LOCAL delivery: meaningless at an endpoint
	router := pair(Instructions{Delivery: Delivery{Type: DeliveryRouter, To: next.ident}}, small)
	addMsgs([]byte{0, 1, 2, 3}, []byte{1<<2 | 1, 0}, []byte{2<<2 | 1<<4 | 1, 'x'}, []byte{3 << 2})
	addMsgs(append([]byte{1<<2 | 1}, local...), append([]byte{1<<2 | 1}, router...), []byte{1 << 2})
	addMsgs([]byte{0}, []byte{1 << 5}, []byte{2 << 6}, []byte{2 << 2})

	f.Fuzz(func(t *testing.T, in []byte) {
		tr := NewTransit(TransitConfig{Self: hop.ident, Keys: hop.keys, Accept: true, ShareBytes: fuzzShare})
		for _, p := range builds {
			if _, err := tr.HandleBuild(data.Hash{0xc0}, i2np.TypeShortTunnelBuild, bytes.Clone(p), start, nil); err != nil {
				t.Fatal(err)
			}
		}
		now := start
		for msgs := 0; len(in) >= 3 && msgs < 64; msgs++ {
			ctrl, n := in[0], int(binary.BigEndian.Uint16(in[1:]))
			in = in[3:]
			c := in[:min(n, len(in))]
			in = in[len(c):]
			now = now.Add(time.Duration(ctrl>>6) * 20 * time.Second)
			id := [4]data.TunnelID{partID, epID, gwID, 999}[ctrl>>2&3]
			from := data.Hash{0xc0}
			if ctrl&(1<<5) != 0 {
				from = data.Hash{0x66}
			}
			var out []Out
			if ctrl&(1<<4) != 0 {
				m := c
				if ctrl&1 != 0 {
					m, _ = i2np.AppendStandard(nil, i2np.Header{Type: i2np.TypeData, ID: 7, Expiration: now}, c)
				}
				p, err := (i2np.TunnelGateway{TunnelID: id, Message: m}).Append(nil)
				if err != nil {
					continue // too long for a TunnelGateway
				}
				out, _ = tr.HandleTunnelGateway(from, p, now, nil)
			} else {
				body := fuzzBody(ctrl, c)
				if id == epID {
					epLayer.Decrypt(&body)
				}
				p, _ := (i2np.TunnelData{TunnelID: id, Data: &body}).Append(nil)
				out, _ = tr.HandleTunnelData(from, p, now, nil)
			}
			for _, o := range out {
				if o.To == (data.Hash{}) || (o.Msg.Type == i2np.TypeTunnelData && len(o.Payload) != i2np.TunnelDataMsgLen) {
					t.Fatalf("sent %s of %d bytes to %s", i2np.TypeName(o.Msg.Type), len(o.Payload), o.To)
				}
			}
		}
		if tr.Len() != 3 {
			t.Fatalf("%d tunnels after the messages", tr.Len())
		}
	})
}
